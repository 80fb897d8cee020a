"""What happens when an SLA clock runs out: the sweep finds due timers, each fires once, and the
agreement's ladder acts (warn, remind, escalate, re-route, recycle)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from funnel.models import HandoffPair, ReasonCode, ReasonPurpose, Team, User
from handoff.models import (
    BreachAction,
    Notification,
    Offer,
    OfferStatus,
    SlaAgreement,
    SlaClock,
    SlaTimer,
)
from handoff.services.leads import LeadMove, leads_transition
from handoff.services.notifications import notifications_send
from handoff.services.offer_sync import offer_data
from handoff.services.offers import HeldVia, alert_routed, route_and_start_clocks
from handoff.services.sla import timers_cancel
from integrations.events import events_record
from integrations.models import EventType
from leadflow.db import bulk_update_columns
from leadflow.locale import speaking_to

SLA_EXPIRED_REASON = "sla_expired"

# A notification's subject and body, made when its recipient's language is active.
Message = Callable[[], tuple[str, str]]


def clock_name(clock: str) -> str:
    """How a clock is named in a sentence, in the active language: "first touch"."""
    return str(SlaClock(clock).label).lower()


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


class SweepBatch:
    """What one batch of the sweep writes, collected while its timers fire and written in a few
    statements at the end, in the batch's transaction: the sweep's cost follows what is due."""

    def __init__(self, now: datetime.datetime):
        self.now = now
        self.timers: list[SlaTimer] = []  # their outcomes
        self.notifications: list[Notification] = []
        self.events: list[tuple[str, dict, datetime.datetime]] = []
        self.offers: dict[int, Offer] = {}  # escalated or expired
        self.expired: list[tuple[Offer, str]] = []  # and the clock that ran out
        self.ended: dict[int, str] = {}  # offers whose other timers this batch cancels, and why

    def notify(self, *, user: User, kind: str, message: Message, offer: Offer) -> None:
        """Notify `user` of `offer`; `message()` gives its subject and body, written in their
        language."""
        with speaking_to(user):
            subject, body = message()
        self.notifications.append(
            Notification(
                user=user, kind=kind, subject=subject, body=body, offer=offer, lead=offer.lead
            )
        )

    def write(self) -> None:
        bulk_update_columns(SlaTimer, self.timers, ["fired_at", "cancelled_at", "outcome"])
        bulk_update_columns(
            Offer, list(self.offers.values()), ["status", "decided_at", "closed_at", "escalated_at"]
        )
        if self.expired:
            self._recycle()
        notifications_send(self.notifications)
        events_record(self.events)

    def _recycle(self) -> None:
        """Expired offers' leads go back to marketing with reason "SLA expired": the offer's own
        handoff makes the move, the SLA's consequence rather than a withdrawal."""
        reason = ReasonCode.objects.filter(
            purpose=ReasonPurpose.RECYCLE, code=SLA_EXPIRED_REASON
        ).first()
        leads_transition(
            moves=[
                LeadMove(
                    offer.lead,
                    offer.handoff.reject_stage,
                    reason=reason,
                    # The lead's history, read by anyone: data, in the site's own words.
                    note=f"SLA expired: {_english_clock_name(clock)}",
                    handoff=offer.handoff,
                    owner=None,
                )
                for offer, clock in self.expired
            ],
            actor=None,
            at=self.now,
        )
        SlaTimer.objects.filter(
            offer_id__in=[offer.pk for offer, _ in self.expired],
            fired_at__isnull=True,
            cancelled_at__isnull=True,
        ).update(cancelled_at=self.now, outcome="recycled")


def _english_clock_name(clock: str) -> str:
    with translation.override(None):
        return clock_name(clock)


