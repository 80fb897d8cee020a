"""The weekly feedback report: built once per week from the reports, kept, shown and emailed.

`weekly_report_build` gathers one complete week (Monday to Sunday, local time) into plain JSON,
renders it as an email, and stores both as the week's `WeeklyReport`. The snapshot is the report:
the web page, the CSV and the email are drawn from it, so a lead that moves next month does not
rewrite what managers read. Building a week that has a snapshot returns it, unless `rebuild`.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from funnel.models import Campaign, HandoffPair, ReasonPurpose, Role, Team, User
from handoff.models import Disposition, Offer, OfferStatus
from reporting import charts
from reporting.alerts import (
    DASH,
    TREND_WEEKS,
    acceptance_weeks,
    percent,
    ratio_alert_data,
    ratio_alert_list,
    ratio_alert_text,
    trailing_mean,
    trend_weeks,
)
from reporting.models import RatioWatch, WeeklyReport
from reporting.params import ReportQuery, local_midnight
from reporting.selectors.black_hole import black_hole_report, local_iso
from reporting.selectors.common import rate
from reporting.selectors.handoffs import handoff_report
from reporting.selectors.reasons import hidden_gems_report, reasons_report
from reporting.selectors.velocity import velocity_report
from reporting.weeks import week_check_complete, week_label, week_shift

REPORT_VERSION = 1
DEALS_LISTED = 25  # per outcome; the totals count them all
LEADS_LISTED = 15  # black-hole leads and hidden gems; the notes give the totals
BLACK_HOLE_WEEKS = 156  # how far back an accepted lead may have fallen in
CAMPAIGN_WEEKS_AHEAD = 2


# --- sections as tables -----------------------------------------------------------------------


def table(*, title: str, rows: list[dict], columns: list[tuple], source: str,
          note: str = "") -> dict:  # fmt: skip
    """A section as the snapshot keeps it: columns (key, label, format) and plain rows.

    Formats: text, email, int, number, percent, hours, amount, date. Rows keep only their
    columns.
    """
    cols = [{"key": key, "label": label, "format": fmt} for key, label, fmt in columns]
    return {
        "title": title,
        "columns": cols,
        "rows": [{c["key"]: _plain(row.get(c["key"])) for c in cols} for row in rows],
        "source": source,
        "note": note,
    }


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
    """Each handoff in the week against its target, with the 8 weeks before it."""
    series = acceptance_weeks(week=week)
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
            trend.append({"week": key, "value": rate(hits, volume), "volume": volume})
        watch = watches.get(pair.pk)
        row = week_rows.get(pair.key, {})
        decided = row.get("accepted", 0) + row.get("rejected", 0) + row.get("expired", 0)
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
                "target_rate": float(pair.target_rate),
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
        row["kind"]: {"count": row["count"], "amount": float(row["amount"] or 0)}
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
                    "amount": float(d.amount) if d.amount is not None else None,
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
    labels = dict(ReasonPurpose.choices)
    rows = [
        {**r, "purpose": labels.get(r["purpose"], r["purpose"])}
        for r in reasons_report(query=_week_query(week))["by_reason"]
        if r["purpose"] in (ReasonPurpose.REJECT, ReasonPurpose.DISQUALIFY)
    ]
    return table(
        title="Reject and disqualification reasons",
        columns=[("purpose", "Purpose", "text"), ("label", "Reason", "text"),
                 ("count", "Leads", "int"), ("share", "Share of purpose", "percent")],
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
        status__in=[OfferStatus.ACCEPTED, OfferStatus.REJECTED, OfferStatus.EXPIRED],
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
                "rep": rep["rep"] or "(queue)",
                "handoff": handoff["handoff"],
                "offers": rep["offers"],
                "decided_in_time": rate(c.get("decided_in_time"), c.get("decided")),
                "touched_in_time": rate(c.get("touched_in_time"), c.get("touch_due")),
                "decision_hours": rep["decision_median_hours"],
                "follow_up_hours": rep["follow_up_median_hours"],
            })  # fmt: skip
    rows.sort(key=lambda r: (r["rep"] == "(queue)", r["rep"], r["handoff"]))
    return table(
        title="SLA compliance and follow-up time by rep",
        columns=[("rep", "Rep", "text"), ("handoff", "Handoff", "text"),
                 ("offers", "Offers", "int"),
                 ("decided_in_time", "Decided in SLA", "percent"),
                 ("touched_in_time", "First touch in SLA", "percent"),
                 ("decision_hours", "Hours to decide", "hours"),
                 ("follow_up_hours", "Hours to follow up", "hours")],
        rows=rows, source="reporting.selectors.velocity.velocity_report + weekly",
        note="Offers routed to each rep in the week. Hours (medians) to decide run from "
        "routing; to follow up, from acceptance to the first touch.",
    )  # fmt: skip


def _black_hole(week: datetime.date) -> dict:
    """Leads accepted (up to 3 years back) and left without a disposition past their working
    limit, as the week ended (black_hole_report)."""
    result = black_hole_report(
        query=_week_query(week, weeks_before=BLACK_HOLE_WEEKS, as_of=True), limit=LEADS_LISTED
    )
    owners = ", ".join(f"{o['owner'] or '(queue)'} {o['count']}" for o in result["by_owner"])
    return table(
        title="The black hole: accepted, then left past the working limit",
        columns=[("email", "Lead", "email"), ("company", "Company", "text"),
                 ("owner", "Owner", "text"), ("accepted_at", "Accepted", "date"),
                 ("age_days", "Days since accepted", "number"), ("touches", "Touches", "int"),
                 ("last_touch_at", "Last touch", "date")],
        rows=result["results"], source="reporting.selectors.black_hole.black_hole_report",
        note=f"{result['total']} at the end of the week"
        + (f"; by owner: {owners}." if owners else "."),
    )  # fmt: skip


def _hidden_gems(week: datetime.date) -> dict:
    """Leads rejected or disqualified in the week or the 8 before it that were active
    afterwards, by the end of the week (hidden_gems_report)."""
    result = hidden_gems_report(
        query=_week_query(week, weeks_before=TREND_WEEKS, as_of=True), limit=LEADS_LISTED
    )
    return table(
        title="Hidden gems to review",
        columns=[("email", "Lead", "email"), ("company", "Company", "text"),
                 ("label", "Rejected for", "text"), ("rejected_at", "Rejected", "date"),
                 ("rejected_by", "By", "text"), ("activity_since", "Activities since", "int"),
                 ("points_since", "Points since", "int")],
        rows=result["results"], source="reporting.selectors.reasons.hidden_gems_report",
        note=f"{result['total']} leads rejected or disqualified in the last {TREND_WEEKS + 1} "
        "weeks showed marketing activity afterwards.",
    )  # fmt: skip


def _campaigns(week: datetime.date) -> list[dict]:
    start = week_shift(week, 1)
    upcoming = Campaign.objects.filter(
        start__gte=start, start__lt=week_shift(start, CAMPAIGN_WEEKS_AHEAD)
    ).order_by("start", "name")
    return [
        {"name": c.name, "channel": c.get_channel_display(), "start": c.start.isoformat(),
         "end": c.end.isoformat() if c.end else None, "cost": float(c.cost)}
        for c in upcoming
    ]  # fmt: skip


def weekly_report_data(*, week: datetime.date, now: datetime.datetime | None = None) -> dict:
    """The week's report as plain JSON, from the reports and the alerts raised for the week."""
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


