"""The OpenAPI document as a contract other programs build on: it validates, drf-spectacular
raises no warning making it, bodies are JSON only, and every answer with a body has a schema.

The document is the one served at /api/schema/, read through the test client.
"""

import json

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from funnel.models import Campaign, Role, User
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from handoff.models import Lead, StageTransition
from handoff.services.leads import lead_create
from handoff.services.setup import handoff_setup_defaults
from integrations.models import WebhookSubscription
from leadflow.api.serializers import ERRORS
from leadflow.models import IdempotencyRecord

pytestmark = pytest.mark.django_db

METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}
# Answers that never carry a body (RFC 9110).
NO_BODY = {"204", "304"}
REFUSALS = {str(code) for code in ERRORS}
BODY_REFUSALS = {"413", "415"}


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_the_schema_is_valid_openapi(schema):
    validate(schema)  # raises, saying where, on the first fault


def test_drf_spectacular_makes_the_schema_without_a_warning(tmp_path):
    GENERATOR_STATS.reset()  # warnings of earlier generations in this process are not ours

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_every_answer_with_a_body_has_a_schema(schema):
    missing = []
    for name, operation in operations(schema):
        for status, response in operation["responses"].items():
            if status in NO_BODY:
                continue
            content = response.get("content") or {}
            if not content:
                missing.append(f"{name} {status}: no content")
            missing += [
                f"{name} {status} {media_type}: no schema"
                for media_type, body in content.items()
                if not body.get("schema")
            ]
    assert missing == []


def test_every_operation_documents_the_refusals_it_may_answer(schema):
    """Bad input, not signed in, no right, not found, conflict, throttled, the database away;
    with a body also too large (413) and not JSON (415)."""
    undocumented = []
    for name, operation in operations(schema):
        expected = REFUSALS | (BODY_REFUSALS if "requestBody" in operation else set())
        undocumented += [
            f"{name} {code}" for code in sorted(expected - set(operation["responses"]))
        ]
    assert undocumented == []


def test_throttled_and_unavailable_answers_document_retry_after(schema):
    without = [
        f"{name} {code}"
        for name, operation in operations(schema)
        for code in ("429", "503")
        if "Retry-After" not in operation["responses"][code].get("headers", {})
    ]
    assert without == []


def test_request_bodies_are_json_only(schema):
    others = {
        name: sorted(operation["requestBody"]["content"])
        for name, operation in operations(schema)
        if "requestBody" in operation
        and set(operation["requestBody"]["content"]) != {"application/json"}
    }
    assert others == {}
    assert "requestBody" in dict(operations(schema))["POST /api/v1/auth/token/"]


# --- what the API does with a body that is not JSON ------------------------------------------


@pytest.fixture
def admin_api():
    """An admin's client, and an object behind every path parameter of the write operations."""
    funnel_setup_defaults()
    handoff_setup_defaults()
    admin = UserFactory(username="contract_admin", role=Role.ADMIN, is_superuser=True)
    lead = lead_create(actor=None, stage="mql", email="contract@example.com")
    webhook = WebhookSubscription.objects.create(url="https://hooks.example/in", owner=admin)
    client = APIClient()
    client.force_authenticate(admin)
    client.ids = {"/leads/{id}/": lead.pk, "/webhooks/{id}/": webhook.pk}
    return client


def _url(path: str, ids: dict) -> str:
    for prefix, pk in ids.items():
        path = path.replace(prefix, prefix.replace("{id}", str(pk)))
    return path.replace("{key}", "mql_sal")


def _state() -> dict:
    models = (Lead, StageTransition, WebhookSubscription, Campaign, User, IdempotencyRecord)
    return {model.__name__: model.objects.count() for model in models}


FORM = "email=form%40example.com&to=sal&username=x&password=y"
MULTIPART = '--b\r\nContent-Disposition: form-data; name="to"\r\n\r\nsal\r\n--b--\r\n'


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (FORM, "application/x-www-form-urlencoded"),
        (MULTIPART, "multipart/form-data; boundary=b"),
        ("to=sal", "text/plain"),
    ],
    ids=["form", "multipart", "text"],
)
def test_a_body_that_is_not_json_answers_415_json_and_changes_nothing(
    schema, admin_api, body, content_type
):
    before = _state()
    wrong = {}
    for name, operation in operations(schema):
        if "requestBody" not in operation:
            continue
        method, path = name.split(" ", 1)
        response = admin_api.generic(
            method,
            _url(path, admin_api.ids),
            body.encode(),
            content_type=content_type,
            HTTP_IDEMPOTENCY_KEY="not-json-1",
        )
        answer = response.json() if response["Content-Type"] == "application/json" else None
        code = answer["code"] if answer else None
        if (response.status_code, code) != (415, "unsupported_media_type"):
            wrong[name] = (response.status_code, answer or response.content[:80])

    assert wrong == {}
    assert _state() == before


def test_json_with_a_charset_is_json(admin_api):
    response = admin_api.generic(
        "POST",
        "/api/v1/auth/token/",
        json.dumps({"username": "nobody", "password": "wrong"}).encode(),
        content_type="application/json; charset=utf-8",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
