from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from funnel.setup import defaults_install


class Command(BaseCommand):
    help = "Install the default funnel (teams, stages, moves, handoffs, reasons). Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument(
            "--language",
            choices=[code for code, _ in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="The language of the names installed (stages, reasons, handoffs, teams). "
            "They are data: once installed, users rename them; a re-run changes no name.",
        )

    def handle(self, *args, **options):
        with translation.override(options["language"]):
            created = defaults_install()
        summary = ", ".join(f"{count} {what}" for what, count in created.items())
        self.stdout.write(self.style.SUCCESS(f"Default funnel installed: created {summary}."))
        if not any(created.values()):
            self.stdout.write("Everything was already in place; nothing was changed.")
