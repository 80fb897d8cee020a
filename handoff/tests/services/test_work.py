import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from funnel.models import ReasonCode, Role
from funnel.tests.factories import UserFactory
from handoff.models import Activity, Disposition, Lead, Offer, ScoringRule, Touch
from handoff.services.leads import lead_create
from handoff.services.offers import offer_accept, offer_route
from handoff.services.work import (
    DISPOSITION_RULES,
    NO_REASON_TAKEN,
    NOT_THE_HOLDER,
    REASON_NEEDED,
    TOUCH_IN_FUTURE,
    UNKNOWN_DISPOSITION,
    WorkError,
    WorkForbidden,
    activity_record,
    lead_disposition,
    touch_log,
)


@pytest.fixture
def held_lead(sales_team):
    """A lead a rep accepted: it sits in SAL, owned by the rep."""
    lead = lead_create(actor=None, stage="mql", email="held@acme.com")
    offer = offer_route(offer_id=Offer.objects.get(lead=lead).pk)
    offer_accept(offer=offer, actor=offer.assignee)
    lead.refresh_from_db()
    return lead


def _reason(purpose: str, code: str) -> ReasonCode:
    return ReasonCode.objects.get(purpose=purpose, code=code)


# --- touches --------------------------------------------------------------------------------


def test_the_first_touch_and_the_count_move_the_offer(held_lead):
    rep = held_lead.owner
    earlier = timezone.now() - datetime.timedelta(hours=2)

    touch_log(lead=held_lead, actor=rep, kind="email", outcome="sent")
    touch_log(lead=held_lead, actor=rep, kind="call", outcome="no_answer", at=earlier)

    offer = Offer.objects.get(lead=held_lead)
    assert (offer.touch_count, offer.first_touch_at) == (2, earlier)
    assert offer.timers.filter(clock="first_touch", cancelled_at__isnull=False).exists()


def test_enough_touches_stop_the_touches_clock(held_lead):
    for _ in range(3):
        touch_log(lead=held_lead, actor=held_lead.owner, kind="call", outcome="no_answer")

    offer = Offer.objects.get(lead=held_lead)
    assert not offer.timers.filter(clock="touches", fired_at=None, cancelled_at=None).exists()


def test_someone_else_may_not_log_a_touch(held_lead):
    with pytest.raises(WorkForbidden, match=re.escape(NOT_THE_HOLDER)):
        touch_log(lead=held_lead, actor=UserFactory(role=Role.SALES), kind="call")

    assert not Touch.objects.exists()


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"kind": "carrier_pigeon"}, "kind"),
        ({"kind": "call", "outcome": "maybe"}, "outcome"),
        ({"kind": "call", "at": timezone.now() + datetime.timedelta(days=1)}, "at"),
    ],
)
def test_a_bad_touch_is_refused_and_nothing_moves(held_lead, fields, bad_field):
    with pytest.raises(ValidationError) as refused:
        touch_log(lead=held_lead, actor=held_lead.owner, **fields)

    assert bad_field in refused.value.message_dict
    assert not Touch.objects.exists()
    assert Offer.objects.get(lead=held_lead).touch_count == 0


def test_a_touch_in_the_future_says_so(held_lead):
    future = timezone.now() + datetime.timedelta(hours=1)

    with pytest.raises(ValidationError, match=re.escape(TOUCH_IN_FUTURE)):
        touch_log(lead=held_lead, actor=held_lead.owner, kind="call", at=future)


# --- activities -----------------------------------------------------------------------------


def test_scoring_rules_raise_the_score_of_matching_activity(handoffs):
    lead = lead_create(actor=None, email="visitor@acme.com")
    ScoringRule.objects.create(
        name="Pricing page", kind="page_visit", contains="/pricing", points=15
    )
    ScoringRule.objects.create(name="Any visit", kind="page_visit", points=1)
    ScoringRule.objects.create(name="Retired", kind="page_visit", points=100, active=False)
    now = timezone.now()

    pricing = activity_record(lead=lead, kind="page_visit", at=now, detail={"url": "/pricing"})
    blog = activity_record(lead=lead, kind="page_visit", at=now, detail={"url": "/blog"})
    opened = activity_record(lead=lead, kind="email_open", at=now)

    assert (pricing.points, blog.points, opened.points) == (16, 1, 0)
    assert Lead.objects.get(pk=lead.pk).score == 17


