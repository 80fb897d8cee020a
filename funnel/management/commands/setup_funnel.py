from django.core.management.base import BaseCommand

from funnel.setup import defaults_install


class Command(BaseCommand):
    help = "Install the default funnel (teams, stages, moves, handoffs, reasons). Safe to re-run."

    def handle(self, *args, **options):
        created = defaults_install()
        summary = ", ".join(f"{count} {what}" for what, count in created.items())
        self.stdout.write(self.style.SUCCESS(f"Default funnel installed: created {summary}."))
        if not any(created.values()):
            self.stdout.write("Everything was already in place; nothing was changed.")
