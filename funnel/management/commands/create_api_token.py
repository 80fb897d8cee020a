from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from funnel.models import User


class Command(BaseCommand):
    help = "Print the API token of USERNAME (an integration user, typically), creating it once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reset", action="store_true", help="Replace an existing token.")

    def handle(self, *args, username, reset, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user '{username}'.")
        if reset:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
