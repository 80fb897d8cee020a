"""Celery tasks: thin interfaces that load by id and call a service."""

from celery import shared_task


@shared_task(soft_time_limit=30, time_limit=60, autoretry_for=(Exception,), retry_backoff=True,
             max_retries=5)  # fmt: skip
def offer_route_task(offer_id: int) -> None:
    from handoff.services.offers import offer_route

    offer_route(offer_id=offer_id)


@shared_task(soft_time_limit=240, time_limit=300, autoretry_for=(Exception,), retry_backoff=True,
             max_retries=5)  # fmt: skip
def offers_route_task(offer_ids: list[int]) -> None:
    """The offers a bulk import opened, routed in one message; each once, as offer_route_task."""
    from handoff.services.offers import offer_route

    for offer_id in offer_ids:
        offer_route(offer_id=offer_id)


@shared_task(soft_time_limit=50, time_limit=58)
def sla_sweep_task() -> int:
    """Every minute (beat). Several may run at once; each timer fires once."""
    from handoff.services.breaches import sla_sweep

    return sla_sweep()


@shared_task(soft_time_limit=30, time_limit=60, autoretry_for=(Exception,), retry_backoff=True,
             max_retries=8)  # fmt: skip
def notification_email_task(notification_id: int) -> None:
    from handoff.services.notifications import notification_email

    notification_email(notification_id=notification_id)


@shared_task(soft_time_limit=240, time_limit=300, autoretry_for=(Exception,), retry_backoff=True,
             max_retries=8)  # fmt: skip
def notifications_email_task(notification_ids: list[int]) -> None:
    """A batch's notifications (an SLA sweep's), emailed in one message; each once."""
    from handoff.services.notifications import notification_email

    for notification_id in notification_ids:
        notification_email(notification_id=notification_id)


@shared_task(soft_time_limit=300, time_limit=360)
def notification_digest_task() -> int:
    from handoff.services.notifications import notification_digest_send

    return notification_digest_send()


# The safety nets: what a lost message (broker away, worker killed) left undone, found from the
# database. Each runs every minute (beat), inside the minute.
@shared_task(soft_time_limit=50, time_limit=58)
def offers_route_overdue_task() -> int:
    """Route the offers whose routing message never ran."""
    from handoff.services.offers import offers_route_overdue

    return offers_route_overdue()


@shared_task(soft_time_limit=50, time_limit=58)
def notifications_email_overdue_task() -> int:
    """Email the notifications whose email message never ran."""
    from handoff.services.notifications import notifications_email_overdue

    return notifications_email_overdue()


# --- CSV import of leads (handoff.services.lead_import) ---------------------------------------
@shared_task(bind=True, soft_time_limit=240, time_limit=300, max_retries=5)
def lead_import_task(self, import_id: int) -> None:
    """Import the file's next rows for about a minute, then enqueue itself for the rest. Each
    chunk commits with its progress, so a retry or a second message resumes, never repeats;
    after the last retry the import is marked failed, saying why."""
    from handoff.services.lead_import import lead_import_fail, lead_import_run

    try:
        more = lead_import_run(import_id=import_id)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            lead_import_fail(import_id=import_id, failure=f"{type(exc).__name__}: {exc}")
            return
        raise self.retry(exc=exc, countdown=5 * 2**self.request.retries) from exc
    if more:
        lead_import_task.delay_on_commit(import_id)


@shared_task(soft_time_limit=50, time_limit=58)
def lead_imports_resume_overdue_task() -> int:
    """The safety net: imports whose message was lost or whose worker died, enqueued again."""
    from handoff.services.lead_import import lead_imports_resume_overdue

    return lead_imports_resume_overdue()
