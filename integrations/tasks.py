"""Celery tasks of integrations: webhook delivery. Thin: each calls a service.

The names are the ones these tasks had before they moved here, so messages already queued
under them still run.
"""

from celery import shared_task


# Time limits: integrations.webhooks keeps each run within a time budget (15 s here, 35 s for the
# sweep) plus one request's timeout; a run killed anyway leaves its claimed deliveries to be
# sent again when their claim ends.
@shared_task(name="funnel.tasks.webhook_dispatch_task", soft_time_limit=30, time_limit=60)
def webhook_dispatch_task(event_id: int) -> int:
    """On an event's commit: create its deliveries, then send those whose turn it is."""
    from integrations.webhooks import webhook_dispatch

    return webhook_dispatch(event_id=event_id)


@shared_task(soft_time_limit=50, time_limit=58)
def webhook_dispatch_batch_task(event_ids: list[int]) -> int:
    """On the commit of a batch of events (a bulk import): each event's dispatch, in order."""
    from integrations.webhooks import webhook_dispatch

    return sum(webhook_dispatch(event_id=event_id, time_budget=1.0) for event_id in event_ids)


@shared_task(name="funnel.tasks.webhook_sweep_task", soft_time_limit=50, time_limit=58)
def webhook_sweep_task() -> int:
    """Every minute (beat): send retries whose backoff has passed. Several may run at once."""
    from integrations.webhooks import webhook_sweep

    return webhook_sweep()
