from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from reporting.weekly import weekly_report_build, weekly_report_email
from reporting.weeks import WeekError, week_label, week_last_complete, week_parse


class Command(BaseCommand):
    help = (
        "Build the weekly feedback report of a complete week (default: last week) and keep it "
        "as that week's snapshot. A week already built is shown as stored unless --rebuild."
    )

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week, e.g. 2026-W47. Default: last week.")
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Replace the stored snapshot with one built from today's data.",
        )
        parser.add_argument(
            "--email",
            action="store_true",
            help="Email it to the managers now, even if it was emailed before.",
        )

    def handle(self, *args, week=None, rebuild=False, email=False, **options):
        try:
            monday = week_parse(week) if week else week_last_complete()
            report, built = weekly_report_build(week=monday, rebuild=rebuild)
        except WeekError as exc:
            raise CommandError(str(exc)) from exc
        label = week_label(monday)
        where = reverse("reporting:weekly-detail", args=[report.pk])
        if built:
            self.stdout.write(self.style.SUCCESS(f"Built the weekly report {label}: {where}"))
        else:
            self.stdout.write(
                f"The weekly report {label} was built {report.built_at:%Y-%m-%d %H:%M} and is "
                f"kept as it was: {where} (--rebuild to build it again)."
            )
        if email:
            sent = weekly_report_email(report=report, force=True)
            self.stdout.write(f"Emailed to {sent} manager(s).")