# --- rendering ---------------------------------------------------------------------------------


def period_label(data: dict) -> str:
    first = datetime.date.fromisoformat(data["week"])
    last = datetime.date.fromisoformat(data["week_end"]) - datetime.timedelta(days=1)
    if first.month == last.month:
        return f"{first.day}{DASH}{last.day} {last:%B %Y}"
    return f"{first.day} {first:%b} {DASH} {last.day} {last:%b %Y}"


def amount(value) -> str:
    return DASH if value is None else f"{value:,.0f}"


def formatted(value, fmt: str) -> str:
    if value is None or value == "":
        return DASH
    if fmt == "percent":
        return percent(value)
    if fmt == "hours":
        return f"{value:.1f} h"
    if fmt == "amount":
        return amount(value)
    if fmt == "date":
        return str(value)[:10]
    return str(value)


def weekly_report_context(data: dict, images: dict[str, str]) -> dict:
    """What the templates show: the snapshot with figures formatted and chart sources set."""
    handoffs = []
    for h in data["handoffs"]:
        gap = None
        if h["acceptance_rate"] is not None:
            gap = round((h["acceptance_rate"] - h["target_rate"]) * 100, 1)
        handoffs.append({
            **h,
            "rate_text": percent(h["acceptance_rate"]),
            "target_text": percent(h["target_rate"]),
            "mean_text": percent(h["mean_8_weeks"]),
            "sla_text": percent(h["sla_met_rate"]),
            "gap": gap,
            "chart": images.get(charts.handoff_chart_name(h["handoff"])),
        })  # fmt: skip
    sections = []
    for key, section in data["sections"].items():
        cols = section["columns"]
        sections.append({
            **section, "key": key,
            "chart": images.get(charts.section_chart_name(key)),
            "cells": [
                [{"text": formatted(row.get(c["key"]), c["format"]),
                  "n": c["format"] not in ("text", "email"), "wrap": c["format"] == "email"}
                 for c in cols]
                for row in section["rows"]
            ],
        })  # fmt: skip
    outcomes = {
        kind: {**o, "amount_text": amount(o["amount"]),
               "has_amounts": any(d["amount"] is not None for d in o["deals"]),
               "has_notes": any(d["note"] for d in o["deals"]),
               "deals": [{**d, "amount_text": amount(d["amount"])} for d in o["deals"]]}
        for kind, o in data["outcomes"].items()
    }  # fmt: skip
    built = datetime.datetime.fromisoformat(data["built_at"])
    return {
        "data": data,
        "built": f"{built:%Y-%m-%d %H:%M}",
        "period": period_label(data),
        "handoffs": handoffs,
        "outcomes": outcomes,
        "sections": sections,
        "alerts": data["alerts"],
        "campaigns": data["campaigns"],
    }


