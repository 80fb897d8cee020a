"""Offers: created when a lead enters a handoff's offered stage, then accepted or rejected.

Every write to an offer goes through a function here; each locks the offer row first, so two
people acting at once get one success and one clear refusal.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from funnel.events import event_record
from funnel.models import (
    EventType,
    HandoffPair,
    Lead,
    ReasonCode,
    ReasonPurpose,
    Role,
    StageTransition,
    User,
)
from funnel.selectors import user_manages_team
from funnel.services import lead_transition
from handoff.models import Notification, Offer, OfferStatus, SlaClock
from handoff.services import sla
from handoff.services.notifications import lead_summary, notify
from handoff.services.routing import routing_apply

OFFER_DECIDED = "This offer was already {status}{by} on {when:%Y-%m-%d %H:%M}."
OFFER_CLOSED = "This offer is {status}; it can no longer be acted on."
OFFER_NOT_YOURS = (
    "This offer is assigned to {assignee}; only they, the {team} manager or an admin may act on it."
)
OFFER_NOT_IN_QUEUE = "Only members of {team}, its manager or an admin may act on its queued offers."
OFFER_NOT_QUEUED = "This offer is assigned to {assignee}, not waiting in a queue."
ASSIGN_NOT_ALLOWED = "Only the {team} manager or an admin may assign its queued offers."
ASSIGNEE_NOT_MEMBER = "{user} is not an active member of {team}."
REJECT_REASON_REQUIRED = "Rejecting needs a reject reason."
NO_OPEN_OFFER = "This lead has no open offer."
SLA_EXPIRED_REASON = "sla_expired"


class OfferError(Exception):
    """A refused action on an offer; nothing was written."""

    code = "offer_refused"


class OfferConflict(OfferError):
    code = "offer_conflict"


class OfferForbidden(OfferError):
    code = "offer_forbidden"


def _is_admin(user: User) -> bool:
    return user.effective_role == Role.ADMIN


def offer_may_act(offer: Offer, user: User) -> bool:
    """The assignee, a member of the queue it waits in, the receiving manager, or an admin."""
    if _is_admin(user) or user_manages_team(user, offer.handoff.receiving_team_id):
        return True
    if offer.assignee_id is not None:
        return offer.assignee_id == user.pk
    return offer.queue_id is not None and user.team_id == offer.queue_id


def _check_decidable(offer: Offer, actor: User) -> None:
    if offer.status != OfferStatus.PENDING:
        by = f" by {offer.decided_by}" if offer.decided_by_id else ""
        when = offer.decided_at or offer.offered_at
        raise OfferConflict(OFFER_DECIDED.format(status=offer.status, by=by, when=when))
    if not offer_may_act(offer, actor):
        if offer.assignee_id is None:
            raise OfferForbidden(OFFER_NOT_IN_QUEUE.format(team=offer.queue))
        raise OfferForbidden(
            OFFER_NOT_YOURS.format(assignee=offer.assignee, team=offer.handoff.receiving_team)
        )


def _locked(offer: Offer) -> Offer:
    # Lock order everywhere: the lead, then its offer (see sla.sla_sweep).
    list(Lead.objects.select_for_update().filter(pk=offer.lead_id).values_list("pk", flat=True))
    return (
        Offer.objects.select_for_update(of=("self",))
        .select_related(
            "handoff__accepted_stage", "handoff__reject_stage", "handoff__receiving_team", "lead"
        )
        .get(pk=offer.pk)
    )


def offer_data(offer: Offer) -> dict:
    """An offer as events and the API carry it."""
    return {
        "id": offer.pk,
        "lead": offer.lead_id,
        "handoff": offer.handoff.key,
        "status": offer.status,
        "assignee": offer.assignee.username if offer.assignee_id else None,
        "queue": offer.queue.key if offer.queue_id else None,
        "offered_at": offer.offered_at.isoformat(),
        "decided_at": offer.decided_at.isoformat() if offer.decided_at else None,
        "decided_by": offer.decided_by.username if offer.decided_by_id else None,
        "reason": offer.reason.code if offer.reason_id else None,
        "agreement_version": offer.agreement.version if offer.agreement_id else None,
    }


# --- created and ended by stage moves -------------------------------------------------------


def offers_follow_transition(*, lead: Lead, move: StageTransition) -> None:
    """Keep offers in step with a stage move; `lead_transition` calls this in its transaction.

    A pending offer that the lead left by another path (marketing skipped ahead, or pulled it
    back) is withdrawn; an accepted one whose lead left the accepted stage is closed, which stops
    its clocks; entering an offered stage makes a new offer.
    """
    for offer in Offer.objects.select_for_update().filter(
        lead_id=lead.pk, status__in=[OfferStatus.PENDING, OfferStatus.ACCEPTED], closed_at=None
    ):
        if move.handoff_id == offer.handoff_id:
            continue  # the offer's own accept or reject, which its service records
        if offer.status == OfferStatus.PENDING:
            offer.status, offer.decided_at, offer.decided_by = (
                OfferStatus.WITHDRAWN,
                move.at,
                move.actor,
            )
            offer.closed_at = move.at
            offer.save(update_fields=["status", "decided_at", "decided_by", "closed_at"])
            sla.timers_cancel(offer=offer, why="offer withdrawn")
        elif move.to_stage_id != offer.handoff.accepted_stage_id:
            offer.closed_at = move.at
            offer.save(update_fields=["closed_at"])
            sla.timers_cancel(offer=offer, why="lead dispositioned")

    pair = HandoffPair.objects.filter(offered_stage_id=move.to_stage_id).first()
    if pair is not None:
        offer_create(lead=lead, handoff=pair, move=move)


def offer_create(*, lead: Lead, handoff: HandoffPair, move: StageTransition) -> Offer:
    from handoff.tasks import offer_route_task

    offer = Offer.objects.create(
        handoff=handoff,
        lead_id=lead.pk,
        offered_at=move.at,
        offered_by=move.actor,
        transition=move,
        agreement=sla.agreement_current(handoff),
    )
    event_record(type=EventType.OFFER_CREATED, at=move.at, data=offer_data(offer))
    offer_route_task.delay_on_commit(offer.pk)
    return offer


# --- routing ------------------------------------------------------------------------------


def _alert_routed(offer: Offer) -> None:
    lead = offer.lead
    summary = lead_summary(lead)
    due = (
        f"Accept or reject by {offer.accept_due_at:%Y-%m-%d %H:%M %Z}.\n\n"
        if offer.accept_due_at
        else ""
    )
    if offer.assignee_id:
        notify(
            user=offer.assignee,
            kind=Notification.Kind.ASSIGNED,
            subject=f"New lead for you: {lead}",
            body=f"{offer.handoff.name}. {due}{summary}",
            offer=offer,
            lead=lead,
        )
    elif offer.queue and offer.queue.manager_id:
        notify(
            user=offer.queue.manager,
            kind=Notification.Kind.QUEUED,
            subject=f"New lead in the {offer.queue} queue: {lead}",
            body=f"Assign it to a rep or let a member claim it. {due}{summary}",
            offer=offer,
            lead=lead,
        )


@transaction.atomic
def offer_route(*, offer_id: int, now: datetime.datetime | None = None) -> Offer:
    """Route a new offer once; running it again for the same offer changes nothing."""
    offer = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("handoff__receiving_team", "lead", "agreement")
        .get(pk=offer_id)
    )
    if offer.status != OfferStatus.PENDING or offer.routed_at is not None:
        return offer
    _route_and_start_clocks(offer, now=now or timezone.now())
    _alert_routed(offer)
    return offer


def _route_and_start_clocks(
    offer: Offer, *, now: datetime.datetime, exclude: set[int] = frozenset()
) -> None:
    """Decide who gets the (locked) offer and start its SLA clocks from now."""
    routing_apply(offer=offer, now=now, exclude=exclude)
    offer.routed_at = now
    sla.timers_schedule(offer=offer, start=now)
    offer.save()


# --- decisions ----------------------------------------------------------------------------


@transaction.atomic
def offer_accept(*, offer: Offer, actor: User, note: str = "") -> Offer:
    """Accept the offer: the lead enters the accepted stage and the actor's queue."""
    offer = _locked(offer)
    _check_decidable(offer, actor)
    now = timezone.now()
    if offer.assignee_id is None:  # taken from a queue: the acceptor holds it now
        offer.assignee, offer.assigned_at = actor, now
    lead = Lead.objects.get(pk=offer.lead_id)
    lead_transition(
        lead=lead,
        to=offer.handoff.accepted_stage,
        actor=actor,
        handoff=offer.handoff,
        note=note,
        at=now,
        owner=offer.assignee,
    )
    offer.status, offer.decided_at, offer.decided_by, offer.note = (
        OfferStatus.ACCEPTED,
        now,
        actor,
        note,
    )
    offer.save()
    sla.timers_cancel(offer=offer, clocks=[SlaClock.ACCEPT], why="accepted")
    event_record(type=EventType.OFFER_ACCEPTED, at=now, data=offer_data(offer))
    return offer


