"""Test settings: the suite runs on PostgreSQL and Redis and refuses anything else."""

import os

from django.core.exceptions import ImproperlyConfigured

# Tests need no real secret; production refuses to start without one (leadflow.env).
os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")

from .base import *  # noqa: F403
from .base import DATABASES, env

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "Tests run on PostgreSQL: set DATABASE_URL=postgres://... (make test does)."
    )
if not env.str("CELERY_BROKER_URL", default="").startswith("redis://"):
    raise ImproperlyConfigured(
        "Tests run on Redis: set CELERY_BROKER_URL=redis://... (make test does)."
    )

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DATABASES["default"]["CONN_MAX_AGE"] = 0
# No collectstatic in tests: plain storage, no manifest.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Nor static files served by the app: WhiteNoise would warn about the missing STATIC_ROOT.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]
# The suite's webhook receivers listen on loopback; the guard's own tests turn this off.
WEBHOOK_ALLOW_PRIVATE_TARGETS = True
