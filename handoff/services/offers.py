"""Offers: routed to whoever should take them, then accepted, rejected, claimed or assigned.

Every write to an offer goes through a function here; each locks the offer row first, so two
people acting at once get one success and one clear refusal.
"""

from __future__ import annotations

import datetime
import logging
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from funnel.models import ReasonCode, ReasonPurpose, Role, User
from funnel.selectors import user_manages_team
from handoff.models import Lead, Notification, Offer, OfferHolding, OfferStatus, SlaClock
from handoff.services import sla
from handoff.services.leads import lead_transition
from handoff.services.notifications import lead_summary, notify, recipient_local
from handoff.services.offer_sync import offer_data
from handoff.services.routing import routing_apply
from integrations.events import event_record
from integrations.models import EventType
from leadflow.batches import ids_within
from leadflow.errors import DomainError
from leadflow.locale import speaking_to, user_time_zone

OFFER_DECIDED = _("This offer was already {status} on {when:%Y-%m-%d %H:%M}.")
OFFER_DECIDED_BY = _("This offer was already {status} by {by} on {when:%Y-%m-%d %H:%M}.")
# What an offer that is no longer pending was, in OFFER_DECIDED.
OFFER_DECIDED_AS = {
    OfferStatus.ACCEPTED: pgettext_lazy("an offer was already …", "accepted"),
    OfferStatus.REJECTED: pgettext_lazy("an offer was already …", "rejected"),
    OfferStatus.EXPIRED: pgettext_lazy("an offer was already …", "expired"),
    OfferStatus.WITHDRAWN: pgettext_lazy("an offer was already …", "withdrawn"),
}
OFFER_NOT_YOURS = _(
    "This offer is assigned to {assignee}; only they, the {team} manager or an admin may act on it."
)
OFFER_NOT_IN_QUEUE = _(
    "Only members of {team}, its manager or an admin may act on its queued offers."
)
OFFER_NOT_QUEUED = _("This offer is assigned to {assignee}, not waiting in a queue.")
OFFER_CLAIMED = _(
    "{assignee} claimed this offer from the {team} queue on {when:%Y-%m-%d %H:%M}; "
    "it is theirs to accept or reject."
)
ASSIGN_NOT_ALLOWED = _("Only the {team} manager or an admin may assign its queued offers.")
ASSIGNEE_NOT_MEMBER = _("{user} is not an active member of {team}.")
REJECT_REASON_REQUIRED = gettext_noop("Rejecting needs a reject reason.")
NO_OPEN_OFFER = _("This lead has no open offer.")

logger = logging.getLogger(__name__)

# The routing safety net: offers whose routing message never ran, looked for in batches of
# this many ids (a routing is a few milliseconds), for at most TIME_BUDGET seconds a run.
OVERDUE_BATCH = 200
OVERDUE_TIME_BUDGET = 40.0


class HeldVia(StrEnum):
    """How an offer came to be held by whoever holds it now (`offer.assigned` events)."""

    ROUTING = "routing"
    REROUTE = "reroute"
    CLAIM = "claim"
    ASSIGN = "assign"
    ACCEPT = "accept"  # taken from a queue by accepting it (the accept event tells who)


class OfferError(DomainError):
    """A refused action on an offer; nothing was written."""

    code = "offer_refused"
    status = 400


class OfferConflict(OfferError):
    code = "offer_conflict"
    status = 409


class OfferForbidden(OfferError):
    code = "offer_forbidden"
    status = 403


def _is_admin(user: User) -> bool:
    return user.effective_role == Role.ADMIN


def offer_may_act(offer: Offer, user: User) -> bool:
    """The assignee, a member of the queue it waits in, the receiving manager, or an admin."""
    # The checks that need no query first: most who act are the assignee.
    if offer.assignee_id is not None and offer.assignee_id == user.pk:
        return True
    if offer.assignee_id is None and offer.queue_id is not None and user.team_id == offer.queue_id:
        return True
    return _is_admin(user) or user_manages_team(user, offer.handoff.receiving_team_id)


def _check_decidable(offer: Offer, actor: User) -> None:
    if offer.status != OfferStatus.PENDING:
        status = OFFER_DECIDED_AS.get(offer.status, offer.status)
        when = offer.decided_at or offer.offered_at
        if offer.decided_by_id:
            raise OfferConflict(
                OFFER_DECIDED_BY.format(status=status, by=offer.decided_by, when=when)
            )
        raise OfferConflict(OFFER_DECIDED.format(status=status, when=when))
    if not offer_may_act(offer, actor):
        if offer.assignee_id is None:
            raise OfferForbidden(OFFER_NOT_IN_QUEUE.format(team=offer.queue))
        raise OfferForbidden(
            OFFER_NOT_YOURS.format(assignee=offer.assignee, team=offer.handoff.receiving_team)
        )


