"""Charts of the weekly report as PNG images, drawn with matplotlib's Agg renderer.

Drawn from the report's snapshot, so a chart shows what the stored figures say; the same data
gives the same bytes. matplotlib is imported when a chart is drawn, not when the app loads.
"""

from __future__ import annotations

import datetime
import io

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reporting.alerts import decimal_text, percent

BRAND = "#2c5f8a"
PAST = "#a9bfd3"
TARGET = "#b3261e"
MEAN = "#65717e"
INK = "#1d2733"
WIDTH_INCHES = 6.4  # shown 640 px wide; drawn at 150 dpi for sharp screens
DPI = 150
BARS_LISTED = 10
LABEL_CHARS = 34


def handoff_chart_name(handoff: str) -> str:
    return f"handoff-{handoff}.png"


def section_chart_name(section: str) -> str:
    return f"{section}.png"


# Which column of a section to draw, and how: the first column of this format.
SECTION_CHARTS = {"reasons": "int", "reps": "percent"}


def _section_column(section: dict, fmt: str) -> str | None:
    """The column of a section's table to draw (the first of format `fmt`), if any."""
    values = [c["key"] for c in section["columns"] if c["format"] == fmt]
    texts = [c for c in section["columns"] if c["format"] == "text"]
    if not values or not texts or not section["rows"]:
        return None
    return values[0]


def weekly_chart_names(data: dict) -> list[str]:
    """The charts `weekly_charts` draws for this report, without drawing them."""
    names = [
        handoff_chart_name(h["handoff"])
        for h in data["handoffs"]
        if h["decided"] or any(t["volume"] for t in h["trend"])
    ]
    for key, fmt in SECTION_CHARTS.items():
        section = data["sections"].get(key)
        if section and _section_column(section, fmt):
            names.append(section_chart_name(key))
    return names


def weekly_charts(data: dict) -> dict[str, bytes]:
    """Every chart of the report, by name (the name is also its cid in the email)."""
    wanted = set(weekly_chart_names(data))
    images = {}
    for h in data["handoffs"]:
        name = handoff_chart_name(h["handoff"])
        if name in wanted:
            images[name] = handoff_trend_png(h, week=data["week"])
    for key, fmt in SECTION_CHARTS.items():
        name = section_chart_name(key)
        if name in wanted:
            section = data["sections"][key]
            value = _section_column(section, fmt)
            column = next(c for c in section["columns"] if c["key"] == value)
            images[name] = bars_png(
                title=_(section["title"]) if fmt != "percent" else _(column["label"]),
                labels=[_label_of(row, section) for row in section["rows"]],
                values=[row.get(value) for row in section["rows"]],
                percent=fmt == "percent",
            )
    return images


def _label_of(row: dict, section: dict) -> str:
    """A row's name: its first two text columns ("Reject · No budget")."""
    from .render import QUEUE

    keys = [c["key"] for c in section["columns"] if c["format"] == "text"][:2]
    # The purpose of a reason and "(queue)" are kept in English in the snapshot.
    text = (
        " · ".join(
            _(row[k]) if k == "purpose" or row[k] == QUEUE else str(row[k])
            for k in keys
            if row.get(k)
        )
        or "\u2013"
    )
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _percent_tick(value: float, _position=None) -> str:
    """An axis tick: 0.25 → "25%", in the active language's way."""
    return percent(value, 0)


def _figure(height: float):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    figure.patch.set_facecolor("white")
    return figure


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    # No "Software" stamp: the same figures give the same bytes.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _style(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#c9d1da")
    ax.tick_params(colors=INK, labelsize=7.5, length=0)


