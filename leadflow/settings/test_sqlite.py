"""The report tests again on SQLite (the embedded default): `pytest -m both_databases` with
these settings. Reports must give the same figures on both databases."""

from .test import *  # noqa: F403

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
