"""While the database is away, a 503 with Retry-After: JSON for the API, the app's page for the
browser; other database errors stay 500 (leadflow/middleware.py says why)."""

import psycopg
import pytest
from django.db import InterfaceError, OperationalError, connection, connections
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from funnel.models import Role
from funnel.tests.factories import UserFactory
from leadflow.middleware import RETRY_AFTER_SECONDS, UNAVAILABLE, database_is_away

pytestmark = pytest.mark.django_db


class DatabaseAway:
    """From `start()`, every query connects to a port where nothing listens, so it fails as it
    does while PostgreSQL is down: Django's OperationalError from psycopg's "Connection refused".
    `stop()`: the database is back."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        default = connections["default"]
        settings_dict = {**default.settings_dict, "HOST": "127.0.0.1", "PORT": "1"}
        self.nowhere = type(default)(settings_dict)

    def _refused(self, *args, **kwargs):
        self.nowhere.ensure_connection()
        raise AssertionError("connected to nowhere")

    def start(self):
        for name in ("cursor", "chunked_cursor"):
            self.monkeypatch.setattr(connections["default"], name, self._refused)

    def stop(self):
        self.monkeypatch.undo()


@pytest.fixture
def database_away(monkeypatch):
    return DatabaseAway(monkeypatch)


def test_the_api_answers_503_json_with_retry_after_and_recovers(database_away):
    user = UserFactory(role=Role.ADMIN)
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    database_away.start()

    response = client.get(reverse("lead-list"))

    assert response.status_code == 503
    assert response.json() == {"detail": UNAVAILABLE, "code": "unavailable"}
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)

    database_away.stop()
    assert client.get(reverse("lead-list")).status_code == 200


def test_a_write_answers_503_while_the_database_is_away(database_away):
    client = APIClient()
    client.force_authenticate(UserFactory(role=Role.ADMIN))
    database_away.start()

    response = client.post(reverse("lead-list"), {"email": "away@example.com"})

    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"


def test_a_page_answers_the_apps_own_503_page(database_away, settings):
    settings.DEBUG = False
    client = Client()
    client.force_login(UserFactory(role=Role.SALES))
    database_away.start()

    response = client.get(reverse("handoff:queue"))

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "Leadflow is unavailable for a moment" in response.text
    assert 'href="/"' in response.text
    assert "Connection refused" not in response.text  # no internals


def test_a_lock_timeout_is_not_an_outage_and_stays_500(monkeypatch, settings):
    settings.DEBUG = False
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(UserFactory(role=Role.ADMIN))

    def lock_timeout(*args, **kwargs):
        with connection.wrap_database_errors:
            raise psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")

    monkeypatch.setattr(connections["default"], "cursor", lock_timeout)
    response = client.get(reverse("lead-list"))

    assert response.status_code == 500


def _wrapped(error: Exception) -> Exception:
    """`error` as Django raises it: its own class, with the driver's error as the cause."""
    try:
        with connection.wrap_database_errors:
            raise error
    except Exception as exc:
        return exc
    raise AssertionError("not raised")


@pytest.mark.parametrize(
    ("error", "away"),
    [
        (psycopg.OperationalError("connection failed: Connection refused"), True),
        (psycopg.OperationalError("server closed the connection unexpectedly"), True),
        (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), True),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), True),
        (psycopg.errors.TooManyConnections("too many clients already"), True),
        (psycopg.InterfaceError("the connection is closed"), True),
        (psycopg.errors.LockNotAvailable("lock timeout"), False),
        (psycopg.errors.DeadlockDetected("deadlock detected"), False),
        (psycopg.errors.QueryCanceled("statement timeout"), False),
        (psycopg.errors.UniqueViolation("duplicate key"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_only_a_database_that_is_away_counts(error, away):
    assert database_is_away(_wrapped(error)) is away


def test_django_s_own_interface_error_counts():
    assert database_is_away(InterfaceError("connection already closed")) is True
    assert database_is_away(OperationalError("no cause")) is False
