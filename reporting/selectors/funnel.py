"""The funnel: entries per stage of the main path and the conversion between them.

Also the lead-level definitions the velocity and qualifiers reports share: the main path, the
qualifying move, who holds a lead and who qualified it, and the report's lead filters.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Lower, NullIf

from funnel.models import HandoffPair, Stage, StageKind
from handoff.models import Disposition, Lead, Offer, OfferStatus, StageTransition
from reporting.params import ReportQuery, week_start
from reporting.sql import report_session, sums

from .common import counted_leads, money, rate, recorded_by, week_of

MODES = ("period", "cohort")
GROUPS = ("campaign", "source", "team", "owner", "qualifier", "week")
# The (campaign, source) pair, grouped by internally to count both groups in one pass.
LEAD_FIELDS = "lead_fields"


# --- shared definitions ------------------------------------------------------------------------


def main_path() -> list[Stage]:
    """The stages a lead is meant to pass, in order: the active open and won stages."""
    return list(main_path_stages())


def main_path_stages() -> QuerySet:
    """`main_path` as a queryset, for a query to use inside its own."""
    return Stage.objects.filter(active=True, kind__in=[StageKind.OPEN, StageKind.WON]).order_by(
        "position", "key"
    )


class QualifyingMove(NamedTuple):
    """The inside qualifier's pass (QIA → MQL by default), and where sales acceptance leads."""

    from_stage_id: int
    to_stage_id: int
    accepted_position: int  # of the stage the next handoff's acceptance puts the lead in


def qualifying_move() -> QualifyingMove | None:
    """From the accepted stage of the handoff before the last into the offered stage of the last.

    None when the funnel has fewer than two handoffs: there is no qualifier to speak of.
    """
    pairs = list(
        HandoffPair.objects.select_related("accepted_stage").order_by(
            "offered_stage__position", "id"
        )
    )
    if len(pairs) < 2:
        return None
    before, last = pairs[-2], pairs[-1]
    return QualifyingMove(
        before.accepted_stage_id, last.offered_stage_id, last.accepted_stage.position
    )


def lead_holder(query: ReportQuery, lead_ref: str, field: str) -> Subquery:
    """`field` of whoever last accepted the lead (an offer's assignee), as of the report.

    History, unlike `Lead.owner`, so an as-of report keeps the holder it had then.
    """
    offers = Offer.objects.filter(
        lead_id=OuterRef(lead_ref),
        status=OfferStatus.ACCEPTED,
        decided_at__isnull=False,
        **recorded_by(query, "decided_at"),
    )
    return Subquery(offers.order_by("-decided_at", "-id").values(field)[:1])


def lead_qualifier(query: ReportQuery, lead_ref: str, move: QualifyingMove | None):
    """The username of who made the lead's last qualifying move, as of the report."""
    if move is None:
        return Value(None, output_field=CharField())
    moves = StageTransition.objects.filter(
        lead_id=OuterRef(lead_ref),
        from_stage_id=move.from_stage_id,
        to_stage_id=move.to_stage_id,
        **recorded_by(query, "at"),
    )
    return Subquery(moves.order_by("-at", "-id").values("actor__username")[:1])


def lead_scope(queryset: QuerySet, query: ReportQuery) -> QuerySet:
    """Rows (with a `lead`) whose lead is not merged away and passes the report's filters.

    campaign, source and country are the lead's own fields; team and owner are those of the
    lead's holder (`lead_holder`).
    """
    return _holder_scope(queryset.filter(counted_leads(query)), query, "lead_id")


def _holder_scope(queryset: QuerySet, query: ReportQuery, lead: str) -> QuerySet:
    """The `team` and `owner` filters on the holder of the lead (`lead`: its id's column)."""
    if query.team:
        queryset = queryset.alias(
            _holder_team=lead_holder(query, lead, "assignee__team__key")
        ).filter(_holder_team=query.team)
    if query.owner:
        queryset = queryset.alias(_holder=lead_holder(query, lead, "assignee__username")).filter(
            _holder=query.owner
        )
    return queryset


def first_entry(lead_ref: str) -> Subquery:
    """When the lead entered the funnel: the moment of its first transition."""
    first = StageTransition.objects.filter(lead_id=OuterRef(lead_ref)).order_by("at", "id")
    return Subquery(first.values("at")[:1])


