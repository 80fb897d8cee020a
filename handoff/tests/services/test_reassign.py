import re

import pytest

from funnel.models import Role, Team
from funnel.tests.factories import UserFactory
from handoff.models import (
    Lead,
    Notification,
    Offer,
    OfferHolding,
    OfferStatus,
    RoutingRule,
    RoutingStrategy,
    SlaTimer,
)
from handoff.services.leads import lead_create
from handoff.services.offers import ASSIGNEE_NOT_MEMBER, offer_accept, offer_route
from handoff.services.reassign import (
    NOT_BEING_WORKED,
    NOTHING_CHOSEN,
    REASSIGN_NOT_ALLOWED,
    REASSIGNED_VIA,
    offer_reassign,
    offers_reassign,
)
from handoff.services.work import lead_disposition, touch_log
from integrations.models import Event, EventType
from leadflow.errors import DomainError


@pytest.fixture
def team(sales_team):
    """The sales team, every MQL → SAL offer routed to rep_a: (manager, rep_a, rep_b)."""
    _, manager, (rep_a, rep_b) = sales_team
    RoutingRule.objects.filter(handoff__key="mql_sal").update(
        strategy=RoutingStrategy.USER, target_user=rep_a, target_team=None
    )
    return manager, rep_a, rep_b


def _offer(email: str = "buyer@acme.com") -> Offer:
    lead = lead_create(actor=None, stage="mql", email=email, first_name="Ada")
    return offer_route(offer_id=Offer.objects.get(lead=lead).pk)


def _worked(rep, email: str = "buyer@acme.com") -> Offer:
    """An offer `rep` accepted and touched once."""
    offer = offer_accept(offer=_offer(email), actor=rep)
    touch_log(lead=Lead.objects.get(pk=offer.lead_id), actor=rep, kind="call")
    return Offer.objects.get(pk=offer.pk)


def _waiting_timers(offer: Offer) -> list[tuple]:
    return list(
        SlaTimer.objects.filter(offer=offer, fired_at=None, cancelled_at=None)
        .order_by("pk")
        .values_list("clock", "kind", "due_at")
    )


def test_a_manager_hands_a_lead_being_worked_to_another_rep(team):
    manager, rep_a, rep_b = team
    offer = _worked(rep_a)
    timers = _waiting_timers(offer)

    offer_reassign(offer=offer, actor=manager, assignee=rep_b)

    offer.refresh_from_db()
    lead = Lead.objects.get(pk=offer.lead_id)
    assert (offer.status, offer.assignee, lead.owner, lead.stage.key) == (
        OfferStatus.ACCEPTED, rep_b, rep_b, "sal"
    )  # fmt: skip
    # The clocks keep running as they were: a new holder inherits the deadlines.
    assert _waiting_timers(offer) == timers
    assert offer.touch_count == 1


def test_a_reassign_is_recorded_as_who_holds_the_lead_from_now(team):
    manager, rep_a, rep_b = team
    offer = _worked(rep_a)

    offer_reassign(offer=offer, actor=manager, assignee=rep_b)

    last = OfferHolding.objects.filter(offer=offer).last()
    assert (last.via, last.assignee, last.queue) == (REASSIGNED_VIA, rep_b, None)
    event = Event.objects.filter(type=EventType.OFFER_ASSIGNED, data__id=offer.pk).last()
    assert (event.data["via"], event.data["assignee"], event.data["status"]) == (
        REASSIGNED_VIA, "rep_b", "accepted"
    )  # fmt: skip


def test_the_new_holder_and_the_previous_one_are_notified(team):
    manager, rep_a, rep_b = team
    offer = _worked(rep_a)

    offer_reassign(offer=offer, actor=manager, assignee=rep_b)

    told = rep_b.notifications.get(offer=offer, kind=Notification.Kind.ASSIGNED)
    assert told.subject.startswith("Lead reassigned to you: Ada")
    assert "sales_manager handed you this" in told.body
    assert "from rep_a" in told.body
    assert told.lead_id == offer.lead_id
    was = rep_a.notifications.get(offer=offer, kind=Notification.Kind.REROUTED)
    assert "to rep_b" in was.body


