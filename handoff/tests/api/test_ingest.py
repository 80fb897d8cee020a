import threading
import time

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from funnel.models import Role, Team
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from handoff.api import ingest as ingest_api
from handoff.api.ingest import BATCH_EMPTY, BATCH_TOO_BIG
from handoff.models import Activity, Lead, Offer, OfferStatus, ScoringRule, StageTransition, Touch
from handoff.services.leads import lead_create
from handoff.services.merge import MERGE_SELF
from handoff.services.offers import offer_accept, offer_route
from handoff.services.setup import handoff_setup_defaults
from handoff.services.work import activity_record, touch_log
from integrations.models import Event
from leadflow.api.idempotency import KEY_REUSED
from leadflow.models import IdempotencyRecord

LEADS = "/api/v1/leads/bulk/"
ACTIVITIES = "/api/v1/activities/bulk/"

ROWS = [
    {"external_id": "m-1", "email": "ann@acme.io", "company": "Acme"},
    {"external_id": "m-2", "email": "bob@acme.io", "stage": "qi", "score": 20},
    {"email": "cy@acme.io", "country": "de"},
]


def merge_url(lead: Lead) -> str:
    return f"/api/v1/leads/{lead.pk}/merge/"


@pytest.fixture
def integration(funnel, api_as):
    return api_as(Role.INTEGRATION, username="map")


def _post(client: APIClient, url: str, data, key: str | None = None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url, data, format="json", **headers)


def _statuses(response) -> list[str]:
    return [row["status"] for row in response.json()["results"]]


def _written() -> tuple[int, ...]:
    return (
        Lead.objects.count(),
        Event.objects.count(),
        StageTransition.objects.count(),
        Activity.objects.count(),
    )


# --- leads in bulk ----------------------------------------------------------------------------


def test_new_rows_are_created_in_input_order(integration):
    response = _post(integration, LEADS, {"leads": ROWS})

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["index"], r["status"], r["errors"]) for r in results] == [
        (0, "created", {}),
        (1, "created", {}),
        (2, "created", {}),
    ]
    leads = {lead.pk: lead for lead in Lead.objects.select_related("stage")}
    assert [(leads[r["id"]].email, leads[r["id"]].stage.key) for r in results] == [
        ("ann@acme.io", "inquiry"),
        ("bob@acme.io", "qi"),
        ("cy@acme.io", "inquiry"),
    ]


def test_the_same_payload_again_is_unchanged_and_writes_nothing(integration):
    first = _post(integration, LEADS, {"leads": ROWS})
    written = _written()

    again = _post(integration, LEADS, {"leads": ROWS})

    assert _statuses(again) == ["unchanged"] * 3
    assert [r["id"] for r in again.json()["results"]] == [r["id"] for r in first.json()["results"]]
    assert _written() == written


def test_a_row_updates_the_lead_with_its_external_id(integration):
    lead = lead_create(actor=None, external_id="m-1", email="ann@acme.io")

    response = _post(integration, LEADS, {"leads": [{"external_id": "m-1", "title": "CTO"}]})

    assert response.json()["results"] == [
        {"index": 0, "status": "updated", "id": lead.pk, "errors": {}}
    ]
    assert Lead.objects.get(pk=lead.pk).title == "CTO"


def test_a_row_updates_the_lead_with_its_email_trimmed_and_lower_cased(integration):
    lead = lead_create(actor=None, email="ann@acme.io")

    response = _post(integration, LEADS, {"leads": [{"email": " Ann@ACME.io ", "city": "Oslo"}]})

    assert (_statuses(response), response.json()["results"][0]["id"]) == (["updated"], lead.pk)
    assert Lead.objects.get(pk=lead.pk).city == "Oslo"


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "ann@acme.io", "colour": "red"}, "colour"),
        ({"email": "ann@acme.io", "owner": "rep"}, "owner"),
        ({"email": "ann@acme.io", "employees": "lots"}, "employees"),
        ({"email": "ann@acme.io", "attributes": "vip"}, "attributes"),
        ({"email": "ann@acme.io", "stage": "nowhere"}, "stage"),
        ({"company": "Acme"}, "non_field_errors"),
        ("ann@acme.io", "non_field_errors"),
    ],
)
def test_a_bad_row_is_an_error_naming_its_field_and_writes_nothing(integration, row, field):
    response = _post(integration, LEADS, {"leads": [row]})

    [result] = response.json()["results"]
    assert (response.status_code, result["status"], result["id"]) == (200, "error", None)
    assert list(result["errors"]) == [field]
    assert all(isinstance(m, str) for m in result["errors"][field])
    assert not Lead.objects.exists()


