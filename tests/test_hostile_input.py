"""Hostile input gets a clear JSON 4xx in the API's error shape, and changes nothing.

Deep nesting, lone surrogates, days out of range, strings longer than their column, control
characters in the Idempotency-Key header, bodies over the size limit.
"""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from funnel.models import Campaign, ReasonCode, Role, User
from funnel.tests.factories import UserFactory
from handoff.models import Disposition, Lead
from handoff.services.ingest import BATCH_MAX
from handoff.tests.factories import LeadFactory
from leadflow.api.exceptions import BODY_TOO_LARGE
from leadflow.api.idempotency import KEY_INVALID
from leadflow.api.parsers import MAX_DEPTH, TOO_DEEP
from leadflow.csv import FORMULA_STARTS, NUMBER, csv_cell
from reporting.params import DAY_OUT_OF_RANGE
from reporting.tests.conftest import berlin, berlin_time, report_people  # noqa: F401 (fixtures)
from reporting.tests.history import CHECK_AT, WEEK, travel
from reporting.tests.test_weekly_report import week_history  # noqa: F401 (fixture)
from reporting.weekly import weekly_report_build

pytestmark = pytest.mark.django_db


def _post(client, url, body: bytes, **headers):
    return client.generic("POST", url, body, content_type="application/json", headers=headers)


def _nested(levels: int) -> str:
    return '{"a": ' * levels + "1" + "}" * levels


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_json_nested_too_deep_is_refused(api_as, funnel, depth):
    body = '{"email": "deep@example.com", "attributes": ' + _nested(depth - 1) + "}"  # depth

    response = _post(api_as(), reverse("lead-list"), body.encode())

    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP, "code": "parse_error"}
    assert not Lead.objects.exists()


def test_json_nested_too_deep_is_refused_by_the_token_endpoint_too(client, funnel):
    body = '{"username": "x", "password": ' + _nested(100_000) + "}"

    response = _post(client, "/api/v1/auth/token/", body.encode())

    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP, "code": "parse_error"}


def test_json_nested_to_the_limit_is_taken(api_as, funnel):
    body = '{"email": "deep@example.com", "attributes": ' + _nested(MAX_DEPTH - 1) + "}"

    response = _post(api_as(), reverse("lead-list"), body.encode())

    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (r'{"email": "s@example.com", "attributes": {"plan": "\ud800"}}', "/attributes/plan"),
        (r'{"email": "s@example.com", "attributes": {"\udfff": 1}}', r"/attributes/\udfff"),
        (r'{"email": "s@example.com", "company": "Acme \ud83d"}', "/company"),
    ],
)
def test_a_lone_surrogate_is_refused_naming_where_it_is(api_as, funnel, body, where):
    response = _post(api_as(), reverse("lead-list"), body.encode())

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert f"at {where}:" in response.json()["detail"]
    assert not Lead.objects.exists()


def test_a_surrogate_pair_is_text_and_taken(api_as, funnel):
    body = rb'{"email": "s@example.com", "company": "Acme \ud83d\ude00"}'

    response = _post(api_as(), reverse("lead-list"), body)

    assert response.status_code == 201
    assert Lead.objects.get().company == "Acme \U0001f600"


@pytest.mark.parametrize(
    ("name", "query", "field"),
    [
        ("report-black-hole", "end=0001-01-01", "end"),
        ("report-black-hole", "as_of=9999-12-31T23:59:59Z", "as_of"),
        ("report-plan", "end=0001-01-02&revenue_goal=100&weeks=4", "end"),
        ("report-handoffs", "start=0001-01-01&end=0001-01-02", "start"),
        ("report-funnel", "start=9999-12-01&end=9999-12-31", "start"),
        ("report-velocity", "start=2026-01-01&end=9999-12-31", "end"),
    ],
)
def test_a_report_day_out_of_range_is_refused_naming_the_parameter(api_as, funnel, name, query,
                                                                   field):  # fmt: skip
    response = api_as().get(f"{reverse(name)}?{query}")

    assert response.status_code == 400
    assert response.json()["errors"][field] == [DAY_OUT_OF_RANGE]


def _request_strings(schema: dict, operation: str):
    """(where, property schema) of every string a request body of `operation` takes."""
    components = schema["components"]["schemas"]

    def resolve(node):
        while "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]]
        return node

    def walk(node, where):
        node = resolve(node)
        if node.get("readOnly"):
            return
        if node.get("type") == "string":
            yield where, node
        for name, child in node.get("properties", {}).items():
            yield from walk(child, f"{where}.{name}")
        if "items" in node:
            yield from walk(node["items"], f"{where}[]")

    path, method = operation
    content = schema["paths"][path][method].get("requestBody", {}).get("content", {})
    if "application/json" in content:
        yield from walk(content["application/json"]["schema"], f"{method} {path}")


