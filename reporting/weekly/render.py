"""Rendering the weekly report: a snapshot as the templates show it, in the page and the email.

The snapshot keeps its texts in English (data.py); they are translated here, into the active
language, as the report is shown: the page in the reader's, the email in each recipient's.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import dateformat
from django.utils.formats import get_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from reporting.alerts import DASH, decimal_text, percent, ratio_alert_data_text

from . import charts

QUEUE = gettext_noop(
    "(queue)"
)  # the rep of offers still in a queue, kept so in the snapshot (data.py)


def period_label(data: dict) -> str:
    first = datetime.date.fromisoformat(data["week"])
    last = datetime.date.fromisoformat(data["week_end"]) - datetime.timedelta(days=1)
    if first.month == last.month:
        # "E": the month's name as it follows a day ("1-7 January 2026"; in Russian, "января").
        return f"{first.day}{DASH}{last.day} {dateformat.format(last, 'E Y')}"
    day_month, day_month_year = get_format("MONTH_DAY_FORMAT"), get_format("DATE_FORMAT")
    return f"{dateformat.format(first, day_month)} {DASH} {dateformat.format(last, day_month_year)}"


def amount(value) -> str:
    """A sum in whole units, grouped as the active language groups: "12,000" ("12 000")."""
    return DASH if value is None else decimal_text(value, 0)


def _localized(value) -> str:
    """A number as str() writes it, in the active language: "2.5" is "2,5" in Russian."""
    return number_format(value, use_l10n=True, force_grouping=True)


def formatted(value, fmt: str) -> str:
    if value is None or value == "":
        return DASH
    if fmt == "percent":
        return percent(value)
    if fmt == "hours":
        hours = number_format(Decimal(f"{value:.1f}"), 1, use_l10n=True, force_grouping=True)
        # Translators: a number of hours, abbreviated: "2.5 h".
        return _("%(hours)s h") % {"hours": hours}
    if fmt == "amount":
        return amount(value)
    if fmt == "date":
        return str(value)[:10]
    if fmt in ("int", "number") and isinstance(value, int | float) and not isinstance(value, bool):
        return _localized(value)
    if fmt == "text" and value == QUEUE:
        return _(QUEUE)
    return str(value)


def _cell_text(section_key: str, column: dict, value) -> str:
    text = formatted(value, column["format"])
    if section_key == "reasons" and column["key"] == "purpose" and isinstance(value, str) and value:
        return _(value)  # a reason purpose's label, kept in English (ReasonPurpose)
    return text


def section_note(key: str, section: dict) -> str:
    """The section's note in the active language: worded again from its figures where the
    snapshot keeps them, else the stored (English) note translated."""
    args = section.get("note_args")
    if key == "black_hole" and args:
        total = args["total"]
        owners = ", ".join(
            f"{owner or _(QUEUE)} {_localized(count)}" for owner, count in args["by_owner"]
        )
        if owners:
            return _("%(total)s at the end of the week; by owner: %(owners)s.") % {
                "total": _localized(total),
                "owners": owners,
            }
        return _("%(total)s at the end of the week.") % {"total": _localized(total)}
    if key == "hidden_gems" and args:
        total = args["total"]
        return ngettext(
            "%(total)s lead rejected or disqualified in the last %(weeks)s weeks showed "
            "marketing activity afterwards.",
            "%(total)s leads rejected or disqualified in the last %(weeks)s weeks showed "
            "marketing activity afterwards.",
            total,
        ) % {"total": _localized(total), "weeks": args["weeks"]}
    note = section.get("note") or ""
    return _(note) if note else ""


def weekly_report_context(data: dict, images: dict[str, str]) -> dict:
    """What the templates show: the snapshot with figures formatted, its texts translated into
    the active language, and chart sources set."""
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
            "title": _(section["title"]) if section["title"] else "",
            "note": section_note(key, section),
            "columns": [{**c, "label": _(c["label"]) if c["label"] else ""} for c in cols],
            "chart": images.get(charts.section_chart_name(key)),
            "cells": [
                [{"text": _cell_text(key, c, row.get(c["key"])),
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
        "alerts": [{**a, "text": ratio_alert_data_text(a)} for a in data["alerts"]],
        # A channel's label is kept in English (Campaign's choices), translated as shown.
        "campaigns": [
            {**c, "channel": _(c["channel"]) if c.get("channel") else ""} for c in data["campaigns"]
        ],
    }


def weekly_report_render(*, data: dict, images: dict[str, str]) -> str:
    """The report as an email document, in the active language; `images` maps each chart's
    name to its src."""
    return render_to_string("reporting/weekly_email.html", weekly_report_context(data, images))


def content_id(name: str) -> str:
    return f"{name}@leadflow"


def weekly_report_email_html(data: dict) -> str:
    """The report as emailed: each chart shown by its cid, the inline image's Content-ID."""
    names = charts.weekly_chart_names(data)
    return weekly_report_render(data=data, images={n: f"cid:{content_id(n)}" for n in names})
