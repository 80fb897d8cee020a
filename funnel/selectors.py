"""Reads of the funnel's people."""

from __future__ import annotations

import bisect
import datetime
from decimal import Decimal

from django.db.models import F, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from leadflow.locale import local_tz

from .models import HandoffPair, HandoffTarget, Role, Team, User


def user_manages_team(user: User, team_id: int | None) -> bool:
    """The team's manager, or a user with the manager role in that team."""
    if team_id is None:
        return False
    if user.role == Role.MANAGER and user.team_id == team_id:
        return True
    return Team.objects.filter(pk=team_id, manager=user).exists()


# --- handoff targets over time (targets) -------------------------------------------------------


def target_today() -> datetime.date:
    """Today in the installation's time zone: the day reports count in, whatever a user's own
    time zone is."""
    return timezone.localdate(timezone=local_tz())


def _versions(as_of: datetime.datetime | None) -> Q:
    """Versions recorded by `as_of` (all without one), as a condition on `targets__`."""
    return Q(targets__created_at__lte=as_of) if as_of else Q(targets__isnull=False)


def target_in_force(
    *, handoff: HandoffPair, day: datetime.date, as_of: datetime.datetime | None = None
) -> Decimal:
    """The handoff's target on `day`: the version with the latest effective_from on or before
    it, among those recorded by `as_of` when given. Before its first version the first holds
    (it is the rate the pair had before targets had dates); a pair with no version holds its
    own target_rate (created since, and never changed)."""
    versions = HandoffTarget.objects.filter(handoff=handoff)
    if as_of:
        versions = versions.filter(created_at__lte=as_of)
    rate = (
        versions.filter(effective_from__lte=day)
        .order_by("-effective_from")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        rate = versions.order_by("effective_from").values_list("rate", flat=True).first()
    return handoff.target_rate if rate is None else rate


def targets_by_day(
    *, days: list[datetime.date], as_of: datetime.datetime | None = None
) -> dict[int, dict[datetime.date, Decimal]]:
    """For every handoff pair id, the target in force on each of `days` (as target_in_force),
    in one query: the pairs joined to their versions (a handful each)."""
    rows = (
        HandoffPair.objects.alias(version=FilteredRelation("targets", condition=_versions(as_of)))
        .order_by("pk", "version__effective_from")
        .values_list("pk", "target_rate", "version__effective_from", "version__rate")
    )
    versions: dict[int, list[tuple[datetime.date, Decimal]]] = {}
    own: dict[int, Decimal] = {}
    for pk, target_rate, effective_from, rate in rows:
        own[pk] = target_rate
        if effective_from is not None:
            versions.setdefault(pk, []).append((effective_from, rate))
    out = {}
    for pk, fallback in own.items():
        dated = versions.get(pk, [])
        starts = [start for start, _ in dated]
        out[pk] = {}
        for day in days:
            i = bisect.bisect_right(starts, day)
            out[pk][day] = dated[max(i, 1) - 1][1] if dated else fallback
    return out


def with_target_in_force(pairs: QuerySet[HandoffPair], *, day: datetime.date) -> QuerySet:
    """Handoff pairs annotated with `target_in_force`, their target on `day` (a list of pairs
    in one query; as target_in_force, for a day on or after 2000-01-01)."""
    version = HandoffTarget.objects.filter(handoff=OuterRef("pk"), effective_from__lte=day)
    latest = version.order_by("-effective_from").values("rate")[:1]
    return pairs.annotate(target_in_force=Coalesce(Subquery(latest), F("target_rate")))


def handoff_targets(*, handoff: HandoffPair) -> list[HandoffTarget]:
    """The handoff's target versions, newest effective first, with who recorded each."""
    return list(
        HandoffTarget.objects.filter(handoff=handoff)
        .select_related("created_by")
        .order_by("-effective_from", "-id")
    )