def timer_fire(*, timer: SlaTimer, offer: Offer, batch: SweepBatch) -> str:
    """Take the timer's action once; the sweep has claimed the timer and locked its offer, loaded
    with what the actions read. An offer's timers fire in order, each seeing what the last did."""
    now = batch.now
    batch.timers.append(timer)
    if offer.pk in batch.ended:  # re-routed or recycled by an earlier timer of this batch
        timer.fired_at, timer.cancelled_at = None, now
        timer.outcome = batch.ended[offer.pk]
        return timer.outcome
    if not _still_due(timer, offer):
        timer.fired_at, timer.cancelled_at = None, now
        timer.outcome = "condition met before it was due"
        return timer.outcome
    clock = timer.clock  # each message names it in its reader's language (clock_name)
    if timer.kind == SlaTimer.Kind.WARNING:
        outcome = offer_warn(offer=offer, clock=clock, batch=batch)
    elif timer.action == BreachAction.REMIND:
        outcome = offer_remind(offer=offer, clock=clock, batch=batch)
    elif timer.action == BreachAction.ESCALATE:
        outcome = offer_escalate(offer=offer, clock=clock, batch=batch)
    elif timer.action == BreachAction.REROUTE:
        outcome = offer_reroute(offer=offer, clock=clock, batch=batch)
    else:
        outcome = offer_expire(offer=offer, clock=clock, batch=batch)
    timer.outcome = outcome
    if timer.kind == SlaTimer.Kind.BREACH:
        batch.events.append(
            (
                EventType.SLA_BREACHED,
                {
                    "offer": offer_data(offer),
                    "clock": timer.clock,
                    "action": timer.action,
                    "due_at": timer.due_at.isoformat(),
                    "outcome": outcome,
                },
                now,
            )
        )
    return outcome


def _timers_claim(timers: list[SlaTimer], now: datetime.datetime) -> list[SlaTimer]:
    """Lock and mark fired the timers still waiting: one another sweep (or an earlier, dead one)
    got to first is not ours. Two statements, whatever their number; the lock's fresh read, not
    the sweep's snapshot, says which are still waiting."""
    ours = set(
        SlaTimer.objects.select_for_update()
        .filter(pk__in=[timer.pk for timer in timers], fired_at__isnull=True)
        .filter(cancelled_at__isnull=True)
        .values_list("pk", flat=True)
    )
    SlaTimer.objects.filter(pk__in=ours).update(fired_at=now)
    claimed = [timer for timer in timers if timer.pk in ours]
    for timer in claimed:
        timer.fired_at = now
    return claimed


def _offers_complete(offers: list[Offer]) -> None:
    """Give the offers what the actions read, from the few rows they share (handoffs, teams,
    people, agreements): a query per kind, not a join per timer."""
    pairs = HandoffPair.objects.select_related(
        "receiving_team__manager", "reject_stage__team"
    ).in_bulk({offer.handoff_id for offer in offers})
    agreements = SlaAgreement.objects.in_bulk({offer.agreement_id for offer in offers} - {None})
    queues = Team.objects.select_related("manager").in_bulk(
        {offer.queue_id for offer in offers} - {None}
    )
    people = User.objects.in_bulk(
        {pk for offer in offers for pk in (offer.assignee_id, offer.decided_by_id)} - {None}
    )
    reasons = ReasonCode.objects.in_bulk({offer.reason_id for offer in offers} - {None})
    for offer in offers:
        offer.handoff = pairs[offer.handoff_id]
        offer.agreement = agreements.get(offer.agreement_id)
        offer.queue = queues.get(offer.queue_id)
        offer.assignee = people.get(offer.assignee_id)
        offer.decided_by = people.get(offer.decided_by_id)
        offer.reason = reasons.get(offer.reason_id)


def sla_sweep(*, now: datetime.datetime | None = None, batch_size: int = 1000) -> int:
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
                SlaTimer.objects.select_related("offer__lead")
                .defer("offer__lead__attributes")  # no action reads them
                .select_for_update(skip_locked=True, of=("offer", "offer__lead"))
                .filter(Q(fired_at__isnull=True) & Q(cancelled_at__isnull=True), due_at__lte=now)
                .order_by("due_at", "id")[:batch_size]
            )
            if due:
                batch = SweepBatch(now)
                # One instance per offer: an offer's second timer sees what its first one did.
                offers = {timer.offer_id: timer.offer for timer in due}
                _offers_complete(list(offers.values()))
                for timer in _timers_claim(due, now):
                    timer_fire(timer=timer, offer=offers[timer.offer_id], batch=batch)
                batch.write()
        handled += len(due)
        if len(due) < batch_size:
            return handled


# --- the ladder's actions, taken by timer_fire with the offer locked ---------------------


def _holder(offer: Offer) -> User | None:
    return offer.assignee or (offer.queue.manager if offer.queue_id else None)


