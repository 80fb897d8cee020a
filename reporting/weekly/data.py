"""Gathering the weekly report: one complete week's figures as plain JSON, kept as its snapshot.

`weekly_report_build` gathers one complete week (Monday to Sunday, local time) into plain JSON,
renders it as an email, and stores both as the week's `WeeklyReport`. The snapshot is the report:
the web page, the CSV and the email are drawn from it, so a lead that moves next month does not
rewrite what managers read. Building a week that has a snapshot returns it, unless `rebuild`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone, translation

# `_` marks the snapshot's texts for translation and keeps them in English: they are
# translated as the report is shown (render.py), in each reader's language.
from django.utils.translation import gettext_noop as _

from funnel.models import Campaign, HandoffPair, ReasonPurpose
from funnel.selectors import targets_by_day
from handoff.models import Disposition, Offer, OfferStatus
from leadflow.locale import local_midnight
from reporting.alerts import (
    TREND_WEEKS,
    acceptance_weeks,
    ratio_alert_data,
    ratio_alert_list,
    ratio_alert_text,
    trailing_mean,
    trend_weeks,
)
from reporting.models import RatioWatch, WeeklyReport
from reporting.params import ReportQuery
from reporting.selectors.black_hole import black_hole_report
from reporting.selectors.common import DECIDED, decided_count, local_iso, money_number, rate
from reporting.selectors.handoffs import handoff_report
from reporting.selectors.reasons import hidden_gems_report, reasons_report
from reporting.selectors.velocity import velocity_report
from reporting.weeks import week_check_complete, week_label, week_shift

from .render import QUEUE, weekly_report_email_html

REPORT_VERSION = 1
DEALS_LISTED = 25  # per outcome; the totals count them all
LEADS_LISTED = 15  # black-hole leads and hidden gems; the notes give the totals
BLACK_HOLE_WEEKS = 156  # how far back an accepted lead may have fallen in
CAMPAIGN_WEEKS_AHEAD = 2
DAY = datetime.timedelta(days=1)


# --- sections as tables -----------------------------------------------------------------------


def table(*, title: str, rows: list[dict], columns: list[tuple], source: str,
          note: str = "", note_args: dict | None = None) -> dict:  # fmt: skip
    """A section as the snapshot keeps it: columns (key, label, format) and plain rows.

    Formats: text, email, int, number, percent, hours, amount, date. Rows keep only their
    columns. Titles, labels and notes are kept in English (the snapshot is the same for every
    reader) and translated as the report is shown (render.py); `note_args` keeps the figures of
    a note that has some, so it can be worded again in the reader's language.
    """
    cols = [{"key": key, "label": label, "format": fmt} for key, label, fmt in columns]
    section = {
        "title": title,
        "columns": cols,
        "rows": [{c["key"]: _plain(row.get(c["key"])) for c in cols} for row in rows],
        "source": source,
        "note": note,
    }
    if note_args is not None:
        section["note_args"] = note_args
    return section


def _plain(value):
    """JSON-ready: dates as ISO strings, decimals as floats."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


# --- the week's figures ------------------------------------------------------------------------


def _week_query(week: datetime.date, *, weeks_before: int = 0, as_of: bool = False):
    """The report's week (and `weeks_before` it); `as_of` its end, so the figures are those
    the week ended with, however late the report is built."""
    end = week_shift(week, 1)
    return ReportQuery(
        start=week_shift(week, -weeks_before), end=end, as_of=local_midnight(end) if as_of else None
    )


