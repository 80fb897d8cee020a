"""What happens when an SLA clock runs out: the sweep finds due timers, each fires once, and the
agreement's ladder acts (warn, remind, escalate, re-route, recycle)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from funnel.models import ReasonCode, ReasonPurpose, User
from handoff.models import BreachAction, Lead, Notification, Offer, OfferStatus, SlaClock, SlaTimer
from handoff.services.leads import lead_transition
from handoff.services.notifications import notify
from handoff.services.offer_sync import offer_data
from handoff.services.offers import HeldVia, alert_routed, route_and_start_clocks
from handoff.services.sla import timers_cancel
from integrations.events import event_record
from integrations.models import EventType

SLA_EXPIRED_REASON = "sla_expired"


def _still_due(timer: SlaTimer, offer: Offer) -> bool:
    """A timer acts only while its condition holds, whatever cancelled it or not."""
    if offer.closed_at or offer.status not in (OfferStatus.PENDING, OfferStatus.ACCEPTED):
        return False
    agreement = offer.agreement
    return {
        SlaClock.ACCEPT: offer.status == OfferStatus.PENDING,
        SlaClock.FIRST_TOUCH: offer.first_touch_at is None,
        SlaClock.TOUCHES: agreement is not None and offer.touch_count < agreement.min_touches,
        SlaClock.WORK: True,
    }[timer.clock]


def timer_fire(*, timer: SlaTimer, now: datetime.datetime, offer: Offer | None = None) -> str:
    """Take the timer's action once. The caller holds the timer's row lock, in a transaction;
    the sweep passes the timer's offer, which it has locked and loaded with what actions read."""
    # Claim it first: if another sweep (or an earlier, dead one) got here, do nothing.
    claimed = SlaTimer.objects.filter(
        pk=timer.pk, fired_at__isnull=True, cancelled_at__isnull=True
    ).update(fired_at=now)
    if not claimed:
        return "already handled"
    offer = offer or Offer.objects.select_for_update().get(pk=timer.offer_id)
    if not _still_due(timer, offer):
        outcome = "condition met before it was due"
        SlaTimer.objects.filter(pk=timer.pk).update(
            fired_at=None, cancelled_at=now, outcome=outcome
        )
        return outcome
    clock = timer.get_clock_display().lower()
    if timer.kind == SlaTimer.Kind.WARNING:
        outcome = offer_warn(offer=offer, clock=clock)
    elif timer.action == BreachAction.REMIND:
        outcome = offer_remind(offer=offer, clock=clock)
    elif timer.action == BreachAction.ESCALATE:
        outcome = offer_escalate(offer=offer, clock=clock, now=now)
    elif timer.action == BreachAction.REROUTE:
        outcome = offer_reroute(offer=offer, clock=clock, now=now)
    else:
        outcome = offer_expire(offer=offer, clock=clock, now=now)
    SlaTimer.objects.filter(pk=timer.pk).update(outcome=outcome)
    if timer.kind == SlaTimer.Kind.BREACH:
        event_record(
            type=EventType.SLA_BREACHED,
            at=now,
            data={
                "offer": offer_data(offer),
                "clock": timer.clock,
                "action": timer.action,
                "due_at": timer.due_at.isoformat(),
                "outcome": outcome,
            },
        )
    return outcome


def sla_sweep(*, now: datetime.datetime | None = None, batch_size: int = 100) -> int:
    """Fire every waiting timer that is due, in batches. Returns the number handled.

    Each batch is one transaction that locks its timers' offers and leads with SKIP LOCKED, so
    sweeps in several workers share the work, and a sweep that dies mid-batch leaves the batch
    for the next one. Every writer locks a lead, then its offer (then the offer's timers); the
    sweep takes both at once and never waits, so it cannot deadlock with a person acting on the
    lead: that offer simply waits for the next sweep.
    """
    now = now or timezone.now()
    handled = 0
    while True:
        with transaction.atomic():
            due = list(
                SlaTimer.objects.select_related(
                    "offer__lead",
                    "offer__agreement",
                    "offer__handoff__receiving_team__manager",
                    "offer__assignee",
                    "offer__queue__manager",
                )
                .select_for_update(skip_locked=True, of=("offer", "offer__lead"))
                .filter(Q(fired_at__isnull=True) & Q(cancelled_at__isnull=True), due_at__lte=now)
                .order_by("due_at", "id")[:batch_size]
            )
            # One instance per offer: an offer's second timer sees what its first one did.
            offers: dict[int, Offer] = {}
            for timer in due:
                offer = offers.setdefault(timer.offer_id, timer.offer)
                timer_fire(timer=timer, now=now, offer=offer)
        handled += len(due)
        if len(due) < batch_size:
            return handled