def _tell_holder(offer: Offer, *, batch: SweepBatch, kind: str, message: Message, done: str) -> str:
    """Notify whoever holds the offer now (its assignee, or its queue's manager)."""
    holder = _holder(offer)
    if holder is None:
        return f"no one to tell ({done})"
    batch.notify(user=holder, kind=kind, message=message, offer=offer)
    return f"{done} {holder}"


def offer_warn(*, offer: Offer, clock: str, batch: SweepBatch) -> str:
    def message() -> tuple[str, str]:
        name = clock_name(clock)
        return (
            _("SLA warning ({clock}): {lead}").format(clock=name, lead=offer.lead),
            _("The {clock} deadline of this {handoff} lead is close.").format(
                clock=name, handoff=offer.handoff.name
            ),
        )

    return _tell_holder(
        offer, batch=batch, kind=Notification.Kind.SLA_WARNING, message=message, done="warned"
    )


def offer_remind(*, offer: Offer, clock: str, batch: SweepBatch) -> str:
    def message() -> tuple[str, str]:
        name = clock_name(clock)
        return (
            _("SLA breached ({clock}): {lead}").format(clock=name, lead=offer.lead),
            _("The {clock} deadline of this {handoff} lead has passed. Act on it now.").format(
                clock=name, handoff=offer.handoff.name
            ),
        )

    return _tell_holder(
        offer, batch=batch, kind=Notification.Kind.SLA_BREACH, message=message, done="reminded"
    )


def offer_escalate(*, offer: Offer, clock: str, batch: SweepBatch) -> str:
    manager = offer.handoff.receiving_team.manager
    offer.escalated_at = offer.escalated_at or batch.now
    batch.offers[offer.pk] = offer
    if manager is None:
        return "escalated, but the receiving team has no manager"

    def message() -> tuple[str, str]:
        name, holder = clock_name(clock), _holder(offer)
        if holder is None:
            body = _("Nobody has met the {clock} deadline of this {handoff} lead.")
        else:
            body = _("{holder} has not met the {clock} deadline of this {handoff} lead.")
        return (
            _("Escalation ({clock}): {lead}").format(clock=name, lead=offer.lead),
            body.format(holder=holder, clock=name, handoff=offer.handoff.name),
        )

    batch.notify(user=manager, kind=Notification.Kind.ESCALATION, message=message, offer=offer)
    return f"escalated to {manager}"


def offer_reroute(*, offer: Offer, clock: str, batch: SweepBatch) -> str:
    """Send a pending offer to someone else, with fresh clocks. An accepted one is escalated.

    Rare, so written at once, one offer at a time, by the routing services."""
    if offer.status != OfferStatus.PENDING:
        return offer_escalate(offer=offer, clock=clock, batch=batch)
    previous = offer.assignee
    timers_cancel(offer=offer, why="re-routed")
    batch.ended[offer.pk] = "re-routed"
    route_and_start_clocks(
        offer, now=batch.now, via=HeldVia.REROUTE, exclude={previous.pk} if previous else set()
    )
    if previous is not None:

        def message() -> tuple[str, str]:
            return (
                _("Lead re-routed: {lead}").format(lead=offer.lead),
                _("The {clock} deadline passed, so the lead went to {holder}.").format(
                    clock=clock_name(clock), holder=offer.assignee or offer.queue
                ),
            )

        batch.notify(user=previous, kind=Notification.Kind.REROUTED, message=message, offer=offer)
    alert_routed(offer)
    return f"re-routed from {previous or 'the queue'} to {offer.assignee or offer.queue}"


def offer_expire(*, offer: Offer, clock: str, batch: SweepBatch) -> str:
    """Close the offer and recycle its lead to marketing (SweepBatch._recycle)."""
    holder = _holder(offer)
    if offer.status == OfferStatus.PENDING:
        offer.status, offer.decided_at = OfferStatus.EXPIRED, batch.now
    offer.closed_at = batch.now
    batch.offers[offer.pk] = offer
    batch.expired.append((offer, clock))
    batch.ended[offer.pk] = "recycled"
    if holder is not None:

        def message() -> tuple[str, str]:
            return (
                _("Lead recycled, SLA expired ({clock}): {lead}").format(
                    clock=clock_name(clock), lead=offer.lead
                ),
                _("The lead went back to marketing for nurturing."),
            )

        batch.notify(user=holder, kind=Notification.Kind.RECYCLED, message=message, offer=offer)
    return "recycled (SLA expired)"
