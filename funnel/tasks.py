"""Celery tasks of the funnel app: webhook delivery. Thin: each calls a service."""

from celery import shared_task


@shared_task(soft_time_limit=30, time_limit=60)
def webhook_dispatch_task(event_id: int) -> int:
    """Fan one event out to its subscribers, then try each delivery once at once."""
    from funnel.webhooks import webhook_dispatch

    return webhook_dispatch(event_id=event_id)


@shared_task(soft_time_limit=50, time_limit=58)
def webhook_sweep_task() -> int:
    """Every minute (beat): retry deliveries whose backoff has passed."""
    from funnel.webhooks import webhook_sweep

    return webhook_sweep()
