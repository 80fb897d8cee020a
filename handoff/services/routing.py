"""Routing: who receives an offer, and why. `routing_decide` is the dry run; `offer_route` applies.

Round-robin is start-time fair queueing. Each rule keeps a virtual clock; each member the virtual
finish time of their last lead, advanced by 1/weight per lead. The next lead goes to the eligible
member with the earliest start, where start = max(their finish, the rule's clock). A member who
joins, or comes back from leave or from a cap, starts at the clock: their share follows their
weight from then on, nobody else's count is reset, and there is no burst of catch-up leads.

Territories narrow a round-robin rule's members before fairness picks among them (seed 002:
where reps own territories, leads from them go to their owner). A lead from a country some
member's territory covers goes to those owners, else to the members with no territory, else to
nobody here (the next rule, then the receiving team's queue, where its manager assigns): it
never goes to a rep of another territory. A lead from a country no member covers, or with no
country, goes to the members with no territory first, then to anyone. Each such pool keeps its
own clock, the latest start among its members' last leads, so a busy territory's leads neither
starve nor bunch the rotation of a quiet one. See /docs/decisions.md, "Territories in routing".
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext

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

# The pools a round-robin rule tries in turn for a lead (see the module docstring).
POOL_TERRITORY = "territory"  # the reps whose territory covers the lead's country
POOL_NO_TERRITORY = "no_territory"  # the reps with no territory
POOL_EVERYONE = "everyone"  # the whole rotation: nobody here covers the lead's country
# Why a member is not in the pool that took the lead: their territory is another one, or they
# have none while the lead's own territory had someone to take it.
OUTSIDE_TERRITORY = "outside_territory"
NO_TERRITORY = "no_territory"
# Not candidates at all, so never counted as covering a country.
NOT_MEMBERS = ("inactive", "not_in_rotation")


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
    # How territories narrowed the deciding round-robin rule, or None where they did not apply
    # (no member has a territory, or a named-user or queue rule): country, the territories of
    # this rule's members that cover it, how many reps they have, and the pool that took it.
    territory: dict | None = None

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
    return list(
        User.objects.filter(team=rule.target_team, role__in=ROTATION_ROLES)
        .select_related("territory")
        .order_by("id")
    )


def _covers(user: User, country: str) -> bool:
    return (
        bool(country)
        and user.territory is not None
        and country in {code.strip().upper() for code in user.territory.countries}
    )


def _pools(
    members: list[User], why: dict[int, str | None], country: str
) -> tuple[list[tuple[str, set[int]]], dict | None]:
    """The pools to try in turn for a lead from `country`, and what the decision says about it.

    Members who are inactive or out of rotation count for nothing; members away, at a cap or
    excluded still cover their territory, so its leads wait for them (or go to the reps with no
    territory) rather than to another territory's reps.
    """
    considered = [u for u in members if why[u.pk] not in NOT_MEMBERS]
    if not any(u.territory_id for u in considered):
        return [(POOL_EVERYONE, {u.pk for u in considered})], None  # the team has no territories
    owners = [u for u in considered if _covers(u, country)]
    unassigned = {u.pk for u in considered if u.territory_id is None}
    if owners:
        pools = [(POOL_TERRITORY, {u.pk for u in owners}), (POOL_NO_TERRITORY, unassigned)]
    else:
        pools = [(POOL_NO_TERRITORY, unassigned), (POOL_EVERYONE, {u.pk for u in considered})]
    territory = {
        "country": country,
        "territories": sorted({u.territory.name for u in owners}),
        "reps": len(owners),
        "pool": None,
    }
    return [(name, ids) for name, ids in pools if ids], territory


def _home_clocks(
    rule: RoutingRule, members: list[User], finishes: dict, weights: dict, territories: bool
) -> dict[int | None, float]:
    """The virtual time of each member's home: their territory, or the reps with no territory.

    With no territories, the one home is the whole rotation and its clock the rule's. Else each
    home's clock is the latest start among its members' last leads (finish - 1/weight): a home
    picked from only now and then would otherwise find the rule's clock far ahead of its
    members' finishes, tie them all at the clock and give its leads to the first of them. Start
    tags stay comparable across homes (leads per weight since each rep joined), so a lead open
    to several homes goes to the least loaded rep.
    """
    if not territories:
        return {None: rule.virtual_time}
    starts: dict[int | None, list[float]] = {}
    for user in members:
        if user.pk in finishes:
            starts.setdefault(user.territory_id, []).append(
                finishes[user.pk] - 1.0 / weights[user.pk]
            )
    # A weight raised since the last lead makes the estimate late: never past the rule's clock.
    return {
        home: min(max(starts.get(home, [rule.virtual_time])), rule.virtual_time)
        for home in {u.territory_id for u in members}
    }


def _round_robin(
    rule: RoutingRule,
    decision: RoutingDecision,
    now: datetime.datetime,
    exclude: set[int],
    country: str,
) -> _Pick | None:
    members = _rotation_members(rule)
    info = _load(members, rule.target_team, now)
    finishes = dict(
        RotationState.objects.filter(rule=rule).values_list("user_id", "virtual_finish")
    )
    why: dict[int, str | None] = {}
    weights: dict[int, int] = {}
    for user in members:
        profile = info[user.pk]["profile"]
        weights[user.pk] = profile.weight if profile else 1
        if user.pk in exclude:
            why[user.pk] = "excluded"  # e.g. the rep an offer is re-routed away from
        elif profile is not None and not profile.accepts_routing:
            why[user.pk] = "not_in_rotation"
        else:
            why[user.pk] = _why_not(user, info[user.pk], rule.target_team, now)
    pools, territory = _pools(members, why, country)
    # The first pool with someone free takes the lead. The pools before it had nobody free, so
    # their reps are skipped for their own reasons; none free: the next rule, or the fallback.
    name, tried = None, set()
    for pool_name, ids in pools:
        tried |= ids
        if any(why[uid] is None for uid in ids):
            name = pool_name
            break
    if territory is not None:
        territory["pool"] = name
        decision.territory = territory
    clocks = _home_clocks(rule, members, finishes, weights, territories=territory is not None)
    eligible: list[_Pick] = []
    for user in members:
        reason = why[user.pk]
        if reason not in NOT_MEMBERS and user.pk not in tried:
            reason = OUTSIDE_TERRITORY if user.territory_id else NO_TERRITORY
        if reason:
            decision.skipped.append({"user": user.username, "why": reason})
            continue
        weight = weights[user.pk]
        clock = clocks[user.territory_id if territory is not None else None]
        start = max(finishes.get(user.pk, clock), clock)
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

    def waited(p: _Pick) -> float:
        # Among equal starts, the one whose last lead is longest ago (never: first).
        return finishes.get(p.user.pk, float("-inf"))

    if rule.strategy == RoutingStrategy.LEAST_OPEN:
        return min(eligible, key=lambda p: (info[p.user.pk]["open"], p.start, waited(p), p.user.pk))
    return min(eligible, key=lambda p: (p.start, waited(p), p.user.pk))


def _decide(
    *,
    lead: Lead,
    handoff: HandoffPair,
    now: datetime.datetime,
    exclude: set[int],
    lock: bool,
) -> tuple[RoutingDecision, RoutingRule | None, _Pick | None]:
    decision = RoutingDecision(at=now.isoformat())
    country = (lead.country or "").strip().upper()
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
            decision.territory = None  # territories narrow round-robin rules only
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
            decision.territory = None  # a rule naming a user is obeyed whatever their territory
            decision.rule, decision.strategy = {"id": rule.pk, "name": rule.name}, rule.strategy
            decision.candidates.append({"user": user.username, "open_offers": info["open"]})
            decision.assignee = user.username
            return decision, rule, _Pick(user, 0.0, 1)
        pick = _round_robin(rule, decision, now, exclude, country)
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
            # A territory's pool may start behind the rule's clock: the clock never goes back.
            rule.virtual_time = max(rule.virtual_time, pick.start)
            rule.save(update_fields=["virtual_time"])
    else:
        offer.assignee = None
        offer.queue = Team.objects.get(key=decision.queue)
    return decision


def routing_explain(decision: dict) -> str:
    """One sentence on why a decision (`RoutingDecision.as_dict()`, as stored on an offer) went
    where it went, in the active language: "US lead: territory North America (3 reps); picked
    ann (rule “Everyone in Sales”)."."""
    parts = []
    territory = decision.get("territory")
    if territory:
        country, pool = territory["country"], territory["pool"]
        # Translators: "US lead": a lead from that country (ISO code).
        lead = (
            gettext("%(country)s lead") % {"country": country}
            if country
            else gettext("Lead with no country")
        )
        names = ", ".join(territory["territories"])
        if territory["reps"]:
            # Each clause whole, for the translator: who covers the country, then who took it.
            if pool == POOL_NO_TERRITORY:
                part = ngettext(
                    "%(lead)s: territory %(names)s (%(count)d rep), none free, "
                    "so a rep with no territory",
                    "%(lead)s: territory %(names)s (%(count)d reps), none free, "
                    "so a rep with no territory",
                    territory["reps"],
                )
            elif pool is None:
                part = ngettext(
                    "%(lead)s: territory %(names)s (%(count)d rep), none free, "
                    "nor any rep with no territory",
                    "%(lead)s: territory %(names)s (%(count)d reps), none free, "
                    "nor any rep with no territory",
                    territory["reps"],
                )
            else:
                part = ngettext(
                    "%(lead)s: territory %(names)s (%(count)d rep)",
                    "%(lead)s: territory %(names)s (%(count)d reps)",
                    territory["reps"],
                )
            part %= {"lead": lead, "names": names, "count": territory["reps"]}
        elif country:
            part = {
                POOL_NO_TERRITORY: gettext(
                    "%(lead)s: no rep here has a territory with %(country)s, "
                    "so a rep with no territory"
                ),
                POOL_EVERYONE: gettext(
                    "%(lead)s: no rep here has a territory with %(country)s, "
                    "no rep with no territory free, so anyone"
                ),
            }.get(
                pool,
                gettext(
                    "%(lead)s: no rep here has a territory with %(country)s, and nobody is free"
                ),
            ) % {"lead": lead, "country": country}
        else:
            part = {
                POOL_NO_TERRITORY: gettext("Lead with no country, so a rep with no territory"),
                POOL_EVERYONE: gettext(
                    "Lead with no country, no rep with no territory free, so anyone"
                ),
            }.get(pool, gettext("Lead with no country, and nobody is free"))
        parts.append(part)
    rule = (decision.get("rule") or {}).get("name")
    if decision.get("assignee"):
        outcome = gettext("picked %(user)s (rule “%(rule)s”)") % {
            "user": decision["assignee"],
            "rule": rule,
        }
    elif decision.get("fallback"):
        outcome = gettext("no rule could route it: the %(queue)s queue") % {
            "queue": decision.get("queue")
        }
    else:
        outcome = gettext("to the %(queue)s queue (rule “%(rule)s”)") % {
            "queue": decision.get("queue"),
            "rule": rule,
        }
    parts.append(outcome)
    sentence = "; ".join(parts)
    return sentence[:1].upper() + sentence[1:] + "."
