"""Webhook delivery (signed, retried with backoff, dead-lettered, redelivered by hand).

To be completed: see issue 5.
"""


def webhook_dispatch(*, event_id: int) -> int:
    return 0


def webhook_sweep() -> int:
    return 0