# --- the ladder's actions, taken by timer_fire with the offer locked ---------------------


def _holder(offer: Offer) -> User | None:
    return offer.assignee or (offer.queue.manager if offer.queue_id else None)


def _tell_holder(offer: Offer, *, kind: str, subject: str, body: str, done: str) -> str:
    """Notify whoever holds the offer now (its assignee, or its queue's manager)."""
    holder = _holder(offer)
    if holder is None:
        return f"no one to tell ({done})"
    notify(user=holder, kind=kind, subject=subject, body=body, offer=offer, lead=offer.lead)
    return f"{done} {holder}"


def offer_warn(*, offer: Offer, clock: str) -> str:
    return _tell_holder(
        offer,
        kind=Notification.Kind.SLA_WARNING,
        subject=f"SLA warning ({clock}): {offer.lead}",
        body=f"The {clock} deadline of this {offer.handoff.name} lead is close.",
        done="warned",
    )


def offer_remind(*, offer: Offer, clock: str) -> str:
    return _tell_holder(
        offer,
        kind=Notification.Kind.SLA_BREACH,
        subject=f"SLA breached ({clock}): {offer.lead}",
        body=f"The {clock} deadline of this {offer.handoff.name} lead has passed. Act on it now.",
        done="reminded",
    )


def offer_escalate(*, offer: Offer, clock: str, now: datetime.datetime) -> str:
    manager = offer.handoff.receiving_team.manager
    offer.escalated_at = offer.escalated_at or now
    offer.save(update_fields=["escalated_at"])
    if manager is None:
        return "escalated, but the receiving team has no manager"
    notify(
        user=manager,
        kind=Notification.Kind.ESCALATION,
        subject=f"Escalation ({clock}): {offer.lead}",
        body=f"{_holder(offer) or 'Nobody'} has not met the {clock} deadline of this "
        f"{offer.handoff.name} lead.",
        offer=offer,
        lead=offer.lead,
    )
    return f"escalated to {manager}"


def offer_reroute(*, offer: Offer, clock: str, now: datetime.datetime) -> str:
    """Send a pending offer to someone else, with fresh clocks. An accepted one is escalated."""
    if offer.status != OfferStatus.PENDING:
        return offer_escalate(offer=offer, clock=clock, now=now)
    previous = offer.assignee
    timers_cancel(offer=offer, why="re-routed")
    route_and_start_clocks(
        offer, now=now, via=HeldVia.REROUTE, exclude={previous.pk} if previous else set()
    )
    if previous is not None:
        notify(
            user=previous,
            kind=Notification.Kind.REROUTED,
            subject=f"Lead re-routed: {offer.lead}",
            body=f"The {clock} deadline passed, so the lead went to "
            f"{offer.assignee or offer.queue}.",
            offer=offer,
            lead=offer.lead,
        )
    alert_routed(offer)
    return f"re-routed from {previous or 'the queue'} to {offer.assignee or offer.queue}"


def offer_expire(*, offer: Offer, clock: str, now: datetime.datetime) -> str:
    """Recycle the lead to marketing with reason "SLA expired"."""
    reason = ReasonCode.objects.filter(
        purpose=ReasonPurpose.RECYCLE, code=SLA_EXPIRED_REASON
    ).first()
    lead = Lead.objects.get(pk=offer.lead_id)
    holder = _holder(offer)
    if offer.status == OfferStatus.PENDING:
        offer.status, offer.decided_at = OfferStatus.EXPIRED, now
    offer.closed_at = now
    offer.save()
    # The offer's own handoff: the move is the SLA's consequence, not a withdrawal.
    lead_transition(
        lead=lead,
        to=offer.handoff.reject_stage,
        actor=None,
        reason=reason,
        handoff=offer.handoff,
        note=f"SLA expired: {clock}",
        at=now,
        owner=None,
    )
    timers_cancel(offer=offer, why="recycled")
    if holder is not None:
        notify(
            user=holder,
            kind=Notification.Kind.RECYCLED,
            subject=f"Lead recycled, SLA expired ({clock}): {lead}",
            body="The lead went back to marketing for nurturing.",
            offer=offer,
            lead=lead,
        )
    return "recycled (SLA expired)"