def test_an_activity_of_unknown_kind_is_refused(handoffs):
    lead = lead_create(actor=None, email="visitor@acme.com")

    with pytest.raises(ValidationError, match="kind"):
        activity_record(lead=lead, kind="telepathy", at=timezone.now())

    assert not Activity.objects.exists()
    assert Lead.objects.get(pk=lead.pk).score == 0


# --- dispositions ---------------------------------------------------------------------------


def test_qualified_opens_an_opportunity(held_lead):
    disposition = lead_disposition(
        lead=held_lead, actor=held_lead.owner, disposition="qualified", amount=Decimal(5000)
    )

    held_lead.refresh_from_db()
    assert held_lead.stage.key == "sql"
    assert (disposition.kind, disposition.amount) == ("qualified", Decimal(5000))
    offer = Offer.objects.get(lead=held_lead)
    assert offer.closed_at is not None
    assert not offer.timers.filter(fired_at=None, cancelled_at=None).exists()


def test_won_from_sal_passes_through_sql_and_records_the_revenue(held_lead):
    lead_disposition(lead=held_lead, actor=held_lead.owner, disposition="won", amount=Decimal(9000))

    stages = list(held_lead.transitions.values_list("to_stage__key", flat=True))
    assert stages == ["mql", "sal", "sql", "won"]
    won = Disposition.objects.get(lead=held_lead)
    assert (won.amount, won.close_date) == (Decimal(9000), timezone.localdate())


@pytest.mark.parametrize(
    ("disposition", "reason", "stage"),
    [
        ("recycle", ("recycle", "not_now"), "recycle"),
        ("junk", ("disqualify", "spam"), "disqualified"),
        ("lost", ("lost", "price"), "lost"),
    ],
)
def test_exits_take_a_reason_of_their_kind(held_lead, disposition, reason, stage):
    code = _reason(*reason)

    lead_disposition(
        lead=held_lead, actor=held_lead.owner, disposition=disposition, reason=code,
        competitor="Rival Inc" if disposition == "lost" else "",
    )  # fmt: skip

    held_lead.refresh_from_db()
    assert (held_lead.stage.key, held_lead.transitions.last().reason) == (stage, code)
    if stage != "lost":
        assert held_lead.owner is None


@pytest.mark.parametrize(
    ("disposition", "reason", "message"),
    [
        ("recycle", None, "A recycle disposition needs a recycle reason."),
        ("junk", ("recycle", "not_now"), "A junk disposition needs a disqualify reason."),
        ("lost", ("disqualify", "spam"), "A lost disposition needs a lost reason."),
        ("won", None, "A won disposition needs the amount won."),
        ("vanished", None, "Unknown disposition 'vanished'."),
    ],
)
def test_a_disposition_missing_its_reason_is_refused(held_lead, disposition, reason, message):
    code = _reason(*reason) if reason else None

    with pytest.raises(ValidationError, match=re.escape(message)):
        lead_disposition(
            lead=held_lead, actor=held_lead.owner, disposition=disposition, reason=code
        )

    held_lead.refresh_from_db()
    assert held_lead.stage.key == "sal"
    assert not Disposition.objects.exists()


def test_a_negative_amount_is_refused(held_lead):
    with pytest.raises(ValidationError, match="amount"):
        lead_disposition(lead=held_lead, actor=held_lead.owner, disposition="won", amount=-1)

    assert Lead.objects.get(pk=held_lead.pk).stage.key == "sal"