def period_weeks(query: ReportQuery) -> list[str]:
    """Every week (its Monday, "YYYY-MM-DD") that the period touches, empty ones included."""
    weeks, monday = [], week_start(query.start)
    while monday < query.end:
        weeks.append(monday.isoformat())
        monday += datetime.timedelta(days=7)
    return weeks


# --- the report --------------------------------------------------------------------------------


def funnel_report(
    *, query: ReportQuery, mode: str = "period", group_by: str | None = None
) -> list[dict]:
    """Entries per stage of the main path, with conversion to the next stage and to won.

    The main path is the active open and won stages in position order (inquiry, qi, qia, mql,
    sal, sql, won by default).

    `mode="period"`: entries are transitions into the stage in the period (a lead that enters
    a stage twice counts twice); to_next = entries of the next stage ÷ entries of this one,
    to_won = entries of won ÷ entries of this one, both in the period. Revenue: won
    dispositions dated in the period.

    `mode="cohort"`: the cohort is the leads whose first transition falls in the period,
    followed up to now (or as-of). Per stage, the cohort leads that ever entered it; to_next
    and to_won are the shares of those leads that also entered the next stage, or won.
    Revenue: every won disposition of the cohort, whenever dated (by as-of).

    `group_by`: campaign (id), source (lower-cased: the filter ignores case too), team and
    owner (of the lead's holder: whoever last accepted it), qualifier (who made its last
    QIA → MQL move), or week (Monday of the entry; in cohort mode, of the first entry). Every
    week of the period gets a row, empty or not; other groups appear when they have an entry
    or revenue, and a lead with no campaign, source, holder or qualifier is in group null.
    Filters: campaign, source, country, team, owner (see `lead_scope`).

    One row per group: {group, stages: [{stage, entered, to_next, to_won}], revenue_won}; a
    rate is null when nothing entered the stage, to_next is null for the last stage, and
    revenue_won is a decimal string.
    """
    if mode not in MODES or group_by not in (None, *GROUPS):
        raise ValueError(f"Unknown funnel mode {mode!r} or group {group_by!r}.")
    move = qualifying_move() if group_by == "qualifier" else None
    path, won_ids, counts, revenue = _counts(query, mode, group_by, move)

    if group_by == "week":
        groups = period_weeks(query)
    elif group_by is None:
        groups = [None]
    else:
        groups = _groups_found(counts, revenue)
    return _rows(path, won_ids, mode, groups, counts, revenue)


def _counts(query: ReportQuery, mode: str, group_by, move, *, leads: bool = False):
    """The main path, its won stages' ids, and the mode's counts per (group, stage id) and
    revenue per group (`leads`: with the distinct leads behind period entries)."""
    path = main_path()
    won_ids = [s.pk for s in path if s.kind == StageKind.WON]
    if mode == "cohort":
        with report_session():
            counts, revenue = _cohort(query, path, won_ids, group_by, move)
    else:
        counts, revenue = _period(query, [s.pk for s in path], group_by, move, leads=leads)
    return path, won_ids, counts, revenue


def _groups_found(counts: dict, revenue: dict) -> list:
    """The groups with an entry or revenue, in order, the group of none last."""
    return sorted({g for g, _ in counts} | set(revenue), key=lambda g: (g is None, g))


def _rows(path, won_ids, mode: str, groups: list, counts: dict, revenue: dict) -> list[dict]:
    """`funnel_report`'s rows from the counts per (group, stage id) and revenue per group."""
    rows = []
    for group in groups:
        stages = []
        for i, stage in enumerate(path):
            c = counts.get((group, stage.pk), {})
            entered = c.get("entered", 0)
            if mode == "cohort":
                to_next, to_won = c.get("to_next", 0), c.get("to_won", 0)
            else:
                nxt = counts.get((group, path[i + 1].pk), {}) if i + 1 < len(path) else {}
                to_next = nxt.get("entered", 0)
                to_won = sum(counts.get((group, w), {}).get("entered", 0) for w in won_ids)
            stages.append(
                {
                    "stage": stage.key,
                    "entered": entered,
                    "to_next": rate(to_next, entered) if i + 1 < len(path) else None,
                    "to_won": rate(to_won, entered),
                }
            )
        rows.append({"group": group, "stages": stages, "revenue_won": money(revenue.get(group))})
    return rows


