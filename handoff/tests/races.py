"""Races for tests: actions released together, each on its own database connection."""

import threading

from django.db import connection


def at_once(*actions, timeout: float = 60) -> list[object]:
    """Run the actions at the same moment, one thread each; what each returned or raised."""
    start = threading.Barrier(len(actions))
    outcomes: list[object] = [None] * len(actions)

    def act(i: int, action) -> None:
        try:
            start.wait()
            outcomes[i] = action()
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return outcomes