# Compared, never stored: DRF's own token serializer.
UNSTORED = {("/api/v1/auth/token/", "post")}
# Looked up, never stored: an unknown key is refused as bad input whatever its length.
LOOKUPS = {"post /api/v1/users/.team"}
# Bounded by their format: a day, a moment, a decimal; a choice is bounded by its choices.
BOUNDED_FORMATS = {"date", "date-time", "decimal"}


def test_every_string_a_request_body_takes_has_a_max_length():
    """A string longer than its column is refused as bad input, never a DataError (500)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [
        (path, method)
        for path, methods in schema["paths"].items()
        for method in methods
        if (path, method) not in UNSTORED
    ]
    unbounded = [
        where
        for operation in operations
        for where, prop in _request_strings(schema, operation)
        if "maxLength" not in prop and "enum" not in prop
        and prop.get("format") not in BOUNDED_FORMATS and where not in LOOKUPS
    ]  # fmt: skip

    assert unbounded == []


def test_a_transition_note_longer_than_a_note_is_refused(api_as, funnel):
    lead = LeadFactory()

    response = api_as().post(
        reverse("lead-transition", args=[lead.pk]), {"to": "qi", "note": "x" * 10_001}
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["note"]
    assert lead.transitions.count() == 0


@pytest.mark.parametrize("key", ["a\x00b", "line\nbreak", "\x7f"])
def test_an_idempotency_key_with_a_control_character_is_refused(api_as, funnel, key):
    response = api_as(role="integration").post(
        reverse("lead-bulk"),
        {"leads": [{"email": "key@example.com"}]},
        headers={"Idempotency-Key": key},
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"Idempotency-Key": [KEY_INVALID]}
    assert not Lead.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_over_the_limit_is_refused_with_413_before_it_is_parsed(api_as, funnel):
    body = b"not json at all " * 100  # parsed, this would be a 400

    response = _post(api_as(role="integration"), reverse("lead-bulk"), body)

    assert response.status_code == 413
    assert response.json() == {
        "detail": BODY_TOO_LARGE.format(limit=1000),
        "code": "too_large",
    }


def _longest_lead(index: int) -> dict:
    """A lead with every field at its longest, its text non-ASCII (escaped as \\uXXXX)."""
    text = "é"
    return {
        "email": f"{index:06d}{'x' * 230}@example.com",
        "first_name": text * 100,
        "last_name": text * 100,
        "phone": "1" * 50,
        "company": text * 200,
        "title": text * 200,
        "country": "FR",
        "region": text * 100,
        "city": text * 100,
        "industry": text * 100,
        "employees": 2**31 - 1,
        "source": text * 100,
        "external_id": f"{index:06d}" + "x" * 94,
        "crm_id": "c" * 100,
        "attributes": {"segment": text * 200},
    }


@pytest.mark.slow
def test_a_full_bulk_request_of_the_longest_leads_fits_under_the_default_limit(api_as, funnel):
    body = json.dumps({"leads": [_longest_lead(i) for i in range(BATCH_MAX)]}).encode()

    response = _post(api_as(role="integration"), reverse("lead-bulk"), body)

    assert response.status_code == 200, response.content[:200]
    assert {row["status"] for row in response.json()["results"]} == {"created"}
    assert Lead.objects.count() == BATCH_MAX


# --- CSV exports: a cell a spreadsheet would run as a formula is neutralised -----------------

FORMULAS = {
    "first_name": '=HYPERLINK("http://evil.example","x")',
    "last_name": "",
    "company": "@SUM(A1:A9)",
    "competitor": "\rCarriage return first",
    "reason": "-2+3+cmd|' /C calc'!A0",
    "campaign": "\tTab first",
    "rep": "+cmd|' /C calc'!A0",  # a name: get_full_name() strips, so no CR here
}


@pytest.fixture
def formula_week(week_history):  # noqa: F811 (the imported fixture)
    """The W47 report built after user text was set to formulas, through the real build."""
    won = Disposition.objects.get(kind="won", at__gte=berlin(2026, 11, 16))
    Lead.objects.filter(pk=won.lead_id).update(
        first_name=FORMULAS["first_name"], last_name="", company=FORMULAS["company"]
    )
    User.objects.filter(pk=won.actor_id).update(first_name=FORMULAS["rep"], last_name="")
    lost = Disposition.objects.get(kind="lost", at__gte=berlin(2026, 11, 16))
    Disposition.objects.filter(pk=lost.pk).update(competitor=FORMULAS["competitor"])
    ReasonCode.objects.filter(pk=lost.reason_id).update(label=FORMULAS["reason"])
    Campaign.objects.filter(name="Winter launch").update(name=FORMULAS["campaign"])
    with travel(CHECK_AT):
        report, _ = weekly_report_build(week=WEEK)
    return report


def test_the_weekly_csv_neutralises_formula_cells_from_the_database(formula_week, client):
    client.force_login(UserFactory(username="csv_formulas", role=Role.MARKETING))

    response = client.get(reverse("reporting:weekly-csv", args=[formula_week.pk]))

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    cells = [cell for row in rows for cell in row]
    for value in filter(None, FORMULAS.values()):
        assert value not in cells, value
        assert "'" + value in cells, value
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)
                and not NUMBER.fullmatch(cell)]  # fmt: skip
    won = next(row for row in rows if row[:1] == ["won"])
    assert won[3] == "12000.0"  # a real number stays a number


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1 555 0100", "'+1 555 0100"),  # a phone number is text, and Excel would compute it
        ("-", "'-"),
        ("@me", "'@me"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12", "-12"),
        ("-0.25", "-0.25"),
        ("+3.5e2", "+3.5e2"),
        ("a=b", "a=b"),
        (-12, -12),
        (Decimal("-1.50"), Decimal("-1.50")),
        (None, None),
    ],
)
def test_csv_cell_prefixes_text_that_starts_like_a_formula(value, cell):
    assert csv_cell(value) == cell


# --- Content types, encodings, and every text field of every write endpoint ------------------


def test_a_body_that_is_not_json_is_refused_with_415(api_as, funnel):
    response = api_as().generic(
        "POST", reverse("lead-list"), b"email=x@example.com", content_type="text/plain"
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    "body",
    [b'{"email": "\xff@example.com"}', b'{"email": "a@example.com", "company": "\xc3\x28"}',
     b'\xef\xbb\xbf{"email": "bom@example.com"}', b'{"email": "\xed\xa0\x80@example.com"}'],
)  # fmt: skip
def test_a_body_that_is_not_utf8_is_refused_as_json(api_as, funnel, body):
    response = _post(api_as(), reverse("lead-list"), body)

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert not Lead.objects.exists()


@pytest.fixture
def targets(funnel):
    """Objects for the ids in write paths: a lead, a webhook, a handoff."""
    from funnel.models import HandoffPair
    from handoff.services.setup import handoff_setup_defaults
    from integrations.models import WebhookSubscription

    handoff_setup_defaults()
    webhook = WebhookSubscription.objects.create(
        url="http://127.0.0.1:9/hook", owner=UserFactory(role=Role.INTEGRATION)
    )
    return {"/leads/{id}/": LeadFactory().pk, "/webhooks/{id}/": webhook.pk,
            "/handoffs/{key}/": HandoffPair.objects.first().key}  # fmt: skip


def _text_fields():
    """(operation, where, property) of every bounded string a JSON request body takes."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, methods in schema["paths"].items():
        for method in methods:
            for where, prop in _request_strings(schema, (path, method)):
                if "maxLength" in prop and "enum" not in prop and prop.get("format") is None:
                    yield (path, method), where.split(" ", 1)[1][len(path) :], prop["maxLength"]