def _group_key(group_by: str | None, query: ReportQuery, move, *, when: str, lead: str = "lead_id"):
    """The expression a row (a transition or a disposition, or with `lead="pk"` a lead) is
    grouped by; without a group, one group (None)."""
    prefix = "" if lead == "pk" else "lead__"
    if group_by == "campaign":
        return F(f"{prefix}campaign_id")
    if group_by == "source":
        return NullIf(Lower(f"{prefix}source"), Value(""))
    if group_by == "team":
        return lead_holder(query, lead, "assignee__team__key")
    if group_by == "owner":
        return lead_holder(query, lead, "assignee__username")
    if group_by == "qualifier":
        return lead_qualifier(query, lead, move)
    if group_by == "week":
        return week_of(when)
    if group_by == LEAD_FIELDS:  # "campaign id|source", split by `_lead_fields`
        return Concat(
            Coalesce(Cast(f"{prefix}campaign_id", CharField()), Value("")),
            Value("|"),
            Coalesce(NullIf(Lower(f"{prefix}source"), Value("")), Value("")),
            output_field=CharField(),
        )
    return None


def _grouped(queryset: QuerySet, key, *columns: str, **aggregates) -> list[dict]:
    """`aggregates` per `key` (absent without a group) and `columns`, as rows."""
    if key is None and not columns:
        return [queryset.aggregate(**aggregates)]
    if key is not None:
        queryset, columns = queryset.annotate(grp=key), ("grp", *columns)
    return list(queryset.order_by().values(*columns).annotate(**aggregates))


def _period_entries(query: ReportQuery, ids: list[int]) -> QuerySet:
    """The transitions into the path's stages that the period mode counts."""
    return lead_scope(
        StageTransition.objects.filter(
            to_stage_id__in=ids,
            at__gte=query.start_at,
            at__lt=query.end_at,
            **recorded_by(query, "at"),
        ),
        query,
    )


def _period(
    query: ReportQuery, ids: list[int], group_by, move, *, leads: bool = False
) -> tuple[dict, dict]:
    """Entries per (group, stage id), and with `leads` the distinct leads behind them (one
    statement either way), and revenue per group."""
    entries = _period_entries(query, ids)
    key = _group_key(group_by, query, move, when="at")
    distinct = {"leads": Count("lead_id", distinct=True)} if leads else {}
    counts = {
        (row.get("grp"), row["to_stage_id"]): {"entered": row["n"], **{k: row[k] for k in distinct}}
        for row in _grouped(entries, key, "to_stage_id", n=Count("*"), **distinct)
    }
    won = lead_scope(
        Disposition.objects.filter(
            kind=Disposition.Kind.WON,
            at__gte=query.start_at,
            at__lt=query.end_at,
            **recorded_by(query, "at"),
        ),
        query,
    )
    key = _group_key(group_by, query, move, when="at")
    revenue = {row.get("grp"): row["s"] for row in _grouped(won, key, s=Sum("amount"))}
    return counts, revenue


def _cohort(query: ReportQuery, path: list[Stage], won_ids, group_by, move) -> tuple[dict, dict]:
    """The cohort's counts and revenue in one statement: a row per cohort lead with a 1 for
    each stage of the path it entered (by as-of) and for won, from one grouped pass over the
    transitions since the start (a lead with one before it is not in the cohort), and a row
    per won disposition of the cohort; summed per group."""
    known = recorded_by(query, "transitions__at")
    lead_key = _group_key(group_by, query, move, when="first_at", lead="pk")
    key = _group_key(group_by, query, move, when="first_at")
    if group_by is None:  # one group
        lead_key = key = Value(None, output_field=CharField())

    def entered(stage_ids: list[int]) -> Max:
        entry = Q(transitions__to_stage_id__in=stage_ids, **known)
        return Max(Case(When(entry, then=Value(1)), default=Value(0)))

    flags = {f"s{i}": entered([stage.pk]) for i, stage in enumerate(path)}
    flags["won"] = entered(won_ids)
    earlier = StageTransition.objects.filter(lead_id=OuterRef("pk"), at__lt=query.start_at)
    leads = _holder_scope(
        Lead.objects.filter(**query.lead_filters(), transitions__at__gte=query.start_at).filter(
            ~Exists(earlier)
        ),
        query,
        "pk",
    )
    leads = (
        leads.values("pk")
        .annotate(first_at=Min("transitions__at"), **flags)
        .filter(first_at__lt=query.end_at, **recorded_by(query, "first_at"))
        .annotate(grp=lead_key)
        .annotate(amount=Value(None, output_field=DecimalField()))
    )
    won = (
        lead_scope(
            Disposition.objects.filter(kind=Disposition.Kind.WON, **recorded_by(query, "at")),
            query,
        )
        .alias(first_at=first_entry("lead_id"))
        .filter(
            first_at__gte=query.start_at,
            first_at__lt=query.end_at,
            **recorded_by(query, "first_at"),
        )
        .annotate(grp=key)
        .annotate(**{name: Value(0) for name in flags})
    )
    columns = ["grp", *flags, "amount"]
    products = {"amount": ("amount",)}
    for i in range(len(path)):
        products[f"entered_{i}"] = (f"s{i}",)
        products[f"to_next_{i}"] = (f"s{i}", f"s{i + 1}") if i + 1 < len(path) else (f"s{i}",)
        products[f"to_won_{i}"] = (f"s{i}", "won")
    totals = sums(
        leads.values(*columns).union(won.order_by().values(*columns), all=True),
        group="grp",
        products=products,
    )
    counts, revenue = {}, {}
    for grp, t in totals.items():
        if t["amount"] is not None:
            revenue[grp] = Decimal(str(t["amount"]))
        for i, stage in enumerate(path):
            if t[f"entered_{i}"]:
                counts[(grp, stage.pk)] = {
                    "entered": t[f"entered_{i}"],
                    "to_next": t[f"to_next_{i}"],
                    "to_won": t[f"to_won_{i}"],
                }
    return counts, revenue


