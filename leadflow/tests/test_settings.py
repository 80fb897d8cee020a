import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DATABASE_URL": "postgres://leadflow:pw@db.internal:5432/leadflow",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "SECRET_KEY": "x7!k2-a-long-random-production-secret-key-with-enough-entropy-9f3",
    "ALLOWED_HOSTS": "leadflow.example.com",
    "HTTPS": "true",
    "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587",
}


def _manage(env_update: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    # Not the test run's own: its database, and the browser tests' async-unsafe switch.
    left_out = ("DATABASE_URL", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in left_out}
    env.update(env_update, DJANGO_SETTINGS_MODULE="leadflow.settings.base")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_deployment_check_passes_with_production_variables():
    done = _manage(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")

    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}

    done = _manage(env, "check")

    assert done.returncode != 0
    assert "SECRET_KEY must be set when DATABASE_URL is set." in done.stderr
