"""Accept, reject, claim, assign, disposition and touches, through the API."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from funnel.models import ReasonCode
from handoff.models import Disposition, Lead, Offer, OfferStatus, RoutingStrategy, Touch
from handoff.services.offers import NO_OPEN_OFFER, offer_accept
from handoff.services.work import TOO_FEW_TOUCHES, touch_log
from handoff.tests.factories import RoutingRuleFactory

from .conftest import offered_lead


def _post(client, lead, action, body):
    return client.post(f"/api/v1/leads/{lead.pk}/{action}/", body, format="json")


@pytest.fixture
def rep_client(people, client_for):
    return client_for(people.rep_a)


@pytest.fixture
def lead(people):
    """An MQL routed to api_rep_a."""
    return offered_lead()


@pytest.fixture
def accepted_lead(people, lead):
    """The MQL accepted by api_rep_a: a Sales Accepted Lead they own."""
    offer_accept(offer=Offer.objects.get(lead=lead), actor=people.rep_a)
    return Lead.objects.get(pk=lead.pk)


@pytest.fixture
def queued_lead(people):
    """An MQL waiting in the sales queue (a queue rule comes before the rotation)."""
    RoutingRuleFactory(position=1, strategy=RoutingStrategy.QUEUE)
    lead = offered_lead(email="queued@acme.com")
    assert Offer.objects.get(lead=lead).queue.key == "sales"
    return lead


# --- accept ------------------------------------------------------------------------------


def test_the_assignee_accepts_and_the_lead_becomes_theirs(lead, rep_client):
    response = _post(rep_client, lead, "accept", {"note": "Good fit"})

    assert response.status_code == 200
    body = response.json()
    assert (body["stage"], body["owner"]) == ("sal", "api_rep_a")
    assert body["current_offer"]["status"] == "accepted"
    assert Offer.objects.get(lead=lead).note == "Good fit"


def test_a_second_accept_answers_409_saying_who_decided(people, lead, rep_client, client_for):
    assert _post(rep_client, lead, "accept", {}).status_code == 200

    response = _post(client_for(people.manager), lead, "accept", {})

    assert response.status_code == 409
    assert response.json()["code"] == "offer_conflict"
    assert "already accepted by api_rep_a" in response.json()["detail"]


def test_accepting_a_lead_never_offered_answers_409(people, hidden_leads, client_for):
    response = _post(client_for(people.admin), hidden_leads.inquiry, "accept", {})

    assert response.status_code == 409
    assert response.json() == {"detail": NO_OPEN_OFFER, "code": "offer_conflict"}


def test_a_rep_who_does_not_hold_the_offer_cannot_see_the_lead(people, lead, client_for):
    response = _post(client_for(people.rep_b), lead, "accept", {})

    assert response.status_code == 404


# --- reject ------------------------------------------------------------------------------


def test_the_assignee_rejects_with_a_reason_and_the_lead_goes_back(lead, rep_client):
    response = _post(rep_client, lead, "reject", {"reason": "not_icp", "note": "Too small"})

    # The answer shows where the lead went, though the rep no longer sees it.
    assert response.status_code == 200
    assert (response.json()["stage"], response.json()["owner"]) == ("recycle", None)
    offer = Offer.objects.get(lead=lead)
    assert (offer.status, offer.reason.code, offer.note) == ("rejected", "not_icp", "Too small")


@pytest.mark.parametrize(
    "body",
    [{}, {"reason": ""}, {"reason": "spam"}, {"reason": "not_now"}, {"reason": "nonsense"}],
    ids=["missing", "blank", "a-disqualify-reason", "a-recycle-reason", "unknown"],
)
def test_reject_needs_a_reject_reason(lead, rep_client, body):
    response = _post(rep_client, lead, "reject", body)

    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assert Offer.objects.get(lead=lead).status == OfferStatus.PENDING


def test_reject_with_a_retired_reason_is_refused(lead, rep_client):
    ReasonCode.objects.filter(purpose="reject", code="not_icp").update(active=False)

    response = _post(rep_client, lead, "reject", {"reason": "not_icp"})

    assert response.status_code == 400
    assert response.json()["code"] == "reason_required"


def test_rejecting_a_decided_offer_answers_409(accepted_lead, rep_client):
    response = _post(rep_client, accepted_lead, "reject", {"reason": "not_icp"})

    assert response.status_code == 409
    assert response.json()["code"] == "offer_conflict"


# --- claim and assign --------------------------------------------------------------------


def test_a_member_of_the_queue_claims_its_offer(people, queued_lead, client_for):
    response = _post(client_for(people.rep_b), queued_lead, "claim", {})

    assert response.status_code == 200
    assert response.json()["current_offer"]["assignee"] == "api_rep_b"
    assert Offer.objects.get(lead=queued_lead).assignee == people.rep_b


def test_a_claimed_offer_cannot_be_claimed_again(people, queued_lead, client_for):
    _post(client_for(people.rep_b), queued_lead, "claim", {})

    # rep_a no longer sees it: the offer left the queue for rep_b.
    assert _post(client_for(people.rep_a), queued_lead, "claim", {}).status_code == 404
    response = _post(client_for(people.manager), queued_lead, "claim", {})
    assert response.status_code == 409
    assert "assigned to api_rep_b" in response.json()["detail"]


def test_the_manager_assigns_a_queued_offer(people, queued_lead, client_for):
    response = _post(client_for(people.manager), queued_lead, "assign", {"assignee": "api_rep_b"})

    assert response.status_code == 200
    offer = Offer.objects.get(lead=queued_lead)
    assert (offer.assignee, offer.queue) == (people.rep_b, None)


def test_a_rep_of_the_queue_may_not_assign(people, queued_lead, client_for):
    response = _post(client_for(people.rep_a), queued_lead, "assign", {"assignee": "api_rep_b"})

    assert response.status_code == 403
    assert response.json()["code"] == "offer_forbidden"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid"),
        ({"assignee": "nobody"}, "invalid"),
        ({"assignee": "api_inside"}, "offer_refused"),  # not a member of the sales team
        ({"assignee": ["api_rep_b"]}, "invalid"),
    ],
    ids=["missing", "unknown-user", "not-a-member", "a-list"],
)
def test_assign_needs_an_active_member_of_the_team(people, queued_lead, client_for, body, code):
    response = _post(client_for(people.manager), queued_lead, "assign", body)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert Offer.objects.get(lead=queued_lead).assignee is None


# --- disposition -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "stage"),
    [
        ({"disposition": "qualified"}, "sql"),
        ({"disposition": "won", "amount": "12500.00", "competitor": ""}, "won"),
        ({"disposition": "lost", "reason": "price", "competitor": "Initech"}, "lost"),
        ({"disposition": "recycle", "reason": "nurture"}, "recycle"),
        ({"disposition": "junk", "reason": "spam"}, "disqualified"),
    ],
    ids=lambda value: value if isinstance(value, str) else value["disposition"],
)
def test_the_owner_dispositions_the_lead(accepted_lead, rep_client, body, stage):
    response = _post(rep_client, accepted_lead, "disposition", {**body, "note": "Decided"})

    assert response.status_code == 200, response.json()
    assert response.json()["stage"] == stage
    record = Disposition.objects.get(lead=accepted_lead)
    assert (record.kind, record.note) == (body["disposition"], "Decided")
    assert (record.reason.code if record.reason else None) == body.get("reason")


def test_a_won_disposition_records_the_amount_and_close_date(accepted_lead, rep_client):
    _post(
        rep_client,
        accepted_lead,
        "disposition",
        {"disposition": "won", "amount": 12500, "close_date": "2026-03-31"},
    )

    record = Disposition.objects.get(lead=accepted_lead)
    assert (record.amount, record.close_date) == (Decimal(12500), datetime.date(2026, 3, 31))


def test_unable_to_reach_needs_the_agreed_touches(people, accepted_lead, rep_client):
    response = _post(rep_client, accepted_lead, "disposition", {"disposition": "unable_to_reach"})

    assert response.status_code == 409
    assert response.json() == {
        "detail": TOO_FEW_TOUCHES.format(needed=3, count=0),
        "code": "refused",
    }

    for _ in range(3):
        touch_log(lead=accepted_lead, actor=people.rep_a, kind="call", outcome="no_answer")
    response = _post(rep_client, accepted_lead, "disposition", {"disposition": "unable_to_reach"})
    assert (response.status_code, response.json()["stage"]) == (200, "recycle")


@pytest.mark.parametrize(
    "body",
    [
        {"disposition": "lost"},
        {"disposition": "lost", "reason": "not_now"},  # a recycle reason
        {"disposition": "recycle", "reason": "spam"},  # a disqualify reason
        {"disposition": "junk"},
        {"disposition": "qualified", "reason": "price"},  # takes none
        {"disposition": "won"},  # no amount
        {"disposition": "won", "amount": -5},
        {"disposition": "won", "amount": "lots"},
        {"disposition": "won", "amount": 1e20},
        {"disposition": "won", "amount": "NaN"},
        {"disposition": "won", "amount": 100, "close_date": "2026-02-30"},
        {"disposition": "maybe"},
        {"disposition": {"kind": "won"}},
        {"disposition": "qualified", "owner": "api_rep_b"},
    ],
)
def test_a_bad_disposition_is_refused_and_changes_nothing(accepted_lead, rep_client, body):
    response = _post(rep_client, accepted_lead, "disposition", body)

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert Lead.objects.get(pk=accepted_lead.pk).stage.key == "sal"
    assert not Disposition.objects.exists()


def test_a_lead_nobody_holds_cannot_be_dispositioned_by_its_assignee(lead, rep_client):
    """Pending, the offer is not yet the rep's lead: they accept or reject it first."""
    response = _post(rep_client, lead, "disposition", {"disposition": "qualified"})

    assert response.status_code == 409
    assert response.json()["code"] == "refused"