def _handoffs(week: datetime.date, alerted: set[int]) -> list[dict]:
    """Each handoff in the week against the target in force that week, with the 8 weeks before
    it, each against its own week's target."""
    series = acceptance_weeks(week=week)
    last_days = {
        key: week_shift(datetime.date.fromisoformat(key), 1) - DAY for key in trend_weeks(week)
    }
    targets = targets_by_day(days=sorted(set(last_days.values())))
    watches = {
        w.handoff_id: w
        for w in RatioWatch.objects.filter(kind=RatioWatch.Kind.ACCEPTANCE, active=True)
    }
    week_rows = {r["handoff"]: r for r in handoff_report(query=_week_query(week))}
    out = []
    for pair in HandoffPair.objects.order_by("offered_stage__position"):
        weeks = series.get(pair.key, {})
        trend = []
        for key in trend_weeks(week):
            hits, volume = weeks.get(key, (0, 0))
            target = targets.get(pair.pk, {}).get(last_days[key], pair.target_rate)
            trend.append(
                {
                    "week": key,
                    "value": rate(hits, volume),
                    "volume": volume,
                    "target": float(target),
                }
            )
        watch = watches.get(pair.pk)
        row = week_rows.get(pair.key, {})
        decided = decided_count(row)
        out.append(
            {
                "handoff": pair.key,
                "name": pair.name,
                "offered": row.get("offered", 0),
                "decided": decided,
                "accepted": row.get("accepted", 0),
                "rejected": row.get("rejected", 0),
                "expired": row.get("expired", 0),
                "pending": row.get("pending", 0),
                "acceptance_rate": row.get("acceptance_rate"),
                "target_rate": row.get("target_rate", float(pair.target_rate)),
                "mean_8_weeks": trailing_mean(trend, max(watch.min_volume if watch else 1, 1)),
                "sla_met_rate": row.get("sla_met_rate"),
                "median_hours_to_decision": row.get("median_hours_to_decision"),
                "median_hours_to_first_touch": row.get("median_hours_to_first_touch"),
                "trend": trend,
                "alert": bool(watch and watch.pk in alerted),
            }
        )
    return out


def _outcomes(query: ReportQuery) -> dict:
    """Deals won and lost in the week: who, how much, why; totals over all of them."""
    deals = Disposition.objects.filter(
        kind__in=[Disposition.Kind.WON, Disposition.Kind.LOST],
        at__gte=query.start_at,
        at__lt=query.end_at,
        **query.lead_filters("lead__"),
    )
    totals = {
        row["kind"]: {"count": row["count"], "amount": money_number(row["amount"] or 0)}
        for row in deals.values("kind").annotate(count=Count("id"), amount=Sum("amount"))
    }
    out = {}
    for kind in (Disposition.Kind.WON, Disposition.Kind.LOST):
        listed = (
            deals.filter(kind=kind)
            .select_related("lead", "reason", "actor")
            .order_by(F("amount").desc(nulls_last=True), "at", "id")[:DEALS_LISTED]
        )
        out[kind] = {
            **totals.get(kind, {"count": 0, "amount": 0.0}),
            "deals": [
                {
                    "lead_id": d.lead_id,
                    "name": f"{d.lead.first_name} {d.lead.last_name}".strip() or d.lead.email,
                    "company": d.lead.company,
                    "amount": money_number(d.amount),
                    "reason": d.reason.label if d.reason_id else "",
                    "competitor": d.competitor,
                    "note": d.note,
                    "rep": (d.actor.get_full_name() or d.actor.username) if d.actor_id else "",
                    "at": local_iso(d.at),
                }
                for d in listed
            ],
        }
    return out


def _reasons(week: datetime.date) -> dict:
    """Reject and disqualification reasons given in the week (reasons_report, by reason)."""
    labels = {value: str(label) for value, label in ReasonPurpose.choices}
    rows = [
        {**r, "purpose": labels.get(r["purpose"], r["purpose"])}
        for r in reasons_report(query=_week_query(week))["by_reason"]
        if r["purpose"] in (ReasonPurpose.REJECT, ReasonPurpose.DISQUALIFY)
    ]
    return table(
        title=_("Reject and disqualification reasons"),
        columns=[("purpose", _("Purpose"), "text"), ("label", _("Reason"), "text"),
                 ("count", _("Leads"), "int"), ("share", _("Share of purpose"), "percent")],
        rows=rows, source="reporting.selectors.reasons.reasons_report",
    )  # fmt: skip


