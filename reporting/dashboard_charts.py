"""The dashboard's charts as inline SVG, drawn on the server from the dashboard's figures.

A viewBox 360 units wide, scaled to the column (at most 560 px), so text stays readable at
375 px; no script, no library. Each bar is a link to the leads behind it, and each chart has a
title and a description for screen readers (the figures are also in a table beside it).
"""

from __future__ import annotations

import datetime

from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reporting.alerts import decimal_text, percent

WIDTH = 360
BRAND = "#2c5f8a"
LOSS = "#f2b8b5"
GAIN = "#b9dfc1"
TARGET = "#b3261e"
INK = "#1d2733"
MUTED = "#65717e"
GRID = "#eef1f5"


def _svg(template: str, *args) -> SafeString:
    """`format_html` that keeps numbers numbers, so the template may give their precision."""
    return mark_safe(
        template.format(*(a if isinstance(a, int | float) else conditional_escape(a) for a in args))
    )


def _short(stage: dict) -> str:
    """A stage's label in the chart: its name, or its key in capitals when the name is long
    ("MQL" for "Marketing Qualified Lead"); the table beside the chart gives the names."""
    return stage["name"] if len(stage["name"]) <= 8 else stage["key"].upper()


def _number(value: int) -> str:
    """A count as text, grouped in the active language (1,234; in Russian 1 234)."""
    return decimal_text(value, 0)


def _signed(change: int) -> str:
    """A change as text: "+1,234", "-5" (grouped as the active language groups)."""
    return ("+" if change > 0 else "-") + _number(abs(change))


def _stage_label(name: str, count: int, unit: str) -> str:
    """ "MQL: 1,234 entries" (or leads); `unit` "entries" or "leads", else any text."""
    args = {"stage": name, "n": _number(count)}
    if unit == "entries":
        return ngettext("%(stage)s: %(n)s entry", "%(stage)s: %(n)s entries", count) % args
    if unit == "leads":
        return ngettext("%(stage)s: %(n)s lead", "%(stage)s: %(n)s leads", count) % args
    return f"{name}: {args['n']} {unit}"


def _linked(url: str | None, body: SafeString, label: str) -> SafeString:
    if not url:
        return body
    return format_html('<a href="{}" aria-label="{}">{}</a>', url, label, body)


def waterfall_svg(stages: list[dict], *, unit: str, title: str) -> SafeString:
    """The funnel as a waterfall: a bar per stage (its count, `unit`: "entries" or "leads"),
    and between two stages a floating bar for the change, a loss (red) or, in period mode,
    a gain (green: entries of the next stage can outnumber this one's)."""
    label_w, bar_x, bar_w = 62, 68, 236
    stage_h, step_h, top = 26, 16, 8
    values = [s["count"] for s in stages]
    scale = max(values or [0]) or 1
    parts = []
    y = top
    for i, stage in enumerate(stages):
        width = bar_w * stage["count"] / scale
        label = _stage_label(stage["name"], stage["count"], unit)
        bar = _svg(
            '<rect x="{}" y="{}" width="{:.1f}" height="{}" fill="{}" rx="2"><title>{}</title>'
            "</rect>",
            bar_x,
            y,
            max(width, 1),
            stage_h - 4,
            BRAND,
            label,
        )
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="13" fill="{}">{}</text>',
                label_w,
                y + 16,
                INK,
                _short(stage),
            )
        )
        parts.append(_linked(stage.get("url"), bar, label))
        parts.append(
            _svg(
                '<text x="{:.1f}" y="{}" font-size="13" fill="{}" font-weight="600">{}</text>',
                bar_x + width + 4,
                y + 16,
                INK,
                _number(stage["count"]),
            )
        )
        y += stage_h
        if i + 1 < len(stages):
            after = stages[i + 1]["count"]
            change = after - stage["count"]
            low, high = sorted((after, stage["count"]))
            x = bar_x + bar_w * low / scale
            width = bar_w * (high - low) / scale
            if change:
                parts.append(
                    _svg(
                        '<rect x="{:.1f}" y="{}" width="{:.1f}" height="{}" fill="{}"></rect>',
                        x,
                        y + 1,
                        max(width, 1),
                        step_h - 3,
                        LOSS if change < 0 else GAIN,
                    )
                )
            parts.append(
                _svg(
                    '<text x="{:.1f}" y="{}" font-size="11" fill="{}">{}</text>',
                    bar_x + bar_w * high / scale + 4,
                    y + 12,
                    MUTED,
                    _signed(change) if change else "±0",
                )
            )
            y += step_h
    height = y + top
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t">'
        '<title id="{}-t">{}</title>{}</svg>',
        WIDTH,
        height,
        "waterfall",
        "waterfall",
        title,
        mark_safe("".join(parts)),
    )


