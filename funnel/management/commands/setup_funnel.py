from django.core.management.base import BaseCommand

from funnel.services import funnel_setup_defaults
from handoff.services.setup import handoff_setup_defaults
from reporting.services import ratio_watches_setup_defaults


class Command(BaseCommand):
    help = "Install the default funnel (teams, stages, moves, handoffs, reasons). Safe to re-run."

    def handle(self, *args, **options):
        created = (
            funnel_setup_defaults() | handoff_setup_defaults() | ratio_watches_setup_defaults()
        )
        summary = ", ".join(f"{count} {what}" for what, count in created.items())
        self.stdout.write(self.style.SUCCESS(f"Default funnel installed: created {summary}."))
        if not any(created.values()):
            self.stdout.write("Everything was already in place; nothing was changed.")