@transaction.atomic
def offer_reject(*, offer: Offer, actor: User, reason: ReasonCode | None, note: str = "") -> Offer:
    """Reject the offer with a reason; the lead goes where the handoff pair sends rejects."""
    offer = _locked(offer)
    _check_decidable(offer, actor)
    if reason is None or reason.purpose != ReasonPurpose.REJECT:
        raise OfferError(REJECT_REASON_REQUIRED)
    now = timezone.now()
    lead = Lead.objects.get(pk=offer.lead_id)
    lead_transition(
        lead=lead,
        to=offer.handoff.reject_stage,
        actor=actor,
        handoff=offer.handoff,
        reason=reason,
        note=note,
        at=now,
        owner=None,
    )
    offer.status, offer.decided_at, offer.decided_by = OfferStatus.REJECTED, now, actor
    offer.reason, offer.note, offer.closed_at = reason, note, now
    offer.save()
    sla.timers_cancel(offer=offer, why="rejected")
    event_record(type=EventType.OFFER_REJECTED, at=now, data=offer_data(offer))
    return offer


@transaction.atomic
def offer_claim(*, offer: Offer, actor: User) -> Offer:
    """A member of the queue takes a queued offer; it is theirs to accept or reject."""
    offer = _locked(offer)
    _check_decidable(offer, actor)
    if offer.assignee_id is not None:
        raise OfferConflict(OFFER_NOT_QUEUED.format(assignee=offer.assignee))
    offer.assignee, offer.assigned_at = actor, timezone.now()
    offer.save(update_fields=["assignee", "assigned_at"])
    return offer


@transaction.atomic
def offer_assign(*, offer: Offer, actor: User, assignee: User) -> Offer:
    """The queue's point of contact (its team manager) or an admin hands a queued offer to a rep."""
    offer = _locked(offer)
    if offer.status != OfferStatus.PENDING:
        _check_decidable(offer, actor)
    team = offer.queue or offer.handoff.receiving_team
    if not (_is_admin(actor) or user_manages_team(actor, team.pk)):
        raise OfferForbidden(ASSIGN_NOT_ALLOWED.format(team=team))
    if assignee.team_id != team.pk or not assignee.is_active:
        raise OfferError(ASSIGNEE_NOT_MEMBER.format(user=assignee, team=team))
    offer.assignee, offer.assigned_at, offer.queue = assignee, timezone.now(), None
    offer.save(update_fields=["assignee", "assigned_at", "queue"])
    _alert_routed(offer)
    return offer


# --- SLA actions, called by sla.timer_fire with the offer locked ----------------------------


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
    sla.timers_cancel(offer=offer, why="re-routed")
    _route_and_start_clocks(offer, now=now, exclude={previous.pk} if previous else set())
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
    _alert_routed(offer)
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
    sla.timers_cancel(offer=offer, why="recycled")
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