# --- touches -----------------------------------------------------------------------------


def test_logging_a_touch_answers_201_with_the_touch(people, accepted_lead, rep_client):
    at = timezone.now() - datetime.timedelta(hours=1)

    response = _post(
        rep_client,
        accepted_lead,
        "touches",
        {"kind": "call", "outcome": "connected", "at": at.isoformat(), "note": "Intro call"},
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["outcome"], body["user"], body["note"]) == (
        "call",
        "connected",
        "api_rep_a",
        "Intro call",
    )
    offer = Offer.objects.get(lead=accepted_lead)
    assert (body["offer"], offer.touch_count, offer.first_touch_at) == (offer.pk, 1, at)


def test_a_touch_takes_the_next_step_and_its_deadline(accepted_lead, rep_client):
    due = (timezone.now() + datetime.timedelta(days=2)).replace(microsecond=0)

    response = _post(
        rep_client,
        accepted_lead,
        "touches",
        {"kind": "call", "next_step": "Demo with the CFO", "next_step_due": due.isoformat()},
    )

    assert response.status_code == 201
    touch = Touch.objects.get(lead=accepted_lead)
    assert (touch.next_step, touch.next_step_due) == ("Demo with the CFO", due)
    assert response.json()["next_step"] == "Demo with the CFO"