def _locked(offer: Offer) -> Offer:
    # Lock order everywhere: the lead, then its offer (see breaches.sla_sweep).
    list(Lead.objects.select_for_update().filter(pk=offer.lead_id).values_list("pk", flat=True))
    return (
        Offer.objects.select_for_update(of=("self",))
        .select_related(
            "handoff__accepted_stage",
            "handoff__reject_stage",
            "handoff__receiving_team",
            "lead",
            "agreement",  # for the event (offer_data)
            "queue",
        )
        .get(pk=offer.pk)
    )


# --- routing ------------------------------------------------------------------------------


def alert_routed(offer: Offer) -> None:
    """Tell whoever now holds the offer (its assignee, or its queue's manager), in their
    language, with its due time on their clock."""
    lead = offer.lead
    if offer.assignee_id:
        recipient, kind = offer.assignee, Notification.Kind.ASSIGNED
    elif offer.queue and offer.queue.manager_id:
        recipient, kind = offer.queue.manager, Notification.Kind.QUEUED
    else:
        return
    with speaking_to(recipient):
        summary = lead_summary(lead, tz=user_time_zone(recipient))
        due = (
            gettext("Accept or reject by {when:%Y-%m-%d %H:%M %Z}.").format(
                when=recipient_local(offer.accept_due_at, recipient)
            )
            + "\n\n"
            if offer.accept_due_at
            else ""
        )
        if kind == Notification.Kind.ASSIGNED:
            subject = gettext("New lead for you: {lead}").format(lead=lead)
            body = f"{offer.handoff.name}. {due}{summary}"
        else:
            subject = gettext("New lead in the {queue} queue: {lead}").format(
                queue=offer.queue, lead=lead
            )
            body = gettext("Assign it to a rep or let a member claim it.") + f" {due}{summary}"
    notify(user=recipient, kind=kind, subject=subject, body=body, offer=offer, lead=lead)


@transaction.atomic
def offer_route(*, offer_id: int, now: datetime.datetime | None = None) -> Offer:
    """Route a new offer once; running it again for the same offer changes nothing."""
    # The row alone is locked first: waiting behind a merge, which moves the offer to another
    # lead, PostgreSQL re-checks a joined row against the old lead and finds no offer at all.
    Offer.objects.select_for_update().filter(pk=offer_id).values_list("pk").get()
    offer = Offer.objects.select_related("handoff__receiving_team", "lead", "agreement").get(
        pk=offer_id
    )
    if offer.status != OfferStatus.PENDING or offer.routed_at is not None:
        return offer
    now = now or timezone.now()
    if offer.assignee_id is not None:
        # Assigned by a manager before its routing message ran: their choice stands (routing
        # would hand it to someone else); only its clocks start.
        offer.routed_at = now
        sla.timers_schedule(offer=offer, start=now)
        offer.save()
        return offer
    route_and_start_clocks(offer, now=now, via=HeldVia.ROUTING)
    alert_routed(offer)
    return offer


def route_and_start_clocks(
    offer: Offer, *, now: datetime.datetime, via: str, exclude: set[int] = frozenset()
) -> None:
    """Decide who gets the (locked) offer and start its SLA clocks from now."""
    routing_apply(offer=offer, now=now, exclude=exclude)
    offer.routed_at = now
    sla.timers_schedule(offer=offer, start=now)
    offer.save()
    offer_holder_changed(offer, via=via, at=now)


def offers_route_overdue(
    *, now: datetime.datetime | None = None, time_budget: float = OVERDUE_TIME_BUDGET
) -> int:
    """Route every pending offer that was never routed and is older than the grace period
    (SAFETY_NET_GRACE_SECONDS); how many it routed. The safety net for routing messages lost
    on the way (the broker restarted or away, a worker killed holding them): beat runs it
    every minute.

    Each offer goes through `offer_route`, which locks it and routes it only if it is still
    pending and unrouted: a late original message, or another run at once, changes nothing.
    """
    now = now or timezone.now()
    overdue = Offer.objects.filter(
        status=OfferStatus.PENDING,
        routed_at__isnull=True,  # the offer_unrouted index
        offered_at__lte=now - datetime.timedelta(seconds=settings.SAFETY_NET_GRACE_SECONDS),
    ).order_by("pk")
    routed = 0
    for offer_id in ids_within(overdue, batch=OVERDUE_BATCH, seconds=time_budget):
        at = timezone.now()  # its clocks start when it reaches someone
        try:
            routed += offer_route(offer_id=offer_id, now=at).routed_at == at
        except Exception:
            # One offer that cannot be routed must not hold back the others.
            logger.exception("Safety net: offer %s could not be routed", offer_id)
    if routed:
        logger.warning("Safety net: %s offers routed that their message never reached", routed)
    return routed


