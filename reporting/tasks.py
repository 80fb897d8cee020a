"""Celery tasks of reporting: thin interfaces over the services, run by beat."""

from celery import shared_task


@shared_task(soft_time_limit=300, time_limit=360)
def ratio_check_task(week: str | None = None) -> int:
    """Monday early morning (beat): drift alerts for last week. Re-runs raise nothing new."""
    from reporting.alerts import ratio_check
    from reporting.weeks import week_parse

    return len(ratio_check(week=week_parse(week) if week else None))


@shared_task(soft_time_limit=600, time_limit=660)
def weekly_report_task(week: str | None = None) -> int:
    """Monday morning (beat): last week's report, built once, then emailed once.

    The drift check runs first (a no-op if its own beat run did it), so the report lists the
    week's alerts whatever order the two tasks ran in.
    """
    from reporting.alerts import ratio_check
    from reporting.weekly import weekly_report_build
    from reporting.weeks import week_last_complete, week_parse

    monday = week_parse(week) if week else week_last_complete()
    ratio_check(week=monday)
    report, _ = weekly_report_build(week=monday)
    weekly_report_email_task.delay_on_commit(report.pk)
    return report.pk


@shared_task(soft_time_limit=300, time_limit=360, autoretry_for=(Exception,), retry_backoff=60,
             max_retries=6)  # fmt: skip
def weekly_report_email_task(report_id: int) -> int:
    """Email a report to the managers unless it was emailed; a failed send is retried."""
    from reporting.models import WeeklyReport
    from reporting.weekly import weekly_report_email

    return weekly_report_email(report=WeeklyReport.objects.get(pk=report_id))


@shared_task(soft_time_limit=240, time_limit=270)
def dashboard_warm_task() -> int:
    """Every few minutes (beat): the dashboard's landing figures computed before anyone asks."""
    from reporting.dashboard import dashboard_warm

    return dashboard_warm()