def test_an_unknown_field_is_named_with_why(integration):
    response = _post(integration, LEADS, {"leads": [{"email": "a@acme.io", "owner": "rep"}]})

    assert response.json()["results"][0]["errors"] == {
        "owner": ["Changes only by accepting or assigning the lead's offer."]
    }


def test_a_bad_row_between_good_ones_blocks_neither(integration):
    rows = [ROWS[0], {"email": "nope", "company": "Bad"}, ROWS[2]]

    response = _post(integration, LEADS, {"leads": rows})

    assert _statuses(response) == ["created", "error", "created"]
    assert sorted(Lead.objects.values_list("email", flat=True)) == ["ann@acme.io", "cy@acme.io"]


def test_a_row_changing_an_existing_leads_stage_is_an_error(integration):
    lead = lead_create(actor=None, external_id="m-1")

    response = _post(integration, LEADS, {"leads": [{"external_id": "m-1", "stage": "mql"}]})

    assert list(response.json()["results"][0]["errors"]) == ["stage"]
    assert Lead.objects.get(pk=lead.pk).stage.key == "inquiry"


def test_a_second_row_for_the_same_person_updates_the_lead_the_first_created(integration):
    rows = [
        {"external_id": "m-1", "email": "ann@acme.io"},
        {"external_id": "m-1", "company": "Acme"},
        {"email": "ANN@acme.io", "company": "Acme"},
    ]

    response = _post(integration, LEADS, {"leads": rows})

    assert _statuses(response) == ["created", "updated", "unchanged"]
    assert len({r["id"] for r in response.json()["results"]}) == 1
    assert Lead.objects.get().company == "Acme"


def test_more_than_1000_rows_are_refused_whole(integration):
    rows = [{"email": f"lead{n}@acme.io"} for n in range(1001)]

    response = _post(integration, LEADS, {"leads": rows}, key="too-big")

    assert response.status_code == 400
    assert response.json()["errors"] == {"leads": [BATCH_TOO_BIG]}
    assert response.json()["code"] == "invalid"
    assert not Lead.objects.exists()
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("body", [{"leads": []}, {}, {"leads": "ann@acme.io"}])
def test_no_rows_are_refused(integration, body):
    response = _post(integration, LEADS, body)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["leads"]
    if body == {"leads": []}:
        assert response.json()["detail"] == BATCH_EMPTY


@pytest.mark.parametrize("role", [Role.INTEGRATION, Role.MARKETING, Role.ADMIN])
def test_integrations_marketing_and_admins_may_ingest(funnel, api_as, role):
    response = _post(api_as(role), LEADS, {"leads": [ROWS[0]]})

    assert _statuses(response) == ["created"]


@pytest.mark.parametrize("role", [Role.SALES, Role.INSIDE, Role.MANAGER])
def test_other_roles_may_not_ingest(funnel, api_as, role):
    response = _post(api_as(role), LEADS, {"leads": [ROWS[0]]}, key="k")

    assert response.status_code == 403
    assert not Lead.objects.exists()
    assert not IdempotencyRecord.objects.exists()


def test_ingestion_needs_a_login(funnel):
    assert _post(APIClient(), LEADS, {"leads": [ROWS[0]]}).status_code == 401


