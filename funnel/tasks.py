"""Celery tasks of the funnel app: webhook delivery. Thin: each calls a service."""

from celery import shared_task


# Time limits: funnel.webhooks keeps each run within a time budget (15 s here, 35 s for the
# sweep) plus one request's timeout; a run killed anyway leaves its claimed deliveries to be
# sent again when their claim ends.
@shared_task(soft_time_limit=30, time_limit=60)
def webhook_dispatch_task(event_id: int) -> int:
    """On an event's commit: create its deliveries, then send those whose turn it is."""
    from funnel.webhooks import webhook_dispatch

    return webhook_dispatch(event_id=event_id)


@shared_task(soft_time_limit=50, time_limit=58)
def webhook_sweep_task() -> int:
    """Every minute (beat): send retries whose backoff has passed. Several may run at once."""
    from funnel.webhooks import webhook_sweep

    return webhook_sweep()
