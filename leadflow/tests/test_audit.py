"""The audit trail of configuration: who changed what, when, old → new.

The project shell imports no domain app, so these tests reach the funnel through its HTTP
surface (the API, the admin) and its models through the app registry.
"""

import datetime

import pytest
import time_machine
from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import update_last_login
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from leadflow.audit import audit_actor, audit_models, audit_trail

pytestmark = pytest.mark.django_db

HANDOFF = "/api/v1/handoffs/mql_sal/"
WEBHOOKS = "/api/v1/webhooks/"
MARCH = datetime.datetime(2026, 3, 15, 12, tzinfo=datetime.UTC)


def model(name: str):
    return apps.get_model(*name.split("."))


@pytest.fixture
def marketer(funnel):
    return get_user_model().objects.create_user(
        username="mona", password="pw", role="marketing", email="mona@example.com"
    )


@pytest.fixture
def signed_in(client, marketer):
    client.force_login(marketer)
    return client


@pytest.fixture
def root(funnel):
    return get_user_model().objects.create_superuser(username="root", password="pw")


# --- who and old → new ----------------------------------------------------------------------


def test_a_change_by_a_signed_in_user_records_who_and_old_to_new(signed_in):
    pair = model("funnel.HandoffPair").objects.get(key="mql_sal")
    old = pair.name

    response = signed_in.patch(
        HANDOFF, {"name": "Inside to sales"}, content_type="application/json"
    )

    assert response.status_code == 200, response.content
    row = audit_trail(pair)[0]  # after its creation by setup_funnel
    assert (row.who, row.action, row.what, row.model) == (
        "mona",
        "changed",
        "Inside to sales",
        "Handoff pair",
    )
    assert row.changes == [("Name", old, "Inside to sales")]


def test_a_change_through_an_api_token_names_the_tokens_user(api_as, funnel):
    client = api_as("marketing", username="tok")  # no session: the view knows the user

    with time_machine.travel(MARCH, tick=False):
        client.patch(HANDOFF, {"target_rate": 0.6}, format="json")

    rows = audit_trail(model("funnel.HandoffTarget"))
    assert [(r.who, r.action) for r in rows] == [("tok", "created"), ("tok", "created")]
    today, baseline = rows
    assert ("Rate", None, "0.600") in today.changes
    assert ("Effective from", None, "2026-03-15") in today.changes
    assert ("Rate", None, "1.000") in baseline.changes  # the rate before, since 2000-01-01


def test_a_change_outside_any_request_is_the_systems_or_the_named_actors(marketer):
    stage = model("funnel.Stage").objects.get(key="mql")

    stage.name = "Marketing qualified"
    stage.save()
    with audit_actor(marketer):
        stage.name = "MQL"
        stage.save()

    changed, renamed, created = audit_trail(stage)
    assert (changed.who, changed.changes) == ("mona", [("Name", "Marketing qualified", "MQL")])
    assert (renamed.who, renamed.changes) == (
        "system",
        [("Name", "Marketing Qualified Lead", "Marketing qualified")],
    )
    assert (created.who, created.action) == ("system", "created")  # by setup_funnel
    assert ("Key", None, "mql") in created.changes
    assert "ID" not in [field for field, _, _ in created.changes]


def test_a_related_object_is_shown_by_its_name_a_choice_by_its_label_a_flag_as_yes_or_no(
    marketer,
):
    team = model("funnel.Team").objects.get(key="sales")
    user = get_user_model().objects.get(username="mona")

    with audit_actor(marketer):
        user.team, user.role, user.is_active = team, "manager", False
        user.save()

    (row, *_) = audit_trail(user)
    assert row.changes == [  # in the model's field order
        ("Active", "yes", "no"),
        ("Role", "Marketing", "Manager"),
        ("Team", None, "Sales"),
    ]


# --- what is never recorded -------------------------------------------------------------------


def test_a_webhook_secret_never_appears_in_the_trail(api_as, funnel):
    crm = api_as("integration", username="crm")
    created = crm.post(WEBHOOKS, {"url": "https://crm.example.com/", "secret": "s" * 24}).data
    rotated = crm.post(f"{WEBHOOKS}{created['id']}/rotate-secret/").data
    crm.patch(f"{WEBHOOKS}{created['id']}/", {"description": "CRM"})

    entries = LogEntry.objects.filter(
        content_type__app_label="integrations", content_type__model="webhooksubscription"
    )
    assert entries.count() == 2  # made, described; the rotation changes only the secret
    stored = str(list(entries.values()))
    assert created["secret"] not in stored and rotated["secret"] not in stored
    assert "secret" not in stored
    rows = audit_trail(model("integrations.WebhookSubscription"))
    assert ("Description", "", "CRM") in rows[0].changes
    assert [r.who for r in rows] == ["crm", "crm"]  # the token's user, signed in by the view


