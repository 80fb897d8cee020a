"""Routing: who receives an offer, and why. `routing_decide` is the dry run; `offer_route` applies.

Round-robin is start-time fair queueing. Each rule keeps a virtual clock; each member the virtual
finish time of their last lead, advanced by 1/weight per lead. The next lead goes to the eligible
member with the earliest start, where start = max(their finish, the rule's clock). A member who
joins, or comes back from leave or from a cap, starts at the clock: their share follows their
weight from then on, nobody else's count is reset, and there is no burst of catch-up leads.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.utils import timezone

from funnel.models import HandoffPair, Role, Team, User
from handoff.models import (
    Lead,
    Offer,
    OfferStatus,
    RepProfile,
    RotationState,
    RoutingRule,
    RoutingStrategy,
)

ROTATION_ROLES = (Role.SALES, Role.INSIDE)


@dataclass
class RoutingDecision:
    """Why an offer went where it went. Stored on the offer, answered by the simulation."""

    at: str
    rule: dict | None = None
    strategy: str = ""
    assignee: str | None = None
    queue: str | None = None
    fallback: bool = False
    rules_checked: list[dict] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _matches(rule: RoutingRule, lead: Lead, campaign_ids: set[int]) -> bool:
    def listed(values: list[str], value: str) -> bool:
        return not values or value.lower() in {v.lower() for v in values}

    def within(low: int | None, high: int | None, value: int | None) -> bool:
        if low is None and high is None:
            return True
        if value is None:
            return False
        return (low is None or value >= low) and (high is None or value <= high)

    return (
        listed(rule.countries, lead.country)
        and listed(rule.regions, lead.region)
        and listed(rule.industries, lead.industry)
        and listed(rule.sources, lead.source)
        and (not campaign_ids or lead.campaign_id in campaign_ids)
        and within(rule.employees_min, rule.employees_max, lead.employees)
        and within(rule.score_min, rule.score_max, lead.score)
    )


def _today(team: Team, now: datetime.datetime) -> datetime.date:
    return now.astimezone(ZoneInfo(team.time_zone)).date()


def _day_start(team: Team, now: datetime.datetime) -> datetime.datetime:
    tz = ZoneInfo(team.time_zone)
    return datetime.datetime.combine(_today(team, now), datetime.time(), tz)


def _unavailable(
    user: User, profile: RepProfile | None, team: Team, now: datetime.datetime
) -> str | None:
    """Why `user` cannot take a lead right now, or None. Caps are checked by the caller."""
    if not user.is_active:
        return "inactive"
    if profile is None:
        return None
    today = _today(team, now)
    # Either date alone is enough: "away from Monday" or "away until Friday".
    if (profile.away_from or profile.away_until) and (
        (profile.away_from is None or profile.away_from <= today)
        and (profile.away_until is None or today <= profile.away_until)
    ):
        return "absent"
    return None


def _load(users: list[User], team: Team, now: datetime.datetime) -> dict[int, dict]:
    """Each user's profile, pending offers and offers assigned today, in two queries."""
    ids = [u.pk for u in users]
    profiles = {p.user_id: p for p in RepProfile.objects.filter(user_id__in=ids)}
    day_start = _day_start(team, now)
    counts = (
        # Only the rows counted, each kind from its index: not every offer the reps ever had.
        Offer.objects.filter(
            Q(status=OfferStatus.PENDING) | Q(assigned_at__gte=day_start), assignee_id__in=ids
        )
        .values("assignee_id")
        .annotate(
            open=Count("id", filter=Q(status=OfferStatus.PENDING)),
            today=Count("id", filter=Q(assigned_at__gte=day_start)),
        )
    )
    by_user = {row["assignee_id"]: row for row in counts}
    return {
        uid: {
            "profile": profiles.get(uid),
            "open": by_user.get(uid, {}).get("open", 0),
            "today": by_user.get(uid, {}).get("today", 0),
        }
        for uid in ids
    }


def _why_not(user: User, info: dict, team: Team, now: datetime.datetime) -> str | None:
    profile = info["profile"]
    why = _unavailable(user, profile, team, now)
    if why:
        return why
    if profile is not None:
        if profile.max_open_offers is not None and info["open"] >= profile.max_open_offers:
            return "at_open_cap"
        if profile.max_offers_per_day is not None and info["today"] >= profile.max_offers_per_day:
            return "at_daily_cap"
    return None


@dataclass
class _Pick:
    user: User
    start: float
    weight: int


def _rotation_members(rule: RoutingRule) -> list[User]:
    return list(User.objects.filter(team=rule.target_team, role__in=ROTATION_ROLES).order_by("id"))