def test_a_touch_without_a_time_happened_now(accepted_lead, rep_client):
    before = timezone.now()

    _post(rep_client, accepted_lead, "touches", {"kind": "email", "outcome": "sent"})

    assert Touch.objects.get(lead=accepted_lead).at >= before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"kind": "carrier_pigeon"},
        {"kind": "call", "outcome": "maybe"},
        {"kind": "call", "at": "yesterday"},
        {"kind": "call", "at": "2999-01-01T00:00:00Z"},  # in the future
        {"kind": "call", "at": "9999-12-31T23:59:59-12:00"},  # past the last representable
        {"kind": "call", "at": 1700000000},
        {"kind": "call", "note": {"text": "nested"}},
        {"kind": "call", "note": "nul \x00 byte"},
        {"kind": "call", "user": "api_rep_b"},
        {"kind": "call", "next_step_due": "2026-01-01T00:00:00Z"},  # a due day with no step
        {"kind": "call", "next_step": "call back", "next_step_due": "2001-01-01T00:00:00Z"},
        {"kind": "call", "next_step": "x" * 201},
    ],
)
def test_a_bad_touch_is_refused(accepted_lead, rep_client, body):
    response = _post(rep_client, accepted_lead, "touches", body)

    assert response.status_code == 400, response.json()
    assert not Touch.objects.exists()


# --- input that is not what an endpoint takes --------------------------------------------


@pytest.mark.parametrize(
    "action", ["accept", "reject", "claim", "assign", "disposition", "touches"]
)
@pytest.mark.parametrize(
    "raw",
    ["[]", '"accept"', "42", "null", "{not json", '{"note": ' + "9" * 5000 + "}"],
    ids=["list", "string", "number", "null", "broken", "huge-number"],
)
def test_a_body_that_is_not_an_object_answers_400(people, lead, client_for, action, raw):
    response = client_for(people.admin).post(
        f"/api/v1/leads/{lead.pk}/{action}/", raw, content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert set(response.json()) >= {"detail", "code"}


@pytest.mark.parametrize("lead_id", ["0", "99999999", "9" * 30])
def test_an_unknown_lead_id_answers_404(people, client_for, lead_id):
    response = client_for(people.admin).post(f"/api/v1/leads/{lead_id}/accept/", {}, format="json")

    assert response.status_code == 404
