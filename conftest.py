"""Suite-wide checks: the real services must be up. A missing one fails the run, never skips."""

import pytest
import redis
from django.conf import settings

# Fixtures of the lower apps (the default funnel, API clients by role, a webhook receiver)
# serve the tests of every app above them.
pytest_plugins = [
    "leadflow.testing.browser",
    "funnel.tests.fixtures",
    "integrations.tests.fixtures",
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counts (sign-ins included) live in the cache, which outlives a test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _site_language():
    """A request leaves its language active on the thread (as in production, where the next
    request sets its own); a test that made one in Russian must not build the next one's data
    in Russian."""
    from django.utils import timezone, translation

    yield
    translation.deactivate()
    timezone.deactivate()


@pytest.fixture(scope="session", autouse=True)
def _redis_is_up():
    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.exit(f"Redis at {settings.CELERY_BROKER_URL} is not reachable: {exc}", returncode=3)