def _body(where: str, value) -> dict:
    """`.leads[].company` with `value` -> {"leads": [{"company": value}]}."""
    steps = where.lstrip(".").split(".")
    node = value
    for step in reversed(steps):
        node = [{step[:-2]: node}] if step.endswith("[]") else {step: node}
    return node if not isinstance(node, list) else node[0]


TEXT_FIELDS = [f for f in _text_fields() if f[0] not in UNSTORED]


def _url(path: str, targets: dict) -> str:
    for pattern, value in targets.items():
        if pattern in path:
            return path.replace(pattern, pattern.split("{")[0] + f"{value}/")
    return path


@pytest.mark.parametrize("kind", ["nul", "too_long"])
@pytest.mark.parametrize(
    ("operation", "where", "max_length"),
    TEXT_FIELDS,
    ids=[f"{o[1]} {o[0]}{w}" for o, w, _ in TEXT_FIELDS],
)
def test_every_text_field_refuses_nul_and_overlong_text_naming_the_field(
    api_as, targets, operation, where, max_length, kind
):
    """NUL: PostgreSQL text cannot hold it, so it is refused (never a 500); too long: one over
    the schema's maxLength. Either way a 400 whose errors name the field, and nothing changes."""
    path, method = operation
    value = "a\x00b" if kind == "nul" else "x" * (max_length + 1)
    leads_before = Lead.objects.count()

    response = api_as(is_superuser=True).generic(
        method.upper(), _url(path, targets), json.dumps(_body(where, value)),
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 400, (response.status_code, response.content[:300])
    field = where.lstrip(".").split(".")[0].removesuffix("[]")
    assert field in response.json().get("errors", {}), response.json()
    assert Lead.objects.count() == leads_before