def test_a_rep_outside_the_team_is_refused(team):
    manager, rep_a, _ = team
    offer = _worked(rep_a)
    outsider = UserFactory(
        username="outsider", role=Role.SALES, team=Team.objects.get(key="inside")
    )

    with pytest.raises(DomainError) as refused:
        offer_reassign(offer=offer, actor=manager, assignee=outsider)

    assert refused.value.message == ASSIGNEE_NOT_MEMBER.format(user=outsider, team="Sales")
    offer.refresh_from_db()
    assert (offer.assignee, Lead.objects.get(pk=offer.lead_id).owner) == (rep_a, rep_a)
    assert not outsider.notifications.exists()


def test_an_inactive_member_is_refused(team):
    manager, rep_a, rep_b = team
    offer = _worked(rep_a)
    rep_b.is_active = False
    rep_b.save()

    with pytest.raises(DomainError, match="is not an active member of Sales"):
        offer_reassign(offer=offer, actor=manager, assignee=rep_b)


@pytest.mark.parametrize("who", ["rep", "other manager"])
def test_only_the_receiving_manager_or_an_admin_may_reassign(team, who):
    _, rep_a, rep_b = team
    offer = _worked(rep_a)
    inside = Team.objects.get(key="inside")
    actor = rep_a if who == "rep" else UserFactory(role=Role.MANAGER, team=inside)

    with pytest.raises(DomainError, match=re.escape(REASSIGN_NOT_ALLOWED.format(team="Sales"))):
        offer_reassign(offer=offer, actor=actor, assignee=rep_b)

    offer.refresh_from_db()
    assert offer.assignee == rep_a


def test_an_admin_may_reassign(team):
    _, rep_a, rep_b = team
    offer = _worked(rep_a)

    offer_reassign(offer=offer, actor=UserFactory(username="root", role=Role.ADMIN), assignee=rep_b)

    assert Offer.objects.get(pk=offer.pk).assignee == rep_b


def test_a_lead_no_longer_worked_under_its_offer_is_refused(team):
    manager, rep_a, rep_b = team
    offer = _worked(rep_a)
    lead_disposition(lead=Lead.objects.get(pk=offer.lead_id), actor=rep_a, disposition="qualified")

    with pytest.raises(DomainError) as refused:
        offer_reassign(offer=offer, actor=manager, assignee=rep_b)

    assert refused.value.message == NOT_BEING_WORKED.format(lead=offer.lead, status="closed")
    assert Lead.objects.get(pk=offer.lead_id).owner == rep_a


def test_handing_a_lead_to_its_holder_changes_nothing(team):
    manager, rep_a, _ = team
    offer = _worked(rep_a)
    holdings = OfferHolding.objects.filter(offer=offer).count()

    offer_reassign(offer=offer, actor=manager, assignee=rep_a)

    assert OfferHolding.objects.filter(offer=offer).count() == holdings
    assert not rep_a.notifications.filter(subject__startswith="Lead reassigned").exists()


def test_several_at_once_waiting_and_worked(team):
    manager, rep_a, rep_b = team
    waiting = _offer("waiting@acme.com")
    worked = _worked(rep_a, "worked@acme.com")
    theirs = _offer("theirs@acme.com")
    offers_reassign(offers=[theirs], actor=manager, assignee=rep_b)

    changed = offers_reassign(offers=[waiting, worked, theirs], actor=manager, assignee=rep_b)

    assert sorted(o.pk for o in changed) == sorted([waiting.pk, worked.pk])
    assert set(
        Offer.objects.filter(pk__in=[waiting.pk, worked.pk, theirs.pk]).values_list(
            "assignee__username", "status"
        )
    ) == {("rep_b", "pending"), ("rep_b", "accepted")}
    vias = OfferHolding.objects.filter(offer__in=[waiting, worked]).order_by("pk")
    assert [h.via for h in vias if h.assignee_id == rep_b.pk] == ["assign", REASSIGNED_VIA]


def test_several_at_once_is_all_or_none(team):
    manager, rep_a, rep_b = team
    waiting = _offer("waiting@acme.com")
    done = _worked(rep_a, "done@acme.com")
    lead_disposition(lead=Lead.objects.get(pk=done.lead_id), actor=rep_a, disposition="qualified")

    with pytest.raises(DomainError):
        offers_reassign(offers=[waiting, done], actor=manager, assignee=rep_b)

    assert Offer.objects.get(pk=waiting.pk).assignee == rep_a


def test_nothing_chosen_is_refused(team):
    manager, _, rep_b = team

    with pytest.raises(DomainError, match=NOTHING_CHOSEN):
        offers_reassign(offers=[], actor=manager, assignee=rep_b)