# --- Idempotency-Key ----------------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_answer_and_writes_nothing(integration):
    first = _post(integration, LEADS, {"leads": ROWS}, key="batch-1")
    written = _written()

    retry = _post(integration, LEADS, {"leads": ROWS}, key="batch-1")

    assert (retry.status_code, retry.json()) == (first.status_code, first.json())
    assert _statuses(retry) == ["created"] * 3
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert _written() == written


def test_a_retry_is_recognised_whatever_its_key_order_and_spacing(integration):
    first = _post(integration, LEADS, {"leads": [ROWS[0]]}, key="batch-1")
    body = '{ "leads" : [ {"company": "Acme", "email": "ann@acme.io", "external_id": "m-1"} ] }'

    retry = integration.post(
        LEADS, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="batch-1"
    )

    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_refused(integration):
    _post(integration, LEADS, {"leads": [ROWS[0]]}, key="batch-1")
    written = _written()

    response = _post(integration, LEADS, {"leads": [ROWS[1]]}, key="batch-1")

    assert response.status_code == 422
    assert response.json() == {"detail": KEY_REUSED, "code": "idempotency_key_reused"}
    assert _written() == written


def test_the_same_key_on_another_endpoint_is_refused(integration):
    lead_create(actor=None, external_id="m-1")
    _post(integration, LEADS, {"leads": [ROWS[0]]}, key="batch-1")
    activity = {"lead": {"external_id": "m-1"}, "kind": "form", "at": timezone.now()}

    response = _post(integration, ACTIVITIES, {"activities": [activity]}, key="batch-1")

    assert response.status_code == 422
    assert not Activity.objects.exists()


def test_another_users_request_with_the_same_key_is_its_own(integration, api_as):
    _post(integration, LEADS, {"leads": ROWS}, key="batch-1")

    response = _post(api_as(Role.MARKETING), LEADS, {"leads": ROWS}, key="batch-1")

    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response.headers
    assert _statuses(response) == ["unchanged"] * 3
    assert IdempotencyRecord.objects.count() == 2


def test_a_refused_request_keeps_no_key_so_its_fix_may_reuse_it(integration):
    _post(integration, LEADS, {"leads": []}, key="batch-1")

    response = _post(integration, LEADS, {"leads": [ROWS[0]]}, key="batch-1")

    assert _statuses(response) == ["created"]


