"""The handoffs API: each pair with its target and the SLA agreement in force."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from funnel.models import HandoffPair, HandoffTarget, Role
from funnel.tests.api.test_directory import GARBAGE


def test_anonymous_callers_read_no_handoff(as_role):
    for url in ["handoffs", "handoffs/mql_sal"]:
        assert as_role(None).get(f"/api/v1/{url}/").status_code == 401, url


def test_a_handoff_shows_its_target_and_the_agreement_in_force(as_role):
    body = as_role(Role.SALES).get("/api/v1/handoffs/mql_sal/").json()

    assert {k: body[k] for k in ("key", "offered_stage", "accepted_stage", "target_rate")} == {
        "key": "mql_sal",
        "offered_stage": "mql",
        "accepted_stage": "sal",
        "target_rate": 1.0,
    }
    agreement = body["agreement"]
    assert (agreement["version"], agreement["accept_within_hours"], agreement["min_touches"]) == (
        1,
        8.0,
        3,
    )
    assert {"clock": "accept", "after_hours": 4.0, "action": "escalate"} in agreement["steps"]


def test_handoffs_are_listed(as_role):
    results = as_role(Role.INSIDE).get("/api/v1/handoffs/").json()["results"]

    assert [h["key"] for h in results] == ["qi_qia", "mql_sal"]


def test_an_unknown_handoff_answers_404(as_role):
    response = as_role(Role.ADMIN).get("/api/v1/handoffs/nope/")

    assert response.status_code == 404


@pytest.mark.parametrize("role", [Role.MARKETING, Role.ADMIN, "superuser"])
def test_marketing_sets_a_handoff_s_target_rate(as_role, role):
    response = as_role(role).patch(
        "/api/v1/handoffs/mql_sal/", {"target_rate": 0.6, "name": "Inside to sales"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["target_rate"], response.json()["name"]) == (0.6, "Inside to sales")
    pair = HandoffPair.objects.get(key="mql_sal")
    assert (pair.target_rate, pair.name) == (Decimal("0.600"), "Inside to sales")


@pytest.mark.parametrize("role", [Role.SALES, Role.INSIDE, Role.MANAGER, Role.INTEGRATION, None])
def test_other_roles_may_not_change_a_handoff(as_role, role):
    response = as_role(role).patch("/api/v1/handoffs/mql_sal/", {"target_rate": 0.5}, format="json")

    assert response.status_code == (401 if role is None else 403)
    assert HandoffPair.objects.get(key="mql_sal").target_rate == Decimal(1)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"target_rate": 1.5}, {"target_rate"}),
        ({"target_rate": -0.1}, {"target_rate"}),
        ({"target_rate": "60%"}, {"target_rate"}),
        ({"target_rate": 0.1234}, {"target_rate"}),
        ({"target_rate": None}, {"target_rate"}),
        ({"target_rate": "NaN"}, {"target_rate"}),
        ({"target_rate": 10**400}, None),  # not JSON Python reads: a parse error
        ({"target_rate": True}, {"target_rate"}),
        ({"name": ""}, {"name"}),
        (
            {"target_rate": 0.5, "offered_stage": "qi", "agreement": {"version": 2}},
            {"offered_stage", "agreement"},
        ),
        ({"key": "renamed"}, {"key"}),
    ],
)
def test_a_bad_handoff_change_is_refused_and_changes_nothing(as_role, body, fields):
    response = as_role(Role.MARKETING).patch("/api/v1/handoffs/mql_sal/", body, format="json")

    assert response.status_code == 400
    if fields is not None:
        assert set(response.json()["errors"]) == fields
    pair = HandoffPair.objects.get(key="mql_sal")
    assert (pair.target_rate, pair.offered_stage.key) == (Decimal(1), "mql")


HANDOFF_CHANGE = {
    "name": "Inside to sales",
    "target_rate": "0.5",
    "target_effective_from": "2026-04-01",
}


@pytest.mark.parametrize("field", HANDOFF_CHANGE)
def test_no_value_of_any_field_breaks_a_handoff_change(as_role, field):
    client = as_role(Role.ADMIN)
    for value in GARBAGE:
        with transaction.atomic():
            response = client.patch(
                "/api/v1/handoffs/mql_sal/", {**HANDOFF_CHANGE, field: value}, format="json"
            )
            transaction.set_rollback(True)
        assert response.status_code < 500, (field, value)
        if response.status_code >= 400:
            assert set(response.json()) >= {"detail", "code"}, (field, value)


@pytest.mark.parametrize(
    "param", ["page", "page_size", "ordering", "q", "role", "team", "is_active", "purpose"]
)
def test_no_query_breaks_the_handoff_list(as_role, param):
    client = as_role(Role.ADMIN)
    for value in ["-1", "0", "9" * 30, "abc", "", "nul\x00byte", "-id,,name", "__class__"]:
        response = client.get("/api/v1/handoffs/", {param: value})

        assert response.status_code in (200, 400, 404), (param, value)


# --- targets over time (targets) -------------------------------------------------------------

MARCH = datetime.datetime(2026, 3, 15, 12, tzinfo=datetime.UTC)


def test_a_target_from_next_quarter_holds_from_its_day_without_a_write(as_role):
    marketer = as_role(Role.MARKETING)
    with time_machine.travel(MARCH, tick=False):
        response = marketer.patch(
            "/api/v1/handoffs/mql_sal/",
            {"target_rate": 0.6, "target_effective_from": "2026-04-01"},
            format="json",
        )
        assert response.status_code == 200, response.json()
        assert response.json()["target_rate"] == 1.0  # today's target is still 100%

    with time_machine.travel(datetime.datetime(2026, 4, 1, 8, tzinfo=datetime.UTC), tick=False):
        detail = marketer.get("/api/v1/handoffs/mql_sal/").json()
        listed = {h["key"]: h for h in marketer.get("/api/v1/handoffs/").json()["results"]}

    assert detail["target_rate"] == listed["mql_sal"]["target_rate"] == 0.6
    assert listed["qi_qia"]["target_rate"] == 1.0


def test_a_target_change_is_a_version_with_who_made_it(as_role):
    marketer = as_role(Role.MARKETING)
    with time_machine.travel(MARCH, tick=False):
        marketer.patch("/api/v1/handoffs/mql_sal/", {"target_rate": 0.6}, format="json")

    version = HandoffTarget.objects.get(handoff__key="mql_sal", effective_from="2026-03-15")
    assert (version.rate, version.created_by.username) == (Decimal("0.600"), "dir_marketing")


@pytest.mark.parametrize(
    "body",
    [
        {"target_effective_from": "2026-04-01"},  # a day with no rate
        {"target_rate": 0.6, "target_effective_from": "1999-12-31"},
        {"target_rate": 0.6, "target_effective_from": "2099-01-01"},
        {"target_rate": 0.6, "target_effective_from": "next week"},
    ],
)
def test_a_bad_target_day_is_refused_and_changes_nothing(as_role, body):
    with time_machine.travel(MARCH, tick=False):
        response = as_role(Role.MARKETING).patch("/api/v1/handoffs/mql_sal/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"target_effective_from"}
    assert not HandoffTarget.objects.exists()


def test_the_handoff_list_reads_every_target_in_one_query(as_role):
    client = as_role(Role.SALES)
    HandoffPair.objects.filter(key="qi_qia").update(target_rate=Decimal("0.9"))

    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/handoffs/").json()

    assert {h["key"]: h["target_rate"] for h in body["results"]} == {"qi_qia": 0.9, "mql_sal": 1.0}
    reads = [q["sql"] for q in queries if "funnel_handofftarget" in q["sql"]]
    assert len(reads) == 1, reads
