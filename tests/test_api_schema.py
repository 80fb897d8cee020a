"""A property-based run of the whole API schema: no input makes the API answer 500, and every
response matches the schema. Bounded: a fixed, derandomized number of examples per operation."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

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


@pytest.fixture
def admin_token(db, in_test_transaction):
    funnel_setup_defaults()
    handoff_setup_defaults()
    lead_create(actor=None, stage="mql", email="schema@example.com")
    admin = UserFactory(username="schema_admin", role="admin", is_superuser=True)
    return Token.objects.create(user=admin).key


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_breaks_the_api_or_its_schema(case, admin_token):
    case.call_and_validate(
        headers={"Authorization": f"Token {admin_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