def _week_label(week: datetime.date) -> str:
    return f"W{week.isocalendar()[1]:02d}"


def trend_svg(handoff: dict, *, chart_id: str) -> SafeString:
    """A handoff's weekly acceptance (bars, of decided offers) over 8 weeks against each
    week's target (a step line: it moves in the week a new target takes effect)."""
    weeks = handoff["trend"]
    left, right, top, plot_h = 42, 4, 16, 100  # room for "100 %" (Russian spaces the sign)
    slot = (WIDTH - left - right) / max(len(weeks), 1)
    top_value = max([1.0, *(w["rate"] or 0 for w in weeks), *(w["target"] for w in weeks)])

    def y_of(value: float) -> float:
        return top + plot_h * (1 - value / top_value)

    parts = []
    for tick in (0, 0.5, 1.0):
        parts.append(
            _svg(
                '<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="{}"></line>'
                '<text x="{}" y="{:.1f}" font-size="11" text-anchor="end" fill="{}">{}</text>',
                left,
                WIDTH - right,
                y_of(tick),
                y_of(tick),
                GRID,
                left - 4,
                y_of(tick) + 3,
                MUTED,
                percent(tick, 0),
            )
        )
    steps = []
    for i, week in enumerate(weeks):
        x = left + i * slot
        label_y = top + plot_h + 14
        parts.append(
            _svg(
                '<text x="{:.1f}" y="{}" font-size="11" text-anchor="middle" fill="{}">{}</text>',
                x + slot / 2,
                label_y,
                MUTED,
                _week_label(week["week"]),
            )
        )
        accepted = week["accepted"]
        parts.append(
            _linked(
                accepted["url"],
                _svg(
                    '<text x="{:.1f}" y="{}" font-size="11" text-anchor="middle" fill="{}">{}'
                    "</text>",
                    x + slot / 2,
                    label_y + 14,
                    BRAND if accepted["url"] else MUTED,
                    _number(accepted["value"]),
                ),
                ngettext(
                    "%(week)s: %(n)s lead accepted",
                    "%(week)s: %(n)s leads accepted",
                    accepted["value"],
                )
                % {"week": _week_label(week["week"]), "n": _number(accepted["value"])},
            )
        )
        parts.append(
            _svg(
                '<text x="{:.1f}" y="{}" font-size="10" text-anchor="middle" fill="{}">{}</text>',
                x + slot / 2,
                label_y + 27,
                MUTED,
                # Translators: under a week's accepted leads in a chart: "of 12" decided offers.
                _("of %(n)s") % {"n": _number(week["decided"])},
            )
        )
        if week["rate"] is not None:
            bar_top = y_of(week["rate"])
            parts.append(
                _svg(
                    '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}" '
                    'rx="2"><title>{}</title></rect>'
                    '<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="middle" '
                    'fill="{}">{}</text>',
                    x + slot * 0.18,
                    bar_top,
                    slot * 0.64,
                    top + plot_h - bar_top,
                    BRAND,
                    ngettext(
                        "%(rate)s of %(n)s decided offer, target %(target)s",
                        "%(rate)s of %(n)s decided offers, target %(target)s",
                        week["decided"],
                    )
                    % {
                        "rate": percent(week["rate"]),
                        "n": _number(week["decided"]),
                        "target": percent(week["target"]),
                    },
                    x + slot / 2,
                    bar_top - 3,
                    INK,
                    percent(week["rate"], 0),
                )
            )
        steps.append((x, x + slot, y_of(week["target"])))
    if steps:
        path = [f"M{steps[0][0]:.1f},{steps[0][2]:.1f}"]
        for _x0, x1, y in steps:
            path.append(f"V{y:.1f}H{x1:.1f}")
        parts.append(
            format_html(
                '<path d="{}" fill="none" stroke="{}" stroke-width="1.6" stroke-dasharray="4 2">'
                "</path>",
                " ".join(path),
                TARGET,
            )
        )
    height = top + plot_h + 46
    description = format_html_join(
        "; ",
        "{}: {} ({})",
        (
            (
                _week_label(w["week"]),
                percent(w["rate"]),
                _("target %(rate)s") % {"rate": percent(w["target"])},
            )
            for w in weeks
        ),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d">'
        '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>{}</svg>',
        WIDTH,
        height,
        chart_id,
        chart_id,
        chart_id,
        _("%(name)s: acceptance by week against the target") % {"name": handoff["name"]},
        chart_id,
        description,
        mark_safe("".join(parts)),
    )