def _sla_by_rep(query: ReportQuery) -> dict[tuple, dict]:
    """Per (handoff, rep): offers decided, and decided in time; accepted offers due a first
    touch by the end of the week, and touched in time."""
    end = query.end_at
    offers = Offer.objects.filter(
        offered_at__gte=query.start_at, offered_at__lt=end, **query.lead_filters("lead__")
    )
    decided = Q(
        status__in=DECIDED,
        accept_due_at__isnull=False,
        decided_at__isnull=False,
    )
    touch_due = Q(status=OfferStatus.ACCEPTED, first_touch_due_at__lt=end)
    counts = offers.values("handoff__key", "assignee__username").annotate(
        decided=Count("id", filter=decided),
        decided_in_time=Count("id", filter=decided & Q(decided_at__lte=F("accept_due_at"))
                              & ~Q(status=OfferStatus.EXPIRED)),
        touch_due=Count("id", filter=touch_due),
        touched_in_time=Count("id", filter=touch_due
                              & Q(first_touch_at__lte=F("first_touch_due_at"))),
    )  # fmt: skip
    return {(c["handoff__key"], c["assignee__username"]): c for c in counts}


def _reps(week: datetime.date) -> dict:
    """SLA compliance (here) and decision and follow-up times (velocity_report) per rep."""
    query = _week_query(week)
    sla = _sla_by_rep(query)
    rows = []
    for handoff in velocity_report(query=query)["handoffs"]:
        for rep in handoff["reps"]:
            c = sla.get((handoff["handoff"], rep["rep"]), {})
            rows.append({
                "rep": rep["rep"] or QUEUE,
                "handoff": handoff["handoff"],
                "offers": rep["offers"],
                "decided_in_time": rate(c.get("decided_in_time"), c.get("decided")),
                "touched_in_time": rate(c.get("touched_in_time"), c.get("touch_due")),
                "decision_hours": rep["decision_median_hours"],
                "follow_up_hours": rep["follow_up_median_hours"],
            })  # fmt: skip
    rows.sort(key=lambda r: (r["rep"] == QUEUE, r["rep"], r["handoff"]))
    return table(
        title=_("SLA compliance and follow-up time by rep"),
        columns=[("rep", _("Rep"), "text"), ("handoff", _("Handoff"), "text"),
                 ("offers", _("Offers"), "int"),
                 ("decided_in_time", _("Decided in SLA"), "percent"),
                 ("touched_in_time", _("First touch in SLA"), "percent"),
                 ("decision_hours", _("Hours to decide"), "hours"),
                 ("follow_up_hours", _("Hours to follow up"), "hours")],
        rows=rows, source="reporting.selectors.velocity.velocity_report + weekly",
        note=_(
            "Offers routed to each rep in the week. Hours (medians) to decide run from "
            "routing; to follow up, from acceptance to the first touch."
        ),
    )  # fmt: skip


def _black_hole(week: datetime.date) -> dict:
    """Leads accepted (up to 3 years back) and left without a disposition past their working
    limit, as the week ended (black_hole_report)."""
    result = black_hole_report(
        query=_week_query(week, weeks_before=BLACK_HOLE_WEEKS, as_of=True), limit=LEADS_LISTED
    )
    owners = ", ".join(f"{o['owner'] or '(queue)'} {o['count']}" for o in result["by_owner"])
    return table(
        title=_("The black hole: accepted, then left past the working limit"),
        columns=[("email", _("Lead"), "email"), ("company", _("Company"), "text"),
                 ("owner", _("Owner"), "text"), ("accepted_at", _("Accepted"), "date"),
                 ("age_days", _("Days since accepted"), "number"),
                 ("touches", _("Touches"), "int"),
                 ("last_touch_at", _("Last touch"), "date")],
        rows=result["results"], source="reporting.selectors.black_hole.black_hole_report",
        note=f"{result['total']} at the end of the week"
        + (f"; by owner: {owners}." if owners else "."),
        # The figures of the note, so it is worded in each reader's language (render.py).
        note_args={"total": result["total"],
                   "by_owner": [[o["owner"], o["count"]] for o in result["by_owner"]]},
    )  # fmt: skip


