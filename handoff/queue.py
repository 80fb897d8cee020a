"""Reads behind the rep's queue page: what waits for a person, most urgent first."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from funnel.models import User
from handoff.models import Offer, OfferStatus


def queue_offers_waiting(user: User) -> QuerySet[Offer]:
    """Pending offers to `user`, or to their team's queue, due soonest first, then hottest."""
    mine = Q(assignee=user)
    if user.team_id:
        mine |= Q(assignee__isnull=True, queue_id=user.team_id)
    return (
        Offer.objects.filter(mine, status=OfferStatus.PENDING, routed_at__isnull=False)
        .select_related("lead__campaign", "handoff", "agreement", "queue")
        .order_by(F("accept_due_at").asc(nulls_last=True), "-lead__score", "offered_at")
    )


def queue_leads_held(user: User) -> QuerySet[Offer]:
    """Accepted offers `user` still works (no disposition yet), next deadline first."""
    return (
        Offer.objects.filter(assignee=user, status=OfferStatus.ACCEPTED, closed_at__isnull=True)
        .select_related("lead__stage", "lead__campaign", "handoff", "agreement")
        .order_by(F("first_touch_due_at").asc(nulls_last=True), "-lead__score")
    )
