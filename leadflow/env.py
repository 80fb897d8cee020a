"""Reads the environment once, so settings modules share one `env` and one idea of paths."""

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# Run-time state of the embedded default (SQLite file, broker folders, secret key).
VAR_DIR = Path(environ.Env().str("LEADFLOW_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()


def is_embedded() -> bool:
    """No database configured: the app runs on its embedded default (SQLite, filesystem broker)."""
    return not env.str("DATABASE_URL", default="")


def secret_key() -> str:
    """SECRET_KEY from the environment; the embedded run generates one into var/ once."""
    value = env.str("SECRET_KEY", default="")
    if value:
        return value
    if not is_embedded():
        raise ImproperlyConfigured("SECRET_KEY must be set when DATABASE_URL is set.")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()