def weekly_report_render(*, data: dict, images: dict[str, str]) -> str:
    """The report as an email document; `images` maps each chart's name to its src."""
    return render_to_string("reporting/weekly_email.html", weekly_report_context(data, images))


def content_id(name: str) -> str:
    return f"{name}@leadflow"


def _email_html(data: dict) -> str:
    names = charts.weekly_chart_names(data)
    return weekly_report_render(data=data, images={n: f"cid:{content_id(n)}" for n in names})


# --- building ----------------------------------------------------------------------------------


def weekly_report_build(*, week: datetime.date, rebuild: bool = False) -> tuple[WeeklyReport, bool]:
    """The week's snapshot, built now if it has none (or `rebuild`); returns (report, built).

    The figures are gathered before the write, outside any transaction; two builds racing for a
    new week keep the first one's snapshot (the week is unique), and the second returns it.
    """
    week_check_complete(week)
    if not rebuild:
        stored = WeeklyReport.objects.filter(week=week).first()
        if stored is not None:
            return stored, False
    now = timezone.now()
    data = weekly_report_data(week=week, now=now)
    html = _email_html(data)
    with transaction.atomic():
        report, created = WeeklyReport.objects.get_or_create(
            week=week, defaults={"data": data, "html": html, "built_at": now}
        )
        if not created and rebuild:
            report.data, report.html, report.built_at = data, html, now
            report.save(update_fields=["data", "html", "built_at"])
            return report, True
    return report, created


# --- email -------------------------------------------------------------------------------------


def weekly_report_recipients() -> list[User]:
    """The leaders: each team's manager, and everyone with the manager role (active, with an
    email address)."""
    leaders = Team.objects.filter(manager__isnull=False).values_list("manager_id")
    return list(
        User.objects.filter(Q(pk__in=leaders) | Q(role=Role.MANAGER), is_active=True)
        .exclude(email="")
        .order_by("username")
    )


def weekly_report_text(data: dict, *, path: str = "/reports/weekly/") -> str:
    """The plain-text part of the email, for clients that show no HTML."""
    lines = [f"Weekly feedback report, {data['iso_week']} ({period_label(data)})", ""]
    for h in data["handoffs"]:
        lines.append(
            f"{h['name']}: {percent(h['acceptance_rate'])} accepted of {h['decided']} decided "
            f"(target {percent(h['target_rate'])}, 8-week mean {percent(h['mean_8_weeks'])})"
        )
    won, lost = data["outcomes"]["won"], data["outcomes"]["lost"]
    lines += ["", f"Won: {won['count']} ({amount(won['amount'])}); lost: {lost['count']}."]
    if data["alerts"]:
        lines += ["", "Alerts:"] + [f"- {a['text']}" for a in data["alerts"]]
    lines += ["", "The full report, with charts, is the HTML part of this email, and in Leadflow "
              f"at {path}"]  # fmt: skip
    return "\n".join(lines)