def test_an_overlong_key_is_refused(integration):
    response = _post(integration, LEADS, {"leads": [ROWS[0]]}, key="k" * 256)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Idempotency-Key"]
    assert not Lead.objects.exists()


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_two_identical_requests_at_once_write_once(monkeypatch):
    """The second waits for the first's key, then replays its answer."""
    from integrations.tasks import webhook_dispatch_task

    # Given a first request held inside its transaction, after its writes
    monkeypatch.setattr(webhook_dispatch_task, "delay", lambda *args, **kwargs: None)
    funnel_setup_defaults()
    user = UserFactory(role=Role.INTEGRATION)
    real_ingest, wrote, finish = ingest_api.leads_ingest, threading.Event(), threading.Event()

    def ingest_then_wait(**kwargs):
        results = real_ingest(**kwargs)
        if threading.current_thread().name == "first":
            wrote.set()
            finish.wait(timeout=30)
        return results

    monkeypatch.setattr(ingest_api, "leads_ingest", ingest_then_wait)
    responses = {}

    def send() -> None:
        client = APIClient()
        client.force_authenticate(user)
        try:
            responses[threading.current_thread().name] = _post(
                client, LEADS, {"leads": ROWS}, key="batch-1"
            )
        finally:
            connection.close()

    first = threading.Thread(target=send, name="first")
    first.start()
    assert wrote.wait(timeout=10)

    # When the same request comes meanwhile, and the first then commits
    second = threading.Thread(target=send, name="second")
    second.start()
    deadline = time.monotonic() + 10
    while not _someone_waits_for_a_lock():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    finish.set()
    first.join(timeout=30)
    second.join(timeout=30)

    # Then the second replays the first's answer, and the leads were written once
    assert responses["second"].json() == responses["first"].json()
    assert _statuses(responses["second"]) == ["created"] * 3
    assert responses["second"].headers["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 3
    assert Event.objects.filter(type="lead.created").count() == 3


# --- activities in bulk -------------------------------------------------------------------------


def _activity(lead_ref: dict, kind: str = "page_visit", **extra) -> dict:
    return {"lead": lead_ref, "kind": kind, "at": timezone.now().isoformat(), **extra}


def test_activities_are_recorded_and_scored(integration):
    lead = lead_create(actor=None, external_id="m-1", email="ann@acme.io")
    ScoringRule.objects.create(name="Pricing", kind="page_visit", contains="/pricing", points=15)
    rows = [
        _activity({"external_id": "m-1"}, detail={"url": "/pricing"}),
        _activity({"email": "ANN@acme.io"}, kind="email_open"),
    ]

    response = _post(integration, ACTIVITIES, {"activities": rows})

    assert _statuses(response) == ["created", "created"]
    ids = [r["id"] for r in response.json()["results"]]
    assert sorted(Activity.objects.filter(lead=lead).values_list("pk", flat=True)) == sorted(ids)
    assert Lead.objects.get(pk=lead.pk).score == 15


def test_an_activity_for_an_unknown_lead_is_an_error_naming_lead(integration):
    lead_create(actor=None, external_id="m-1")
    rows = [_activity({"external_id": "m-1"}), _activity({"email": "who@acme.io"})]

    response = _post(integration, ACTIVITIES, {"activities": rows})

    assert _statuses(response) == ["created", "error"]
    assert response.json()["results"][1]["errors"] == {
        "lead": ["No lead with email 'who@acme.io'."]
    }
    assert Activity.objects.count() == 1


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (_activity({"external_id": "m-1"}, kind="telepathy"), "kind"),
        (_activity({"external_id": "m-1"}, at="yesterday"), "at"),
        (_activity({"email": "nope"}), "lead.email"),
        (_activity({}), "lead"),
        (_activity({"external_id": "m-1"}, points=100), "points"),
    ],
)
def test_a_bad_activity_is_an_error_naming_its_field(integration, row, field):
    lead_create(actor=None, external_id="m-1")

    response = _post(integration, ACTIVITIES, {"activities": [row]})

    assert list(response.json()["results"][0]["errors"]) == [field]
    assert not Activity.objects.exists()


def test_an_activity_retry_with_the_same_key_writes_nothing(integration):
    lead_create(actor=None, external_id="m-1")
    body = {"activities": [_activity({"external_id": "m-1"})]}
    first = _post(integration, ACTIVITIES, body, key="act-1")

    retry = _post(integration, ACTIVITIES, body, key="act-1")

    assert retry.json() == first.json()
    assert Activity.objects.count() == 1


def test_sales_may_not_send_activities(funnel, api_as):
    lead_create(actor=None, external_id="m-1")

    response = _post(
        api_as(Role.SALES), ACTIVITIES, {"activities": [_activity({"external_id": "m-1"})]}
    )

    assert response.status_code == 403
    assert not Activity.objects.exists()


def test_more_than_1000_activities_are_refused_whole(integration):
    lead_create(actor=None, external_id="m-1")
    rows = [_activity({"external_id": "m-1"})] * 1001

    response = _post(integration, ACTIVITIES, {"activities": rows})

    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"activities": [BATCH_TOO_BIG]},
    )
    assert not Activity.objects.exists()


# --- merge ------------------------------------------------------------------------------------


@pytest.fixture
def pair(funnel):
    """A survivor (a web form's lead) and a duplicate the platform sent, worked by sales:
    accepted, touched, with an activity. The duplicate has mql and sal transitions."""
    handoff_setup_defaults()
    rep = UserFactory(role=Role.SALES, team=Team.objects.get(key="sales"))
    survivor = lead_create(actor=None, email="ann@acme.io", company="Acme")
    duplicate = lead_create(actor=None, stage="mql", external_id="m-dup", phone="+47 1234")
    offer = offer_route(offer_id=Offer.objects.get(lead=duplicate).pk)
    offer_accept(offer=offer, actor=rep)
    touch_log(lead=duplicate, actor=rep, kind="call")
    activity_record(lead=duplicate, kind="form", at=timezone.now())
    return survivor, Lead.objects.get(pk=duplicate.pk)