def funnel_period_leads(*, query: ReportQuery, group_by: str | None = None) -> dict[tuple, int]:
    """The distinct leads behind `funnel_report`'s period entries: {(group, stage key): leads}.

    The same transitions, groups and filters as the period mode, counted per lead: a lead that
    entered a stage twice in the period is one lead (two entries). What a link to the leads
    behind an entry count lists. Pairs with no entry are absent. One query (and the path's).
    """
    if group_by not in (None, *GROUPS):
        raise ValueError(f"Unknown funnel group {group_by!r}.")
    path = {s.pk: s.key for s in main_path()}
    move = qualifying_move() if group_by == "qualifier" else None
    entries = _period_entries(query, list(path))
    key = _group_key(group_by, query, move, when="at")
    rows = _grouped(entries, key, "to_stage_id", n=Count("lead_id", distinct=True))
    return {(row.get("grp"), path[row["to_stage_id"]]): row["n"] for row in rows}


@report_session()  # the distinct leads of a period sort in memory
def funnel_by_lead_fields(*, query: ReportQuery, mode: str = "period") -> dict[str | None, dict]:
    """`funnel_report` without a group, by campaign and by source, from one grouped pass.

    A lead has one campaign and one source, so every count the funnel makes (entries, the
    distinct leads behind them, a cohort's leads, revenue) falls in exactly one (campaign,
    source) pair: counted per pair once, they add up to the counts per campaign, per source and
    overall. Keyed None, "campaign" and "source": {"rows": as `funnel_report` with that group,
    "leads": as `funnel_period_leads` (period mode; None in cohort mode, whose counts are leads
    already)}. Three statements in period mode (entries and their leads, revenue, the path),
    two in cohort mode, and the report session's settings.
    """
    if mode not in MODES:
        raise ValueError(f"Unknown funnel mode {mode!r}.")
    path, won_ids, pairs, pair_revenue = _counts(query, mode, LEAD_FIELDS, None, leads=True)
    keys = {s.pk: s.key for s in path}
    out = {}
    for index, name in ((None, None), (0, "campaign"), (1, "source")):
        counts: dict[tuple, dict] = {}
        for (pair, stage), figures in pairs.items():
            group = None if index is None else _lead_fields(pair)[index]
            total = counts.setdefault((group, stage), {})
            for figure, n in figures.items():
                total[figure] = total.get(figure, 0) + n
        revenue: dict = {}
        for pair, amount in pair_revenue.items():
            group = None if index is None else _lead_fields(pair)[index]
            revenue[group] = revenue.get(group, 0) + Decimal(str(amount or 0))
        groups = [None] if name is None else _groups_found(counts, revenue)
        leads = None
        if mode == "period":
            leads = {(group, keys[stage]): c["leads"] for (group, stage), c in counts.items()}
        out[name] = {
            "rows": _rows(path, won_ids, mode, groups, counts, revenue),
            "leads": leads,
        }
    return out


def _lead_fields(pair: str) -> tuple[int | None, str | None]:
    """The campaign id and source of a `LEAD_FIELDS` group ("12|webinar", "|", ...)."""
    campaign, _, source = pair.partition("|")
    return (int(campaign) if campaign else None, source or None)
