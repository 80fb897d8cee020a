"""Reads of the funnel. `lead_visible` is the one definition of who may see which lead."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from .models import Lead, Role, User

SEES_ALL = (Role.ADMIN, Role.MARKETING, Role.INTEGRATION)


def lead_visible(user: User) -> QuerySet[Lead]:
    """Leads `user` may see (merged duplicates excluded).

    Marketing, admins and integrations see all; a rep or qualifier the leads they own or whose
    open offer is to them or their team's queue; a manager their team's leads and offers.
    """
    from handoff.models import Offer, OfferStatus

    leads = Lead.objects.filter(merged_into__isnull=True)
    role = user.effective_role
    if role in SEES_ALL:
        return leads
    pending = Offer.objects.filter(lead=OuterRef("pk"), status=OfferStatus.PENDING)
    if role == Role.MANAGER and user.team_id:
        team = user.team_id
        return leads.filter(
            Q(team_id=team)
            | Q(owner__team_id=team)
            | Exists(pending.filter(Q(queue_id=team) | Q(assignee__team_id=team)))
        )
    mine = Q(owner=user) | Exists(pending.filter(assignee=user))
    if user.team_id:
        mine |= Exists(pending.filter(assignee__isnull=True, queue_id=user.team_id))
    return leads.filter(mine)


def lead_list(*, user: User) -> QuerySet[Lead]:
    """Visible leads with what the API shows of each, in a fixed number of queries."""
    from handoff.models import Offer, OfferStatus

    current = Offer.objects.filter(
        status__in=[OfferStatus.PENDING, OfferStatus.ACCEPTED], closed_at__isnull=True
    ).select_related("handoff", "assignee", "queue")
    return (
        lead_visible(user)
        .select_related("stage", "owner", "campaign")
        .prefetch_related(Prefetch("offers", queryset=current, to_attr="current_offers"))
    )


def lead_acted_on(*, lead_id: int) -> Lead:
    """The lead as the API shows it, to answer the person who just acted on it.

    Not filtered by visibility: rejecting or recycling a lead takes it out of the actor's view,
    and the answer to their own action still shows where it went.
    """
    return Lead.objects.select_related("stage", "owner", "campaign").get(pk=lead_id)


def user_manages_team(user: User, team_id: int | None) -> bool:
    """The team's manager, or a user with the manager role in that team."""
    from .models import Team

    if team_id is None:
        return False
    if user.role == Role.MANAGER and user.team_id == team_id:
        return True
    return Team.objects.filter(pk=team_id, manager=user).exists()