def _state(*leads: Lead) -> list[tuple]:
    return [
        (lead.pk, lead.merged_into_id, lead.phone, lead.offers.count(), lead.touches.count())
        for lead in Lead.objects.filter(pk__in=[lead.pk for lead in leads]).order_by("pk")
    ]


def test_merge_answers_with_the_survivor(pair, api_as):
    survivor, duplicate = pair

    response = api_as(Role.MARKETING).post(merge_url(survivor), {"duplicate": duplicate.pk})

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["phone"]) == (survivor.pk, "+47 1234")
    assert response.json()["email"] == "ann@acme.io"


def test_merge_keeps_every_transition_of_both_leads(pair, api_as):
    survivor, duplicate = pair

    api_as(Role.MARKETING).post(merge_url(survivor), {"duplicate": duplicate.pk})

    history = StageTransition.objects.filter(
        lead__in=[survivor, *Lead.objects.get(pk=survivor.pk).merged_leads.all()]
    )
    assert sorted((t.lead_id, t.to_stage.key) for t in history) == sorted(
        [(survivor.pk, "inquiry"), (duplicate.pk, "mql"), (duplicate.pk, "sal")]
    )
    assert StageTransition.objects.count() == 3


def test_merge_moves_offers_touches_and_activities_and_keeps_the_duplicate(pair, api_as):
    survivor, duplicate = pair

    api_as(Role.ADMIN).post(merge_url(survivor), {"duplicate": duplicate.pk})

    assert set(Offer.objects.values_list("lead_id", flat=True)) == {survivor.pk}
    assert set(Touch.objects.values_list("lead_id", flat=True)) == {survivor.pk}
    assert set(Activity.objects.values_list("lead_id", flat=True)) == {survivor.pk}
    kept = Lead.objects.get(pk=duplicate.pk)
    assert (kept.merged_into_id, kept.external_id) == (survivor.pk, "m-dup")
    assert Offer.objects.get().closed_at is not None  # its clocks stopped


def test_ingestion_by_the_duplicates_external_id_lands_on_the_survivor(pair, api_as, integration):
    survivor, duplicate = pair
    api_as(Role.MARKETING).post(merge_url(survivor), {"duplicate": duplicate.pk})

    leads = _post(integration, LEADS, {"leads": [{"external_id": "m-dup", "title": "CTO"}]})
    activity = _activity({"external_id": "m-dup"})
    activities = _post(integration, ACTIVITIES, {"activities": [activity]})

    assert leads.json()["results"][0] == {
        "index": 0,
        "status": "updated",
        "id": survivor.pk,
        "errors": {},
    }
    assert Lead.objects.get(pk=survivor.pk).title == "CTO"
    assert Activity.objects.get(pk=activities.json()["results"][0]["id"]).lead_id == survivor.pk


def test_a_lead_cannot_be_merged_into_itself(pair, api_as):
    survivor, duplicate = pair
    before = _state(survivor, duplicate)

    response = api_as(Role.MARKETING).post(merge_url(survivor), {"duplicate": survivor.pk})

    assert response.status_code == 400
    assert response.json()["errors"] == {"duplicate": [MERGE_SELF]}
    assert _state(survivor, duplicate) == before


def test_a_merged_lead_cannot_be_merged_again(pair, api_as):
    survivor, duplicate = pair
    other = lead_create(actor=None, email="bob@acme.io")
    client = api_as(Role.MARKETING)
    client.post(merge_url(survivor), {"duplicate": duplicate.pk})
    before = _state(survivor, duplicate, other)

    again = client.post(merge_url(other), {"duplicate": duplicate.pk})
    into_merged = client.post(merge_url(duplicate), {"duplicate": other.pk})

    assert (again.status_code, again.json()["code"]) == (409, "merge_refused")
    assert f"already merged into lead {survivor.pk}" in again.json()["detail"]
    assert (into_merged.status_code, into_merged.json()["code"]) == (409, "merge_refused")
    assert _state(survivor, duplicate, other) == before


