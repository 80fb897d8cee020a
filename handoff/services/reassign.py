"""Reassigning a team's leads: its manager (or an admin) hands leads to another member.

An offer still waiting is assigned as the queue's point of contact assigns it
(`offers.offer_assign`). An accepted offer that is still being worked had no way to change
hands: `offer_reassign` hands it, and its lead, to another member of the receiving team.
`offers_reassign` does either for several offers at once, all or none.

The SLA clocks keep running: a new holder takes the deadlines the lead already has, so handing a
late lead on never hides a breach (the sweep tells whoever holds it when a timer fires).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from funnel.models import Role, User
from funnel.selectors import user_manages_team
from handoff.models import Lead, Notification, Offer, OfferStatus
from handoff.services.notifications import (
    lead_summary,
    notifications_send,
    recipient_local,
)
from handoff.services.offers import (
    ASSIGNEE_NOT_MEMBER,
    OfferConflict,
    OfferError,
    OfferForbidden,
    offer_assign,
    offer_holder_changed,
)
from leadflow.locale import speaking_to, user_time_zone

# How the holding and the `offer.assigned` event say the lead changed hands.
REASSIGNED_VIA = "reassign"

REASSIGN_NOT_ALLOWED = _("Only the {team} manager or an admin may reassign its leads.")
NOT_BEING_WORKED = _("{lead} is no longer being worked under this offer: it was {status}.")
NOTHING_CHOSEN = gettext_noop("Choose at least one lead to reassign.")
# What an offer no longer being worked was, in NOT_BEING_WORKED.
NO_LONGER_AS = {
    "closed": pgettext_lazy("an offer … was …", "closed"),
    OfferStatus.PENDING: pgettext_lazy("an offer … was …", "pending"),
    OfferStatus.REJECTED: pgettext_lazy("an offer … was …", "rejected"),
    OfferStatus.EXPIRED: pgettext_lazy("an offer … was …", "expired"),
    OfferStatus.WITHDRAWN: pgettext_lazy("an offer … was …", "withdrawn"),
}


def _locked(offer: Offer) -> Offer:
    # Lock order everywhere: the lead, then its offer (offers._locked, breaches.sla_sweep).
    list(Lead.objects.select_for_update().filter(pk=offer.lead_id).values_list("pk", flat=True))
    return (
        Offer.objects.select_for_update(of=("self",))
        .select_related("handoff__receiving_team", "lead", "agreement", "assignee", "queue")
        .get(pk=offer.pk)
    )


def _check_may_reassign(offer: Offer, actor: User, assignee: User) -> None:
    team = offer.handoff.receiving_team
    if not (actor.effective_role == Role.ADMIN or user_manages_team(actor, team.pk)):
        raise OfferForbidden(REASSIGN_NOT_ALLOWED.format(team=team))
    if assignee.team_id != team.pk or not assignee.is_active:
        raise OfferError(ASSIGNEE_NOT_MEMBER.format(user=assignee, team=team))


def _tell(offer: Offer, *, actor: User, previous: User | None, assignee: User) -> None:
    """The new holder learns why the lead is theirs now; the previous one, where it went."""
    lead = offer.lead
    by = actor.get_full_name() or actor.username
    with speaking_to(assignee):
        due = ""
        if offer.first_touch_at is None and offer.first_touch_due_at:
            due = (
                gettext("First touch due {when:%Y-%m-%d %H:%M %Z}.").format(
                    when=recipient_local(offer.first_touch_due_at, assignee)
                )
                + "\n\n"
            )
        if previous:
            handed = ngettext(
                "{by} handed you this {handoff} lead from {previous}; it is yours to work now, "
                "with {count} touch logged so far.",
                "{by} handed you this {handoff} lead from {previous}; it is yours to work now, "
                "with {count} touches logged so far.",
                offer.touch_count,
            )
        else:
            handed = ngettext(
                "{by} handed you this {handoff} lead; it is yours to work now, "
                "with {count} touch logged so far.",
                "{by} handed you this {handoff} lead; it is yours to work now, "
                "with {count} touches logged so far.",
                offer.touch_count,
            )
        handed = handed.format(
            by=by, handoff=offer.handoff.name, previous=previous, count=offer.touch_count
        )
        notes = [
            Notification(
                user=assignee,
                kind=Notification.Kind.ASSIGNED,
                subject=gettext("Lead reassigned to you: {lead}").format(lead=lead),
                body=f"{handed} {due}{lead_summary(lead, tz=user_time_zone(assignee))}",
                offer=offer,
                lead=lead,
            )
        ]
    if previous is not None:
        with speaking_to(previous):
            notes.append(
                Notification(
                    user=previous,
                    kind=Notification.Kind.REROUTED,
                    subject=gettext("Lead reassigned: {lead}").format(lead=lead),
                    body=gettext("{by} handed this {handoff} lead to {assignee}.").format(
                        by=by, handoff=offer.handoff.name, assignee=assignee
                    ),
                    offer=offer,
                    lead=lead,
                )
            )
    notifications_send(notes)


@transaction.atomic
def offer_reassign(*, offer: Offer, actor: User, assignee: User) -> Offer:
    """Hand an accepted offer that is still being worked, and its lead, to another member of
    the receiving team. Handing it to the rep who holds it changes nothing.

    Recorded as who holds the offer from now (a holding, via "reassign") with an
    `offer.assigned` event; the lead's owner follows; the new holder is notified, and so is the
    previous one.
    """
    offer = _locked(offer)
    if offer.status != OfferStatus.ACCEPTED or offer.closed_at is not None:
        status = "closed" if offer.status == OfferStatus.ACCEPTED else offer.status
        status = NO_LONGER_AS.get(status, status)
        raise OfferConflict(NOT_BEING_WORKED.format(lead=offer.lead, status=status))
    _check_may_reassign(offer, actor, assignee)
    if offer.assignee_id == assignee.pk:
        return offer
    previous = offer.assignee
    now = timezone.now()
    offer.assignee, offer.assigned_at = assignee, now
    offer.save(update_fields=["assignee", "assigned_at"])
    Lead.objects.filter(pk=offer.lead_id).update(owner=assignee, updated_at=now)
    offer.lead.owner, offer.lead.updated_at = assignee, now
    offer_holder_changed(offer, via=REASSIGNED_VIA, at=now)
    _tell(offer, actor=actor, previous=previous, assignee=assignee)
    return offer


@transaction.atomic
def offers_reassign(*, offers: list[Offer], actor: User, assignee: User) -> list[Offer]:
    """Hand several open offers to one member of their team, all or none: a waiting offer as
    its queue's point of contact assigns it, an accepted one by `offer_reassign`. Offers the
    assignee holds already are left as they are; returns the offers that changed hands."""
    if not offers:
        raise OfferError(gettext(NOTHING_CHOSEN))
    ids = sorted({offer.pk for offer in offers})
    # Every lead, then every offer, in id order: the statuses read here cannot change under
    # the dispatch below, and two managers reassigning overlapping sets cannot deadlock.
    lead_ids = Offer.objects.filter(pk__in=ids).values_list("lead_id", flat=True)
    list(Lead.objects.select_for_update().filter(pk__in=lead_ids).order_by("pk").values("pk"))
    locked = Offer.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    changed = []
    for offer in locked:
        if offer.assignee_id == assignee.pk:
            continue
        if offer.status == OfferStatus.PENDING:
            changed.append(offer_assign(offer=offer, actor=actor, assignee=assignee))
        else:
            changed.append(offer_reassign(offer=offer, actor=actor, assignee=assignee))
    return changed