def _round_robin(
    rule: RoutingRule,
    decision: RoutingDecision,
    now: datetime.datetime,
    exclude: set[int],
) -> _Pick | None:
    members = _rotation_members(rule)
    info = _load(members, rule.target_team, now)
    finishes = dict(
        RotationState.objects.filter(rule=rule).values_list("user_id", "virtual_finish")
    )
    eligible: list[_Pick] = []
    for user in members:
        profile = info[user.pk]["profile"]
        if user.pk in exclude:
            why = "excluded"  # e.g. the rep an offer is re-routed away from
        elif profile is not None and not profile.accepts_routing:
            why = "not_in_rotation"
        else:
            why = _why_not(user, info[user.pk], rule.target_team, now)
        if why:
            decision.skipped.append({"user": user.username, "why": why})
            continue
        weight = profile.weight if profile else 1
        start = max(finishes.get(user.pk, rule.virtual_time), rule.virtual_time)
        eligible.append(_Pick(user, start, weight))
        decision.candidates.append(
            {
                "user": user.username,
                "weight": weight,
                "open_offers": info[user.pk]["open"],
                "start": round(start, 6),
            }
        )
    if not eligible:
        return None
    if rule.strategy == RoutingStrategy.LEAST_OPEN:
        return min(eligible, key=lambda p: (info[p.user.pk]["open"], p.start, p.user.pk))
    return min(eligible, key=lambda p: (p.start, p.user.pk))


def _decide(
    *,
    lead: Lead,
    handoff: HandoffPair,
    now: datetime.datetime,
    exclude: set[int],
    lock: bool,
) -> tuple[RoutingDecision, RoutingRule | None, _Pick | None]:
    decision = RoutingDecision(at=now.isoformat())
    rules = RoutingRule.objects.filter(handoff=handoff, active=True).select_related(
        "target_user", "target_team"
    )
    if lock:
        # One routing at a time per handoff, so two offers never read the same rotation clock.
        rules = rules.select_for_update(of=("self",))
    campaigns: dict[int, set[int]] = {}
    for rule_id, campaign_id in RoutingRule.campaigns.through.objects.filter(
        routingrule__handoff=handoff
    ).values_list("routingrule_id", "campaign_id"):
        campaigns.setdefault(rule_id, set()).add(campaign_id)

    for rule in rules:
        matched = _matches(rule, lead, campaigns.get(rule.pk, set()))
        decision.rules_checked.append({"rule": rule.name, "matched": matched})
        if not matched:
            continue
        if rule.strategy == RoutingStrategy.QUEUE:
            decision.rule, decision.strategy = {"id": rule.pk, "name": rule.name}, rule.strategy
            decision.queue = rule.target_team.key
            return decision, rule, None
        if rule.strategy == RoutingStrategy.USER:
            user = rule.target_user
            team = user.team or handoff.receiving_team
            info = _load([user], team, now)[user.pk]
            why = "excluded" if user.pk in exclude else _why_not(user, info, team, now)
            if why:
                decision.skipped.append({"user": user.username, "why": why, "rule": rule.name})
                continue
            decision.rule, decision.strategy = {"id": rule.pk, "name": rule.name}, rule.strategy
            decision.candidates.append({"user": user.username, "open_offers": info["open"]})
            decision.assignee = user.username
            return decision, rule, _Pick(user, 0.0, 1)
        pick = _round_robin(rule, decision, now, exclude)
        if pick is None:
            continue  # everyone away or capped: the next rule, or the fallback queue
        decision.rule, decision.strategy = {"id": rule.pk, "name": rule.name}, rule.strategy
        decision.assignee = pick.user.username
        return decision, rule, pick

    decision.fallback = True
    decision.queue = handoff.receiving_team.key
    return decision, None, None


def routing_decide(
    *, lead: Lead, handoff: HandoffPair, now: datetime.datetime | None = None
) -> RoutingDecision:
    """The dry run: where an offer of `lead` on `handoff` would go now. Writes nothing."""
    decision, _, _ = _decide(
        lead=lead, handoff=handoff, now=now or timezone.now(), exclude=set(), lock=False
    )
    return decision


def routing_apply(
    *, offer: Offer, now: datetime.datetime, exclude: set[int] = frozenset()
) -> RoutingDecision:
    """Decide for `offer` (locked by the caller) and advance the rotation. Call in a transaction."""
    decision, rule, pick = _decide(
        lead=offer.lead, handoff=offer.handoff, now=now, exclude=set(exclude), lock=True
    )
    offer.rule = rule
    offer.routing = [*offer.routing, decision.as_dict()]
    if pick is not None:
        offer.assignee, offer.queue, offer.assigned_at = pick.user, None, now
        if rule.strategy in (RoutingStrategy.WEIGHTED, RoutingStrategy.LEAST_OPEN):
            state, _ = RotationState.objects.get_or_create(rule=rule, user=pick.user)
            state.virtual_finish = pick.start + 1.0 / pick.weight
            state.assigned += 1
            state.save(update_fields=["virtual_finish", "assigned"])
            rule.virtual_time = pick.start
            rule.save(update_fields=["virtual_time"])
    else:
        offer.assignee = None
        offer.queue = Team.objects.get(key=decision.queue)
    return decision