def weekly_report_message(*, report: WeeklyReport, to: list[str], images: dict[str, bytes]):
    """One email: text, the stored HTML, and the charts as inline PNGs the HTML shows by cid."""
    message = EmailMultiAlternatives(
        subject=f"[Leadflow] Weekly feedback report {report.data['iso_week']}",
        body=weekly_report_text(
            report.data, path=reverse("reporting:weekly-detail", args=[report.pk])
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
    )
    message.attach_alternative(report.html, "text/html")
    message.mixed_subtype = "related"
    for name, png in images.items():
        image = MIMEImage(png, "png")
        image.add_header("Content-ID", f"<{content_id(name)}>")
        image.add_header("Content-Disposition", "inline", filename=name)
        message.attach(image)
    return message


def weekly_report_email(*, report: WeeklyReport, force: bool = False) -> int:
    """Email the report to the managers once; returns the number of emails sent.

    Claimed by a conditional update first, so two workers never both send it; a failed send
    gives the claim back, for the retry. `force` sends it again (a manager asked for it).
    """
    now = timezone.now()
    if not force:
        claimed = WeeklyReport.objects.filter(pk=report.pk, emailed_at__isnull=True).update(
            emailed_at=now
        )
        if not claimed:
            return 0
    recipients = weekly_report_recipients()
    images = charts.weekly_charts(report.data)
    try:
        messages = [
            weekly_report_message(report=report, to=[user.email], images=images)
            for user in recipients
        ]
        sent = get_connection().send_messages(messages) if messages else 0
    except Exception:
        if not force:
            WeeklyReport.objects.filter(pk=report.pk, emailed_at=now).update(emailed_at=None)
        raise
    if force:
        WeeklyReport.objects.filter(pk=report.pk).update(emailed_at=now)
    report.emailed_at = now
    return sent or 0


# --- CSV ---------------------------------------------------------------------------------------


def weekly_report_csv(data: dict) -> str:
    """The snapshot as CSV: one block per section, each with its own header row."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([f"Weekly feedback report {data['iso_week']}", period_label(data),
                f"time zone {data['time_zone']}", f"built {data['built_at']}"])  # fmt: skip
    w.writerow([])
    w.writerow(["Handoffs"])
    trend = data["handoffs"][0]["trend"] if data["handoffs"] else []
    w.writerow(["handoff", "offered", "decided", "accepted", "rejected", "expired", "pending",
                "acceptance_rate", "target_rate", "mean_8_weeks", "sla_met_rate", "alert"]
               + [f"rate {t['week']}" for t in trend])  # fmt: skip
    for h in data["handoffs"]:
        w.writerow([h["name"], h["offered"], h["decided"], h["accepted"], h["rejected"],
                    h["expired"], h["pending"], h["acceptance_rate"], h["target_rate"],
                    h["mean_8_weeks"], h["sla_met_rate"], "yes" if h["alert"] else ""]
                   + [t["value"] for t in h["trend"]])  # fmt: skip
    w.writerow([])
    w.writerow(["Wins and losses"])
    w.writerow(["outcome", "lead", "company", "amount", "reason", "competitor", "rep", "at"])
    for kind, outcome in data["outcomes"].items():
        for d in outcome["deals"]:
            w.writerow([kind, d["name"], d["company"], d["amount"], d["reason"], d["competitor"],
                        d["rep"], d["at"]])  # fmt: skip
    for section in data["sections"].values():
        w.writerow([])
        w.writerow([section["title"]])
        w.writerow([c["label"] for c in section["columns"]])
        for row in section["rows"]:
            w.writerow([row.get(c["key"]) for c in section["columns"]])
    w.writerow([])
    w.writerow(["Alerts"])
    w.writerow(["ratio", "value", "target", "mean_8_weeks", "volume", "reasons"])
    for a in data["alerts"]:
        w.writerow([a["ratio"], a["value"], a["target"], a["baseline"], a["volume"],
                    " ".join(a["reasons"])])  # fmt: skip
    w.writerow([])
    w.writerow(["Campaigns starting in the next two weeks"])
    w.writerow(["campaign", "channel", "start", "end"])
    for c in data["campaigns"]:
        w.writerow([c["name"], c["channel"], c["start"], c["end"]])
    return out.getvalue()