def handoff_trend_png(handoff: dict, *, week: str) -> bytes:
    """Weekly acceptance over the 8 weeks before and the report's week (the dark bar), with the
    target and the 8-week mean as lines."""
    from matplotlib.ticker import FuncFormatter

    weeks = [*handoff["trend"], {"week": week, "value": handoff["acceptance_rate"],
                                 "volume": handoff["decided"]}]  # fmt: skip
    figure = _figure(2.5)
    ax = figure.add_axes((0.08, 0.2, 0.9, 0.62))
    _style(ax)
    xs = list(range(len(weeks)))
    for x, w in zip(xs, weeks, strict=True):
        color = BRAND if x == xs[-1] else PAST
        if w["value"] is None:
            ax.text(x, 0.03, _("no\ndecisions"), ha="center", va="bottom", fontsize=6, color=MEAN)
            continue
        ax.bar(x, w["value"], width=0.68, color=color, zorder=2)
        # Inside the bar's top, clear of the target and mean lines; above a short bar.
        inside = w["value"] >= 0.15
        ax.text(x, w["value"] - 0.03 if inside else w["value"] + 0.02,
                percent(w["value"], 0), ha="center", va="top" if inside else "bottom",
                fontsize=7, zorder=4, color="white" if inside and x == xs[-1] else INK,
                fontweight="bold" if x == xs[-1] else "normal")  # fmt: skip
    lines = []
    target = handoff["target_rate"]
    # Each week against the target in force that week (snapshots before dated targets kept
    # one target for all weeks): a step where the target changed.
    targets = [w.get("target", target) for w in handoff["trend"]] + [target]
    if len(set(targets)) == 1:
        label = _("target %(rate)s") % {"rate": percent(target, 0)}
        lines.append(ax.axhline(target, color=TARGET, linestyle="--", linewidth=1.1, zorder=3,
                                label=label))  # fmt: skip
    else:
        (step,) = ax.step([x - 0.5 for x in xs] + [xs[-1] + 0.5], [*targets, target],
                          where="post", color=TARGET, linestyle="--", linewidth=1.1, zorder=3,
                          label=_("target by week (%(rate)s this week)")
                          % {"rate": percent(target, 0)})  # fmt: skip
        lines.append(step)
    if handoff["mean_8_weeks"] is not None:
        mean = handoff["mean_8_weeks"]
        label = _("8-week mean %(mean)s") % {"mean": percent(mean)}
        lines.append(ax.axhline(mean, color=MEAN, linestyle=":", linewidth=1.3, zorder=3,
                                label=label))  # fmt: skip
    ax.set_ylim(0, 1.12)
    ax.yaxis.set_major_formatter(FuncFormatter(_percent_tick))
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.grid(axis="y", color="#eef1f5", zorder=0)
    ax.set_xticks(xs)
    ax.set_xticklabels([
        f"W{datetime.date.fromisoformat(w['week']).isocalendar()[1]:02d}\n"
        + ngettext("%(n)s decided", "%(n)s decided", w["volume"])
        % {"n": decimal_text(w["volume"], 0)}
        for w in weeks
    ])  # fmt: skip
    ax.set_xlim(-0.6, len(weeks) - 0.4)
    figure.text(0.08, 0.93, _("%(name)s: acceptance by week") % {"name": handoff["name"]},
                fontsize=9,
                fontweight="bold", color=INK)  # fmt: skip
    ax.legend(handles=lines, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=7,
              frameon=False)  # fmt: skip
    return _png(figure)


def bars_png(*, title: str, labels: list[str], values: list, percent: bool) -> bytes:
    """Horizontal bars (at most 10): counts, largest first, or rates on a 0-100% scale,
    lowest first."""
    from matplotlib.ticker import FuncFormatter

    pairs = [
        (label, value) for label, value in zip(labels, values, strict=True) if value is not None
    ]
    # Counts: the largest first. Rates (compliance): the lowest first, where a manager looks.
    pairs.sort(key=lambda p: p[1] if percent else -p[1])
    if percent and len(pairs) > BARS_LISTED:
        title = _("%(title)s: the %(listed)s lowest of %(count)s") % {
            "title": title, "listed": BARS_LISTED, "count": decimal_text(len(pairs), 0)
        }  # fmt: skip
    pairs = pairs[:BARS_LISTED]
    figure = _figure(0.75 + 0.26 * max(len(pairs), 1))
    ax = figure.add_axes((0.36, 0.08, 0.58, 1 - 0.08 - 0.5 / figure.get_figheight()))
    _style(ax)
    ys = list(range(len(pairs)))[::-1]
    top = 1.0 if percent else max([v for _label, v in pairs] or [1])
    ax.barh(ys, [v for _label, v in pairs], height=0.62, color=BRAND, zorder=2)
    for y, (_label, value) in zip(ys, pairs, strict=True):
        text = _percent_tick(value) if percent else decimal_text(value, 0)
        ax.text(value + top * 0.01, y, text, va="center", fontsize=7, color=INK)
    ax.set_yticks(ys)
    ax.set_yticklabels([label for label, _value in pairs])
    ax.set_xlim(0, top * 1.12)
    if percent:
        ax.xaxis.set_major_formatter(FuncFormatter(_percent_tick))
    ax.grid(axis="x", color="#eef1f5", zorder=0)
    figure.text(0.02, 1 - 0.28 / figure.get_figheight(), title, fontsize=9, fontweight="bold",
                color=INK)  # fmt: skip
    return _png(figure)
