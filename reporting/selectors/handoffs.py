"""Acceptance per handoff: each offer is an event, measured against the handoff's target."""

from __future__ import annotations

import datetime

from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import Cast, Concat

from funnel.models import HandoffPair
from funnel.selectors import target_today, targets_by_day
from handoff.models import Offer, OfferStatus
from leadflow.locale import local_tz
from reporting.params import ReportQuery
from reporting.sql import HoursBetween, percentiles_of, report_session

from .common import (
    DECIDED,
    DECIDED_BY_PEOPLE,
    counted_leads,
    decided_count,
    first_touch,
    happened_by,
    holder,
    holder_filters,
    hours,
    rate,
    recorded_by,
    week_of,
)


def _offers(query: ReportQuery):
    """Offers made in the period (by when they were offered), with the report's filters."""
    offers = Offer.objects.filter(
        counted_leads(query),
        offered_at__gte=query.start_at,
        offered_at__lt=query.end_at,
        **recorded_by(query, "offered_at"),
    ).order_by()
    if not holder_filters(query):
        return offers  # who held an offer is asked only to filter by it
    return offers.alias(**holder(query)).filter(**holder_filters(query))


@report_session()
def handoff_report(
    *,
    query: ReportQuery,
    interval: str | None = None,
    durations: bool = True,
    leads: bool = False,
) -> list[dict]:
    """One row per handoff pair (per week with `interval="week"`).

    `durations=False` leaves the hours to decision and to first touch out (None): one pass over
    the offers fewer, for a reader that shows only the counts and rates (the dashboard).

    `leads=True` adds to each row, from the same pass, the distinct leads behind its offer
    counts (`"leads"`: offered, accepted, rejected, expired, withdrawn, pending): a lead offered
    twice in the period is one lead; what a link to the leads behind a count lists.

    Decided = accepted + rejected + expired (the SLA expired it); withdrawn offers (the lead
    moved on by another path) are counted apart and left out of the rate. In an as-of report an
    offer decided after that moment is still pending.

    Each row's target is the one in force then (`target_day`): on the week's last day, or on
    the period's; in an as-of report as recorded by then.
    """
    offers = _offers(query)
    decided_by = happened_by(query, "decided_at")
    keys = ["handoff_id", "week"] if interval == "week" else ["handoff_id"]
    if interval == "week":
        offers = offers.annotate(week=week_of("offered_at"))

    companions = _distinct_leads(decided_by) if leads else {}
    counts = offers.values(*keys).annotate(
        **companions,
        offered=Count("id"),
        accepted=Count("id", filter=Q(status=OfferStatus.ACCEPTED) & decided_by),
        rejected=Count("id", filter=Q(status=OfferStatus.REJECTED) & decided_by),
        expired=Count("id", filter=Q(status=OfferStatus.EXPIRED) & decided_by),
        withdrawn=Count("id", filter=Q(status=OfferStatus.WITHDRAWN) & decided_by),
        sla_due=Count("id", filter=Q(status__in=DECIDED, accept_due_at__isnull=False) & decided_by),
        sla_met=Count(
            "id",
            filter=Q(
                status__in=DECIDED_BY_PEOPLE,
                decided_at__lte=F("accept_due_at"),
            )
            & decided_by,
        ),
    )
    decisions, touches = _durations(offers, query, interval) if durations else ({}, {})

    rows = []
    by_key = {tuple(row[k] for k in keys): row for row in counts}
    pairs = HandoffPair.objects.select_related("offered_stage", "accepted_stage").order_by(
        "offered_stage__position"
    )
    weeks_of = {key[1] for key in by_key} if interval else set()
    days = {week: target_day(query, week) for week in [*weeks_of, None]}
    targets = targets_by_day(days=sorted(set(days.values())), as_of=query.as_of)
    for pair in pairs:
        weeks = sorted({key[1] for key in by_key if key[0] == pair.pk}) if interval else [None]
        for week in weeks:
            key = (pair.pk, week) if interval == "week" else (pair.pk,)
            c = by_key.get(key, {})
            decided = decided_count(c)
            closed = decided + c.get("withdrawn", 0)
            d, t = decisions.get(key, {}), touches.get(key, {})
            row = {
                "handoff": pair.key,
                "offered_stage": pair.offered_stage.key,
                "accepted_stage": pair.accepted_stage.key,
                "offered": c.get("offered", 0),
                "accepted": c.get("accepted", 0),
                "rejected": c.get("rejected", 0),
                "expired": c.get("expired", 0),
                "withdrawn": c.get("withdrawn", 0),
                "pending": c.get("offered", 0) - closed,
                "acceptance_rate": rate(c.get("accepted"), decided),
                "target_rate": float(targets.get(pair.pk, {}).get(days[week], pair.target_rate)),
                "median_hours_to_decision": hours(d.get(50)),
                "p95_hours_to_decision": hours(d.get(95)),
                "median_hours_to_first_touch": hours(t.get(50)),
                "p95_hours_to_first_touch": hours(t.get(95)),
                "sla_met_rate": rate(c.get("sla_met"), c.get("sla_due")),
            }
            if leads:
                row["leads"] = {name.removeprefix("leads_"): c.get(name, 0) for name in companions}
            if interval == "week":
                row = {"week": week, **row}
            rows.append(row)
    return rows


