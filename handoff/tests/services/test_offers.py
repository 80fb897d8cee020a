import re
import threading
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction

from funnel.models import ReasonCode, Role, Stage
from funnel.tests.factories import UserFactory
from handoff.models import Lead, Offer, OfferStatus, SlaTimer
from handoff.services.leads import lead_create, lead_transition
from handoff.services.offers import (
    ASSIGN_NOT_ALLOWED,
    OFFER_NOT_IN_QUEUE,
    REJECT_REASON_REQUIRED,
    OfferConflict,
    OfferError,
    OfferForbidden,
    offer_accept,
    offer_assign,
    offer_claim,
    offer_reject,
    offer_route,
)
from integrations.models import Event, EventType


def _routed_offer(email: str = "buyer@acme.com") -> Offer:
    lead = lead_create(actor=None, stage="mql", email=email)
    return offer_route(offer_id=Offer.objects.get(lead=lead).pk)


def _reject_reason() -> ReasonCode:
    return ReasonCode.objects.get(purpose="reject", code="not_icp")


def test_entering_an_offered_stage_opens_an_offer_and_routes_it_after_commit(
    handoffs, django_capture_on_commit_callbacks
):
    with (
        mock.patch("handoff.tasks.offer_route_task.delay") as enqueue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        lead = lead_create(actor=None, stage="mql", email="new@acme.com")

    offer = Offer.objects.get(lead=lead)
    assert (offer.handoff.key, offer.status, offer.agreement.version) == ("mql_sal", "pending", 1)
    assert offer.transition.to_stage.key == "mql"
    enqueue.assert_called_once_with(offer.pk)


def test_a_lead_has_at_most_one_open_offer(handoffs):
    lead = lead_create(actor=None, stage="mql", email="one@acme.com")
    offer = Offer.objects.get(lead=lead)

    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.create(handoff=offer.handoff, lead=lead)


def test_skipping_past_an_offered_stage_withdraws_its_offer(handoffs):
    marketer = UserFactory(role=Role.MARKETING)
    lead = lead_create(actor=marketer, stage="qi", email="skip@acme.com")
    qi_offer = offer_route(offer_id=Offer.objects.get(lead=lead).pk)

    lead_transition(lead=lead, to="mql", actor=marketer)

    qi_offer.refresh_from_db()
    assert (qi_offer.status, qi_offer.decided_by) == (OfferStatus.WITHDRAWN, marketer)
    assert not qi_offer.timers.filter(fired_at=None, cancelled_at=None).exists()
    assert Offer.objects.get(lead=lead, status="pending").handoff.key == "mql_sal"


def test_the_assignee_accepts_and_the_lead_becomes_theirs(sales_team):
    offer = _routed_offer()
    rep = offer.assignee

    offer_accept(offer=offer, actor=rep, note="Looks good")

    offer.refresh_from_db()
    lead = Lead.objects.get(pk=offer.lead_id)
    assert (lead.stage.key, lead.owner) == ("sal", rep)
    assert (offer.status, offer.decided_by, offer.note) == ("accepted", rep, "Looks good")
    last = lead.transitions.last()
    assert (last.to_stage.key, last.handoff.key) == ("sal", "mql_sal")
    waiting = SlaTimer.objects.filter(offer=offer, fired_at=None, cancelled_at=None)
    assert not waiting.filter(clock="accept").exists()
    assert waiting.filter(clock="first_touch").exists()


def test_another_rep_may_not_act_on_an_offer(sales_team):
    _, _, reps = sales_team
    offer = _routed_offer()
    other = next(r for r in reps if r != offer.assignee)

    with pytest.raises(OfferForbidden, match=f"This offer is assigned to {offer.assignee}"):
        offer_accept(offer=offer, actor=other)
    with pytest.raises(OfferForbidden):
        offer_reject(offer=offer, actor=other, reason=_reject_reason())

    offer.refresh_from_db()
    assert offer.status == "pending"
    assert Lead.objects.get(pk=offer.lead_id).stage.key == "mql"


@pytest.mark.parametrize("who", ["manager", "admin", "superuser"])
def test_the_receiving_manager_and_admins_may_act_on_an_offer(sales_team, who):
    _, manager, _ = sales_team
    actor = {
        "manager": manager,
        "admin": UserFactory(role=Role.ADMIN),
        "superuser": UserFactory(role=Role.MARKETING, is_superuser=True),
    }[who]
    offer = _routed_offer()

    offer_accept(offer=offer, actor=actor)

    offer.refresh_from_db()
    assert (offer.status, offer.decided_by) == ("accepted", actor)


def test_a_decided_offer_cannot_be_accepted_again(sales_team):
    offer = _routed_offer()
    offer_accept(offer=offer, actor=offer.assignee)

    with pytest.raises(OfferConflict, match=f"already accepted by {offer.assignee}"):
        offer_accept(offer=offer, actor=offer.assignee)
    with pytest.raises(OfferConflict):
        offer_reject(offer=offer, actor=offer.assignee, reason=_reject_reason())

    assert Lead.objects.get(pk=offer.lead_id).transitions.filter(to_stage__key="sal").count() == 1


@pytest.mark.parametrize("reason", [None, ("recycle", "not_now"), ("lost", "price")])
def test_rejecting_needs_a_reject_reason(sales_team, reason):
    offer = _routed_offer()
    code = ReasonCode.objects.get(purpose=reason[0], code=reason[1]) if reason else None

    with pytest.raises(OfferError, match=re.escape(REJECT_REASON_REQUIRED)):
        offer_reject(offer=offer, actor=offer.assignee, reason=code)

    offer.refresh_from_db()
    assert offer.status == "pending"
    assert Lead.objects.get(pk=offer.lead_id).stage.key == "mql"


def test_a_rejected_lead_goes_back_to_marketing_with_its_reason(sales_team):
    offer = _routed_offer()
    reason = _reject_reason()

    offer_reject(offer=offer, actor=offer.assignee, reason=reason, note="Too small")

    offer.refresh_from_db()
    lead = Lead.objects.get(pk=offer.lead_id)
    assert (offer.status, offer.reason, offer.note) == ("rejected", reason, "Too small")
    assert (lead.stage.key, lead.owner, lead.recycle_count) == ("recycle", None, 1)
    assert lead.transitions.last().reason == reason
    assert not offer.timers.filter(fired_at=None, cancelled_at=None).exists()


@pytest.mark.django_db(transaction=True)
def test_accept_and_reject_at_once_exactly_one_wins():
    """The assignee accepts while their manager rejects, each on their own connection."""
    from funnel.models import Team
    from funnel.services import funnel_setup_defaults
    from handoff.services.setup import handoff_setup_defaults

    funnel_setup_defaults()
    handoff_setup_defaults()
    team = Team.objects.get(key="sales")
    manager = UserFactory(username="boss", role=Role.MANAGER, team=team)
    UserFactory(username="solo_rep", role=Role.SALES, team=team)
    offer = _routed_offer()
    reason = _reject_reason()
    start = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def act(i: int) -> None:
        try:
            start.wait()
            if i == 0:
                outcomes[i] = offer_accept(offer=offer, actor=offer.assignee)
            else:
                outcomes[i] = offer_reject(offer=offer, actor=manager, reason=reason)
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    winners = [o for o in outcomes if isinstance(o, Offer)]
    losers = [o for o in outcomes if isinstance(o, OfferConflict)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    offer.refresh_from_db()
    assert offer.status == winners[0].status
    lead = Lead.objects.get(pk=offer.lead_id)
    assert lead.transitions.exclude(to_stage__key="mql").count() == 1


def _queue_everything(team_key: str = "sales") -> None:
    from funnel.models import Team
    from handoff.models import RoutingRule

    RoutingRule.objects.all().update(strategy="queue", target_team=Team.objects.get(key=team_key))


def test_a_queue_member_claims_a_queued_offer(sales_team):
    _, _, reps = sales_team
    _queue_everything()
    offer = _routed_offer()
    assert (offer.assignee, offer.queue.key) == (None, "sales")

    offer_claim(offer=offer, actor=reps[0])
    offer_accept(offer=offer, actor=reps[0])

    offer.refresh_from_db()
    assert (offer.assignee, offer.status) == (reps[0], "accepted")


def test_only_queue_members_may_claim(sales_team):
    _queue_everything()
    offer = _routed_offer()
    outsider = UserFactory(role=Role.INSIDE)

    with pytest.raises(OfferForbidden, match=re.escape(OFFER_NOT_IN_QUEUE.format(team="Sales"))):
        offer_claim(offer=offer, actor=outsider)

    offer.refresh_from_db()
    assert offer.assignee is None


def test_the_point_of_contact_assigns_a_queued_offer(sales_team):
    _, manager, reps = sales_team
    _queue_everything()
    offer = _routed_offer()

    offer_assign(offer=offer, actor=manager, assignee=reps[1])

    offer.refresh_from_db()
    assert (offer.assignee, offer.queue) == (reps[1], None)
    assert reps[1].notifications.filter(kind="assigned", offer=offer).exists()


def test_a_rep_may_not_assign_and_outsiders_cannot_be_assigned(sales_team):
    _, manager, reps = sales_team
    _queue_everything()
    offer = _routed_offer()

    with pytest.raises(OfferForbidden, match=re.escape(ASSIGN_NOT_ALLOWED.format(team="Sales"))):
        offer_assign(offer=offer, actor=reps[0], assignee=reps[0])
    with pytest.raises(OfferError, match="is not an active member of Sales"):
        offer_assign(offer=offer, actor=manager, assignee=UserFactory(role=Role.SALES))

    offer.refresh_from_db()
    assert offer.assignee is None


def test_offer_times_keep_the_system_delay_apart_from_the_reps(sales_team):
    offer = _routed_offer()
    offer_accept(offer=offer, actor=offer.assignee)

    offer.refresh_from_db()
    assert offer.offered_at <= offer.routed_at <= offer.decided_at
    assert offer.assigned_at == offer.routed_at
    assert Stage.objects.get(key="sal") == Lead.objects.get(pk=offer.lead_id).stage


# --- who holds the offer, as integrations hear it ------------------------------------------


def _holder_events(offer: Offer) -> list[tuple[str, str | None, str | None]]:
    return [
        (e.data["via"], e.data["assignee"], e.data["queue"])
        for e in Event.objects.filter(type=EventType.OFFER_ASSIGNED, data__id=offer.pk)
    ]


def test_routing_tells_integrations_who_got_the_lead(sales_team):
    offer = _routed_offer()

    assert _holder_events(offer) == [("routing", offer.assignee.username, None)]
    [event] = Event.objects.filter(type=EventType.OFFER_ASSIGNED)
    assert (event.data["lead"], event.data["status"]) == (offer.lead_id, "pending")


def test_a_claim_and_an_assignment_each_tell_who_holds_the_lead_now(sales_team):
    _, manager, reps = sales_team
    _queue_everything()
    first = _routed_offer("first@acme.com")
    second = _routed_offer("second@acme.com")

    offer_claim(offer=first, actor=reps[0])
    offer_assign(offer=second, actor=manager, assignee=reps[1])

    # A claimed offer keeps the queue it was claimed from; an assigned one leaves it.
    assert _holder_events(first) == [("routing", None, "sales"), ("claim", "rep_a", "sales")]
    assert _holder_events(second) == [("routing", None, "sales"), ("assign", "rep_b", None)]


def test_a_refused_claim_tells_nobody(sales_team):
    _queue_everything()
    offer = _routed_offer()
    outsider = UserFactory(role=Role.SALES)

    with pytest.raises(OfferForbidden):
        offer_claim(offer=offer, actor=outsider)

    assert _holder_events(offer) == [("routing", None, "sales")]
