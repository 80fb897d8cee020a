from django.core.management.base import BaseCommand, CommandError

from reporting.alerts import ratio_alert_text, ratio_check
from reporting.weeks import WeekError, week_label, week_last_complete, week_parse


class Command(BaseCommand):
    help = (
        "Check every active ratio watch in one complete week (default: last week) and raise "
        "drift alerts. Safe to re-run: a ratio raises one alert per week."
    )

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week, e.g. 2026-W47. Default: last week.")

    def handle(self, *args, week=None, **options):
        try:
            monday = week_parse(week) if week else week_last_complete()
            raised = ratio_check(week=monday)
        except WeekError as exc:
            raise CommandError(str(exc)) from exc
        label = week_label(monday)
        if not raised:
            self.stdout.write(f"{label}: no new alert.")
        for alert in raised:
            self.stdout.write(self.style.WARNING(f"{label}: {ratio_alert_text(alert)}"))