def test_a_password_and_a_sign_in_are_never_recorded(marketer):
    marketer.set_password("another-long-password")
    marketer.save(update_fields=["password"])
    before = LogEntry.objects.count()

    with CaptureQueriesContext(connection) as queries:
        update_last_login(None, marketer)  # what a sign-in writes

    assert len(queries) == 1  # the UPDATE: auditlog reads nothing for an untracked column
    assert LogEntry.objects.count() == before
    assert marketer.password not in str(list(LogEntry.objects.values()))


def test_the_lead_s_life_is_not_in_the_trail():
    audited = {m._meta.label for m in audit_models()}

    assert not audited & {
        "handoff.Lead",
        "handoff.Offer",
        "handoff.StageTransition",
        "handoff.Touch",
        "handoff.Activity",
        "integrations.Event",
        "integrations.WebhookDelivery",
    }
    assert audited >= {
        "funnel.Stage",
        "funnel.StageMove",
        "funnel.HandoffPair",
        "funnel.HandoffTarget",
        "funnel.ReasonCode",
        "funnel.Campaign",
        "funnel.Team",
        "funnel.Territory",
        "funnel.User",
        "handoff.ScoringRule",
        "handoff.RoutingRule",
        "handoff.RepProfile",
        "handoff.SlaAgreement",
        "handoff.SlaStep",
        "integrations.WebhookSubscription",
    }


def test_the_round_robin_clock_moving_is_not_a_change_of_its_rule(funnel):
    call_defaults()
    rule = model("handoff.RoutingRule").objects.first()
    before = LogEntry.objects.count()

    with CaptureQueriesContext(connection) as queries:
        rule.virtual_time += 1
        rule.save(update_fields=["virtual_time"])

    assert len(queries) == 1
    assert LogEntry.objects.count() == before


def call_defaults():
    from django.core.management import call_command

    call_command("setup_funnel", verbosity=0)


# --- reading the trail ------------------------------------------------------------------------


def test_the_trail_is_one_query_whatever_its_length(marketer, django_assert_num_queries):
    Stage = model("funnel.Stage")
    stages = list(Stage.objects.all()[:4])
    with audit_actor(marketer):
        for n in range(15):
            stage = stages[n % len(stages)]
            stage.entry_criteria = f"criteria {n}"
            stage.save()
    audit_trail(Stage)  # content types cached, as after the first page

    with django_assert_num_queries(1):
        rows = audit_trail(Stage, stages[0], Stage.objects.filter(key="mql"), limit=10)

    assert len(rows) == 10
    assert [r.changes[0][2] for r in rows[:2]] == ["criteria 14", "criteria 13"]
    assert all(r.who == "mona" for r in rows)


def test_the_fragment_renders_the_trail_escaped(marketer):
    stage = model("funnel.Stage").objects.get(key="mql")
    with audit_actor(marketer):
        stage.name = '<script>alert("x")</script>'
        stage.save()

    html = render_to_string("_audit_trail.html", {"audit": audit_trail(stage, limit=1)})

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "Marketing Qualified Lead" in html and "mona" in html
    assert "<del>Marketing Qualified Lead</del>" in html


def test_the_fragment_says_when_nothing_is_recorded():
    html = render_to_string("_audit_trail.html", {"audit": []})

    assert "No changes recorded yet." in html


# --- the admin ----------------------------------------------------------------------------------


def test_the_admin_history_page_shows_who_changed_what(client, root, marketer):
    stage = model("funnel.Stage").objects.get(key="mql")
    with audit_actor(marketer):
        stage.name = "Marketing qualified"
        stage.save()
    client.force_login(root)

    response = client.get(f"/admin/funnel/stage/{stage.pk}/history/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "mona" in page and "Marketing Qualified Lead" in page and "Marketing qualified" in page


def test_a_handoff_s_history_shows_its_target_versions(client, root, api_as):
    with time_machine.travel(MARCH, tick=False):
        api_as("marketing", username="tok").patch(HANDOFF, {"target_rate": 0.6}, format="json")
    pair = model("funnel.HandoffPair").objects.get(key="mql_sal")
    client.force_login(root)

    page = client.get(f"/admin/funnel/handoffpair/{pair.pk}/history/").content.decode()

    assert "0.600" in page and "2026-03-15" in page and "tok" in page


def test_the_log_entries_are_listed_for_superusers_only(client, root, marketer):
    stage = model("funnel.Stage").objects.get(key="mql")
    with audit_actor(marketer):
        stage.name = "MQL"
        stage.save()
    client.force_login(root)
    assert client.get("/admin/auditlog/logentry/").status_code == 200

    staff = get_user_model().objects.create_user(username="intern", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/auditlog/logentry/").status_code == 403
    assert client.get(f"/admin/funnel/stage/{stage.pk}/history/").status_code == 403


def test_an_unknown_object_s_history_answers_as_the_admin_does(client, root):
    client.force_login(root)

    response = client.get("/admin/funnel/stage/999999/history/")

    assert response.status_code in (302, 404)