def offer_holder_changed(offer: Offer, *, via: str, at: datetime.datetime) -> None:
    """Record who holds the offer now (a rep, or a team's queue) and tell integrations, as soon
    as it changes: a CRM learns who got a lead when they get it, not when they accept it."""
    _holding_record(offer, via=via, at=at)
    event_record(type=EventType.OFFER_ASSIGNED, at=at, data={**offer_data(offer), "via": via})


def _holding_record(offer: Offer, *, via: str, at: datetime.datetime) -> None:
    """Who holds the offer from `at` on, for as-of reports (OfferHolding)."""
    OfferHolding.objects.create(
        offer=offer, assignee_id=offer.assignee_id, queue_id=offer.queue_id, since=at, via=via
    )


# --- decisions ----------------------------------------------------------------------------


@transaction.atomic
def offer_accept(*, offer: Offer, actor: User, note: str = "") -> Offer:
    """Accept the offer: the lead enters the accepted stage and the actor's queue."""
    offer = _locked(offer)
    _check_decidable(offer, actor)
    now = timezone.now()
    taken = offer.assignee_id is None  # from a queue: the acceptor holds it now
    if taken:
        offer.assignee, offer.assigned_at = actor, now
    elif offer.assignee_id == actor.pk:
        offer.assignee = actor  # the same row: no query to load it
    lead_transition(
        # Read with the offer after the lead's row was locked (_locked), so it is current.
        lead=offer.lead,
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
    if taken:  # the accept event tells integrations who took it
        _holding_record(offer, via=HeldVia.ACCEPT, at=now)
    sla.timers_cancel(offer=offer, clocks=[SlaClock.ACCEPT], why="accepted")
    event_record(type=EventType.OFFER_ACCEPTED, at=now, data=offer_data(offer))
    return offer


@transaction.atomic
def offer_reject(*, offer: Offer, actor: User, reason: ReasonCode | None, note: str = "") -> Offer:
    """Reject the offer with a reason; the lead goes where the handoff pair sends rejects."""
    offer = _locked(offer)
    _check_decidable(offer, actor)
    if reason is None or reason.purpose != ReasonPurpose.REJECT:
        raise OfferError(gettext(REJECT_REASON_REQUIRED))
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
    held = offer.status == OfferStatus.PENDING and offer.assignee_id is not None
    if held and actor.team_id == (offer.queue_id or offer.handoff.receiving_team_id):
        # Claimed or assigned a moment ago (by whoever locked it first): a conflict for a
        # member who could have claimed it, not a refusal of their rights.
        raise OfferConflict(OFFER_NOT_QUEUED.format(assignee=offer.assignee))
    _check_decidable(offer, actor)
    if offer.assignee_id is not None:
        raise OfferConflict(OFFER_NOT_QUEUED.format(assignee=offer.assignee))
    offer.assignee, offer.assigned_at = actor, timezone.now()
    offer.save(update_fields=["assignee", "assigned_at"])
    offer_holder_changed(offer, via=HeldVia.CLAIM, at=offer.assigned_at)
    return offer


@transaction.atomic
def offer_assign(*, offer: Offer, actor: User, assignee: User) -> Offer:
    """The queue's point of contact (its team manager) or an admin hands a pending offer to a
    rep: a queued one, or one routing or an earlier assignment gave to someone. Not one a
    member claimed: a claim and an assignment at once are one success and one conflict,
    whichever locks the offer first. Assigning it to whoever holds it changes nothing."""
    offer = _locked(offer)
    if offer.status != OfferStatus.PENDING:
        _check_decidable(offer, actor)
    team = offer.queue or offer.handoff.receiving_team
    if not (_is_admin(actor) or user_manages_team(actor, team.pk)):
        raise OfferForbidden(ASSIGN_NOT_ALLOWED.format(team=team))
    if assignee.team_id != team.pk or not assignee.is_active:
        raise OfferError(ASSIGNEE_NOT_MEMBER.format(user=assignee, team=team))
    if offer.assignee_id == assignee.pk:
        return offer
    if offer.queue_id is not None and offer.assignee_id is not None:  # claimed from the queue
        raise OfferConflict(
            OFFER_CLAIMED.format(assignee=offer.assignee, team=team, when=offer.assigned_at)
        )
    offer.assignee, offer.assigned_at, offer.queue = assignee, timezone.now(), None
    offer.save(update_fields=["assignee", "assigned_at", "queue"])
    offer_holder_changed(offer, via=HeldVia.ASSIGN, at=offer.assigned_at)
    alert_routed(offer)
    return offer