def _distinct_leads(decided_by: Q) -> dict[str, Count]:
    """The distinct leads behind each offer count, as aggregates named "leads_<count>"."""
    closed = Q(status__in=[*DECIDED, OfferStatus.WITHDRAWN]) & decided_by

    def leads(condition: Q | None = None) -> Count:
        return Count("lead_id", distinct=True, filter=condition)

    statuses = (OfferStatus.ACCEPTED, OfferStatus.REJECTED, OfferStatus.EXPIRED,
                OfferStatus.WITHDRAWN)  # fmt: skip
    return {
        "leads_offered": leads(),
        **{f"leads_{status.value}": leads(Q(status=status) & decided_by) for status in statuses},
        "leads_pending": leads(~closed),
    }


def target_day(query: ReportQuery, week: str | None = None) -> datetime.date:
    """The day whose target a report compares with: the week's last day (Sunday), or without a
    week the period's last day; never after today (as-of: its day), so a week under way
    compares with the target in force now, not with one set to start on its Saturday."""
    if week is None:
        last = query.end - datetime.timedelta(days=1)
    else:
        last = datetime.date.fromisoformat(week) + datetime.timedelta(days=6)
    now = query.as_of.astimezone(local_tz()).date() if query.as_of else target_today()
    return min(last, now)


def _durations(offers, query: ReportQuery, interval: str | None) -> tuple[dict, dict]:
    """Percentiles of hours to decision and to first touch, keyed like the counts: both in one
    pass over the offers."""
    if interval == "week":
        group = Concat(Cast("handoff_id", CharField()), Value("|"), week_of("offered_at"))
    else:
        group = F("handoff_id")
    decided = Q(happened_by(query, "decided_at"), status__in=DECIDED)
    timed = offers.alias(touch_at=first_touch(query)).annotate(
        grp=group,
        decision=Case(When(decided, then=HoursBetween("decided_at", "offered_at"))),
        touch=Case(
            When(happened_by(query, "touch_at"), then=HoursBetween("touch_at", "offered_at"))
        ),
    )
    found = percentiles_of(timed, values=("decision", "touch"), group="grp")
    return _rekey(found["decision"], interval), _rekey(found["touch"], interval)


def _rekey(values: dict, interval: str | None) -> dict:
    if interval != "week":
        return {(int(k),): v for k, v in values.items()}
    out = {}
    for k, v in values.items():
        pair_id, week = k.split("|", 1)
        out[(int(pair_id), week)] = v
    return out