def test_a_lead_you_may_not_see_is_not_found(pair, api_as):
    survivor, duplicate = pair
    sales_manager = api_as(Role.MANAGER, team=Team.objects.get(key="sales"))
    before = _state(survivor, duplicate)

    # the duplicate is in SAL (sales' team); the survivor, an inquiry, is marketing's
    hidden_survivor = sales_manager.post(merge_url(survivor), {"duplicate": duplicate.pk})
    hidden_duplicate = sales_manager.post(merge_url(duplicate), {"duplicate": survivor.pk})

    assert (hidden_survivor.status_code, hidden_duplicate.status_code) == (404, 404)
    assert _state(survivor, duplicate) == before


def test_a_manager_may_merge_their_teams_leads(pair, api_as):
    survivor, _ = pair
    marketing_manager = api_as(Role.MANAGER, team=Team.objects.get(key="marketing"))
    other = lead_create(actor=None, email="bob@acme.io")

    response = marketing_manager.post(merge_url(survivor), {"duplicate": other.pk})

    assert response.status_code == 200
    assert Lead.objects.get(pk=other.pk).merged_into_id == survivor.pk


@pytest.mark.parametrize("role", [Role.SALES, Role.INSIDE])
def test_reps_may_not_merge(pair, api_as, role):
    survivor, duplicate = pair
    before = _state(survivor, duplicate)

    response = api_as(role).post(merge_url(survivor), {"duplicate": duplicate.pk})

    assert response.status_code == 403
    assert _state(survivor, duplicate) == before


def test_a_merge_of_the_pending_offers_of_both_leaves_one_pending(funnel, api_as):
    handoff_setup_defaults()
    UserFactory(role=Role.SALES, team=Team.objects.get(key="sales"))
    survivor = lead_create(actor=None, stage="mql", email="ann@acme.io")
    duplicate = lead_create(actor=None, stage="mql", email="dup@acme.io")

    response = api_as(Role.ADMIN).post(merge_url(survivor), {"duplicate": duplicate.pk})

    assert response.status_code == 200
    assert sorted(Offer.objects.filter(lead=survivor).values_list("status", flat=True)) == [
        OfferStatus.PENDING,
        OfferStatus.WITHDRAWN,
    ]


# --- a full batch, set-based ----------------------------------------------------------------


def test_a_full_batch_is_a_few_dozen_statements_and_three_messages(
    integration, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # Given 500 leads the platform sent before
    handoff_setup_defaults()
    first = [{"external_id": f"m-{n}", "email": f"lead{n}@acme.io"} for n in range(500)]
    assert _statuses(_post(integration, LEADS, {"leads": first})) == ["created"] * 500
    # When it sends them again changed, with 500 new ones, a tenth of them straight to MQL
    again = [{"external_id": f"m-{n}", "title": "CTO"} for n in range(500)]
    new = [
        {"external_id": f"n-{n}", "email": f"new{n}@acme.io", "stage": "mql" if n % 10 else "qi"}
        for n in range(500)
    ]
    with (
        django_capture_on_commit_callbacks() as enqueued,
        django_assert_max_num_queries(50),
    ):
        response = _post(integration, LEADS, {"leads": again + new}, key="full-batch")

    # Then every row is answered in order, in a fixed number of statements
    assert _statuses(response) == ["updated"] * 500 + ["created"] * 500
    assert Lead.objects.filter(title="CTO").count() == 500
    assert Offer.objects.filter(lead__external_id__startswith="n-").count() == 500
    assert StageTransition.objects.filter(lead__external_id__startswith="n-").count() == 500
    # and the leads' events, their offers' events and the offers' routing go in one message each
    assert [callback.func.__self__.name for callback in enqueued] == [
        "integrations.tasks.webhook_dispatch_batch_task",
        "integrations.tasks.webhook_dispatch_batch_task",
        "handoff.tasks.offers_route_task",
    ]
