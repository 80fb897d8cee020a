import json
import secrets

from django.core.management.base import BaseCommand
from django.db import transaction

from demo.logins import DEMO_USERS, STAFF_ROLES
from funnel.models import Role, Team, User
from leadflow.env import VAR_DIR


class Command(BaseCommand):
    help = "Create one demo login per role (once) and print their names and passwords."

    def handle(self, *args, **options):
        # Passwords are generated on first creation and kept beside the SQLite file, so each
        # `make run` can show them again without resetting a password someone changed.
        path = VAR_DIR / "demo_users.json"
        saved = json.loads(path.read_text()) if path.exists() else {}
        with transaction.atomic():
            for username, role, team_key in DEMO_USERS:
                if User.objects.filter(username=username).exists():
                    continue
                saved[username] = secrets.token_urlsafe(9)
                user = User.objects.create_user(
                    username=username,
                    password=saved[username],
                    email=f"{username}@leadflow.local",
                    role=role,
                    team=Team.objects.filter(key=team_key).first() if team_key else None,
                    is_staff=role in STAFF_ROLES,
                    is_superuser=role == Role.ADMIN,
                )
                if role == Role.MANAGER:
                    Team.objects.filter(pk=user.team_id, manager__isnull=True).update(manager=user)
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(saved, indent=2))
        path.chmod(0o600)
        self.stdout.write("Demo logins (username / password / role):")
        for username, role, _ in DEMO_USERS:
            password = saved.get(username, "(set before; unchanged)")
            self.stdout.write(f"  {username:<15} {password:<16} {role}")
