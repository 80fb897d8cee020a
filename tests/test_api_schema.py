"""A property-based run of the whole API schema with a token of every role: no input makes the
API answer 500, every response matches the schema, and a refused request (4xx) changes no data.

Bounded: a fixed, derandomized number of examples per operation and role (MAX_EXAMPLES); the six
roles together take about three minutes on a 2-core machine.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from funnel.models import Role
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from handoff.services.leads import lead_create
from handoff.services.setup import handoff_setup_defaults
from leadflow.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def in_test_transaction():
    """Requests end by closing old connections, which would end the test's transaction; the
    Django test client switches that off the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


# Per operation and role. 15 with the admin alone took 88 s; 3 x 6 roles keeps the run bounded.
MAX_EXAMPLES = 3

# Tables a refused request may legitimately write: sign-in records and throttles (a refusal is
# what they count), sessions. Everything else must read the same before and after a 4xx.
MAY_CHANGE_ON_REFUSAL = ("axes_", "django_session", "django_cache")
# Events are numbered after commit by whoever reads the feed first (integrations.events), so a
# read may set `position` whatever it answers: an event's own columns must not change.
ROW = {"funnel_event": "(t.id, t.uid, t.type, t.occurred_at, t.data)::text"}


def tables_state() -> dict[str, tuple]:
    """Each table's row count and an md5 of its rows, in one query."""
    tables = [
        name
        for name in connection.introspection.table_names()
        if not name.startswith(MAY_CHANGE_ON_REFUSAL)
    ]
    parts = [
        f"SELECT '{name}', count(*), md5(coalesce(string_agg({ROW.get(name, 't::text')}, ','"
        f" ORDER BY t::text), '')) FROM \"{name}\" t"
        for name in tables
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {name: (count, digest) for name, count, digest in cursor.fetchall()}


@pytest.fixture
def role_token(request, db, in_test_transaction):
    funnel_setup_defaults()
    handoff_setup_defaults()
    lead_create(actor=None, stage="mql", email="schema@example.com")
    role = request.param
    user = UserFactory(username=f"schema_{role}", role=role, is_superuser=role == Role.ADMIN)
    return Token.objects.create(user=user).key


@pytest.mark.slow
@pytest.mark.parametrize("role_token", Role.values, indirect=True)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_breaks_the_api_or_its_schema(case, role_token):
    before = tables_state()
    response = case.call_and_validate(
        headers={"Authorization": f"Token {role_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
    if 400 <= response.status_code < 500:
        after = tables_state()
        changed = {name for name in before if before[name] != after.get(name)}
        assert not changed, f"{case.method} {case.path} answered {response.status_code}: {changed}"
