"""Two bulk requests creating some of the same new leads at once, each in its own order (as
`make soak` found: `deadlock detected`): both succeed, and each person is one lead."""

import threading

import pytest
from django.db import connection

from funnel.services import funnel_setup_defaults
from handoff.models import Lead
from handoff.services.ingest import RowStatus, leads_ingest
from handoff.services.setup import handoff_setup_defaults

TRIES = 5
SHARED = 200


def _rows(names: list[int]) -> list[tuple[int, dict]]:
    return [
        (index, {"external_id": f"race-{n}", "email": f"race{n}@acme.com", "company": "Acme"})
        for index, n in enumerate(names)
    ]


def _race(batches: list[list[tuple[int, dict]]]) -> list[object]:
    """Both batches at once, each on its own connection; what each returned or raised."""
    start = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def ingest(i: int) -> None:
        try:
            start.wait()
            outcomes[i] = leads_ingest(actor=None, rows=batches[i])
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=ingest, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_in_opposite_orders_both_succeed_with_one_lead_each(sla_enqueues):
    funnel_setup_defaults()
    handoff_setup_defaults()
    for attempt in range(TRIES):
        shared = list(range(attempt * 1000, attempt * 1000 + SHARED))
        batches = [_rows(shared), _rows(shared[::-1])]
        outcomes = _race(batches)

        assert not [o for o in outcomes if isinstance(o, Exception)], (attempt, outcomes)
        statuses = {r.status for results in outcomes for r in results}
        assert statuses <= {RowStatus.CREATED, RowStatus.UNCHANGED}, statuses
        made = Lead.objects.filter(external_id__in=[f"race-{n}" for n in shared])
        assert made.count() == SHARED
        # Every row of both answers names the one lead of its person.
        for results, rows in zip(outcomes, batches, strict=True):
            by_id = dict(made.values_list("external_id", "pk"))
            assert [r.id for r in results] == [by_id[f["external_id"]] for _, f in rows]