def _hidden_gems(week: datetime.date) -> dict:
    """Leads rejected or disqualified in the week or the 8 before it that were active
    afterwards, by the end of the week (hidden_gems_report)."""
    result = hidden_gems_report(
        query=_week_query(week, weeks_before=TREND_WEEKS, as_of=True), limit=LEADS_LISTED
    )
    return table(
        title=_("Hidden gems to review"),
        columns=[("email", _("Lead"), "email"), ("company", _("Company"), "text"),
                 ("label", _("Rejected for"), "text"), ("rejected_at", _("Rejected"), "date"),
                 ("rejected_by", _("By"), "text"),
                 ("activity_since", _("Activities since"), "int"),
                 ("points_since", _("Points since"), "int")],
        rows=result["results"], source="reporting.selectors.reasons.hidden_gems_report",
        note=f"{result['total']} leads rejected or disqualified in the last {TREND_WEEKS + 1} "
        "weeks showed marketing activity afterwards.",
        note_args={"total": result["total"], "weeks": TREND_WEEKS + 1},
    )  # fmt: skip


def _campaigns(week: datetime.date) -> list[dict]:
    start = week_shift(week, 1)
    upcoming = Campaign.objects.filter(
        start__gte=start, start__lt=week_shift(start, CAMPAIGN_WEEKS_AHEAD)
    ).order_by("start", "name")
    return [
        {"name": c.name, "channel": c.get_channel_display(), "start": c.start.isoformat(),
         "end": c.end.isoformat() if c.end else None, "cost": money_number(c.cost)}
        for c in upcoming
    ]  # fmt: skip


def _english(function, *args):
    with translation.override(settings.LANGUAGE_CODE):
        return function(*args)


def weekly_report_data(*, week: datetime.date, now: datetime.datetime | None = None) -> dict:
    """The week's report as plain JSON, from the reports and the alerts raised for the week.

    Its texts (labels of choices, the alerts' sentences) are in the site's language whoever
    builds it: the snapshot is one for every reader, translated as it is shown (render.py)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _weekly_report_data(week=week, now=now)


def _weekly_report_data(*, week: datetime.date, now: datetime.datetime | None = None) -> dict:
    alerts = list(ratio_alert_list(week=week))
    return {
        "version": REPORT_VERSION,
        "week": week.isoformat(),
        "week_end": week_shift(week, 1).isoformat(),  # exclusive: the next Monday
        "iso_week": week_label(week),
        "time_zone": settings.TIME_ZONE,
        "built_at": local_iso(now or timezone.now()),
        "trend_weeks": TREND_WEEKS,
        "handoffs": _handoffs(week, {a.watch_id for a in alerts}),
        "outcomes": _outcomes(_week_query(week)),
        "sections": {
            "reasons": _reasons(week),
            "reps": _reps(week),
            "black_hole": _black_hole(week),
            "hidden_gems": _hidden_gems(week),
        },
        "alerts": [{**ratio_alert_data(a), "text": ratio_alert_text(a)} for a in alerts],
        "campaigns": _campaigns(week),
    }


# --- building ----------------------------------------------------------------------------------


def weekly_report_build(
    *, week: datetime.date, rebuild: bool = False, now: datetime.datetime | None = None
) -> tuple[WeeklyReport, bool]:
    """The week's snapshot, built now if it has none (or `rebuild`); returns (report, built).

    `now`: the moment it is built at (the demo's own clock); the week must be over by then.
    The figures are gathered before the write, outside any transaction; two builds racing for a
    new week keep the first one's snapshot (the week is unique), and the second returns it.
    """
    now = now or timezone.now()
    week_check_complete(week, now)
    if not rebuild:
        stored = WeeklyReport.objects.filter(week=week).first()
        if stored is not None:
            return stored, False
    data = weekly_report_data(week=week, now=now)
    # The stored email is the site's language's; each recipient's is rendered as it is mailed.
    html = _english(weekly_report_email_html, data)
    with transaction.atomic():
        report, created = WeeklyReport.objects.get_or_create(
            week=week, defaults={"data": data, "html": html, "built_at": now}
        )
        if not created and rebuild:
            report.data, report.html, report.built_at = data, html, now
            report.save(update_fields=["data", "html", "built_at"])
            return report, True
    return report, created