def test_unable_to_reach_needs_the_agreed_touches(held_lead):
    rep = held_lead.owner
    touch_log(lead=held_lead, actor=rep, kind="call", outcome="no_answer")

    with pytest.raises(WorkError, match="at least 3 touches under the agreement; this lead has 1"):
        lead_disposition(lead=held_lead, actor=rep, disposition="unable_to_reach")

    touch_log(lead=held_lead, actor=rep, kind="call", outcome="no_answer")
    touch_log(lead=held_lead, actor=rep, kind="email", outcome="sent")
    lead_disposition(lead=held_lead, actor=rep, disposition="unable_to_reach")

    held_lead.refresh_from_db()
    assert held_lead.stage.key == "recycle"
    assert held_lead.transitions.last().reason.code == "unable_to_reach"


def test_someone_else_may_not_disposition(held_lead):
    with pytest.raises(WorkForbidden):
        lead_disposition(
            lead=held_lead, actor=UserFactory(role=Role.SALES), disposition="won", amount=1
        )

    assert Lead.objects.get(pk=held_lead.pk).stage.key == "sal"


def test_the_inside_team_qualifies_a_lead_into_an_mql_offer(handoffs):
    from funnel.models import Team

    inside = Team.objects.get(key="inside")
    qualifier = UserFactory(role=Role.INSIDE, team=inside)
    lead = lead_create(actor=None, stage="qi", email="qi@acme.com")
    offer = offer_route(offer_id=Offer.objects.get(lead=lead).pk)
    assert offer.assignee == qualifier
    offer_accept(offer=offer, actor=qualifier)

    lead_disposition(lead=lead, actor=qualifier, disposition="qualified")

    lead.refresh_from_db()
    assert lead.stage.key == "mql"
    assert Offer.objects.get(lead=lead, status="pending").handoff.key == "mql_sal"


def test_a_touch_logged_months_late_is_refused(held_lead):
    long_ago = timezone.now() - datetime.timedelta(days=91)

    with pytest.raises(ValidationError, match="older than 90 days"):
        touch_log(lead=held_lead, actor=held_lead.owner, kind="call", at=long_ago)

    assert not Touch.objects.exists()


def test_the_disposition_event_carries_the_lead_as_the_moves_left_it(held_lead):
    from integrations.models import Event

    lead_disposition(
        lead=held_lead,
        actor=held_lead.owner,
        disposition="recycle",
        reason=_reason("recycle", "not_now"),
    )

    event = Event.objects.filter(type="lead.dispositioned").get()
    assert event.data["lead"]["stage"] == "recycle"
    assert event.data["lead"]["owner"] is None
    assert event.data["disposition"] == "recycle"


# --- the disposition table ----------------------------------------------------------------


def test_a_qualified_disposition_refuses_a_reason_whatever_the_caller(held_lead):
    """The browser's form once let a recycle reason ride along on "qualified"."""
    recycle_reason = ReasonCode.objects.filter(purpose="recycle").first()

    with pytest.raises(ValidationError) as refused:
        lead_disposition(
            lead=held_lead, actor=held_lead.owner, disposition="qualified", reason=recycle_reason
        )

    assert refused.value.message_dict == {
        "reason": [NO_REASON_TAKEN.format(disposition="qualified")]
    }
    assert not Disposition.objects.exists()
    assert Lead.objects.get(pk=held_lead.pk).stage.key == "sal"


def test_a_reason_of_another_purpose_is_refused(held_lead):
    lost_reason = ReasonCode.objects.filter(purpose="lost").first()

    with pytest.raises(ValidationError) as refused:
        lead_disposition(
            lead=held_lead, actor=held_lead.owner, disposition="recycle", reason=lost_reason
        )

    assert refused.value.message_dict == {
        "reason": [REASON_NEEDED.format(disposition="recycle", purpose="recycle")]
    }
    assert not Disposition.objects.exists()


def test_an_unknown_disposition_is_refused(held_lead):
    with pytest.raises(ValidationError) as refused:
        lead_disposition(lead=held_lead, actor=held_lead.owner, disposition="maybe")

    assert refused.value.message_dict == {
        "disposition": [UNKNOWN_DISPOSITION.format(disposition="maybe")]
    }


def test_every_disposition_kind_has_a_rule():
    assert set(DISPOSITION_RULES) == set(Disposition.Kind.values)
