"""Rendering the weekly report: a snapshot as the templates show it, in the page and the email."""

from __future__ import annotations

import datetime

from django.template.loader import render_to_string

from reporting.alerts import DASH, percent

from . import charts


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


def weekly_report_email_html(data: dict) -> str:
    """The report as emailed: each chart shown by its cid, the inline image's Content-ID."""
    names = charts.weekly_chart_names(data)
    return weekly_report_render(data=data, images={n: f"cid:{content_id(n)}" for n in names})
