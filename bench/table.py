"""The table a run prints: one row per figure, with its floor from issue 10 and its verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Row:
    """One line of the table. `check` says whether the measured figures meet the floor."""

    title: str
    unit: str  # "s", "rate", "count", "bytes"
    floor: str
    check: Callable[[Row], bool] | None = None
    value: float | None = None
    p95: float | None = None
    p99: float | None = None
    errors: int | None = None
    ref: float | None = None
    ref_title: str = ""
    ratio: float | None = None
    runs: int | None = None
    load: tuple[float, float] | None = None
    failure: str = ""

    @property
    def verdict(self) -> str:
        if self.failure:
            return "error"
        if self.value is None:
            return "not run"
        if self.check is None:
            return "—"
        return "pass" if self.check(self) else "FAIL"


def at_most(limit: float, *, ratio: float | None = None) -> Callable[[Row], bool]:
    return lambda r: r.value <= limit and (ratio is None or (r.ratio or 0) <= ratio)


def _latency_floor(r: Row) -> bool:
    return r.p95 <= 0.100 and r.p99 <= 0.250 and r.errors == 0


# The demo data (`seed_demo`'s default) and issue 12's targets for the dashboard and the leads
# list: under 200 ms of server time on the demo data, under 1 s at 1,000,000 leads.
DEMO_LEADS = 5000
PAGE_DEMO, PAGE_1M = 0.200, 1.0


def page_target(leads: int) -> tuple[float, str]:
    """The server-time target a page row is held to at this size: 200 ms up to the demo data's
    size, 1 s (the 1M target) above it, so at 100,000 leads a pass only says the 1M run is
    worth doing."""
    if leads <= DEMO_LEADS:
        return PAGE_DEMO, "p95 ≤ 200 ms (demo data), 0 errors"
    return PAGE_1M, "p95 ≤ 1 s (1M; 200 ms on the demo data), 0 errors"


PAGE_ROWS = {
    "dash_default": "9. dashboard, marketer: default period (last 4 weeks)",
    "dash_campaign": "9. dashboard, marketer: default period, one campaign",
    "dash_computed": "9. dashboard, marketer: a question not asked before (figures computed)",
    "leads_first": "10. leads list, marketer: first page, default sort",
    "leads_deep": "10. leads list, marketer: page 41 (keyset, 40 x next)",
    "leads_filtered": "10. leads list, marketer: stage + campaign + score range",
    "leads_search": "10. leads list, marketer: search by email fragment",
    "leads_count": "10. leads list, marketer: count=all",
    "leads_manager": "10. leads list, manager (team-visible): first page",
}


def rows_template(leads: int) -> dict[str, Row]:
    n = f"{leads:,}"
    clients32 = "p95 ≤ 100 ms, p99 ≤ 250 ms, 0 errors"
    target, page_floor = page_target(leads)
    return {
        "ingest": Row(
            "1. bulk ingest over HTTP (leads/s), 1,000-lead batches, half updates, 4 clients",
            "rate",
            "≥ 10,000 leads/s and ≥ 0.3 x upsert",
            lambda r: r.value >= 10_000 and (r.ratio or 0) >= 0.3,
        ),
        "statements": Row(
            "2. one 1,000-lead bulk request: SQL statements", "count", "≤ 50", at_most(50)
        ),
        "rss": Row(
            "2. one 1,000-lead bulk request: web worker peak RSS",
            "bytes",
            "≤ 100 MB",
            at_most(100e6),
        ),
        "accept_ingest": Row(
            "3. accept while 4 bulk clients run",
            "s",
            "p95 ≤ 200 ms",
            lambda r: r.p95 <= 0.200 and not r.errors,
        ),
        "handoffs": Row(
            "4. handoffs report, 26 weeks",
            "s",
            "≤ 300 ms, ≤ 1.5 x SQL",
            at_most(0.300, ratio=1.5),
        ),
        "cohort": Row("4. cohort funnel by campaign", "s", "≤ 1 s", at_most(1.0)),
        "velocity": Row("4. velocity report", "s", "≤ 1 s", at_most(1.0)),
        "qualifiers": Row("4. qualifiers report", "s", "≤ 1 s", at_most(1.0)),
        "reasons": Row("4. reasons report", "s", "≤ 1 s", at_most(1.0)),
        "weekly": Row("5. weekly_report --rebuild", "s", "≤ 10 s", at_most(10.0)),
        "sweep_due": Row("6. SLA sweep: 10,000 due of ~100,000 open", "s", "≤ 2 s", at_most(2.0)),
        "sweep_idle": Row("6. SLA sweep: nothing due", "s", "≤ 20 ms", at_most(0.020)),
        "c32_queue": Row("7. 32 clients, 30 s: queue page", "s", clients32, _latency_floor),
        "c32_list": Row("7. 32 clients, 30 s: lead list API", "s", clients32, _latency_floor),
        "c32_accept": Row("7. 32 clients, 30 s: accept", "s", clients32, _latency_floor),
        **{
            key: Row(title, "s", page_floor, lambda r, t=target: r.p95 <= t and not r.errors)
            for key, title in PAGE_ROWS.items()
        },
        "seed_time": Row(
            f"8. seed_demo --leads {n}: wall time", "s", "≤ 5 min (1M)", at_most(300.0)
        ),
        "seed_rss": Row(
            f"8. seed_demo --leads {n}: peak RSS", "bytes", "≤ 1.5 GiB (1M)", at_most(1.5 * 2**30)
        ),
    }


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "s":
        if value < 1:
            return f"{value * 1000:.1f} ms" if value < 0.01 else f"{value * 1000:.0f} ms"
        return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"
    if unit == "x":
        return f"{value:.1f}x"
    if unit == "rate":
        return f"{value:,.0f}/s"
    if unit == "bytes":
        return f"{value / 1e6:,.0f} MB"
    return f"{value:,.0f}"


def table(rows: dict[str, Row]) -> str:
    head = "| scenario | median | p95 | p99 | errors | reference (same run) | ratio | floor "
    head += "| result | n | load avg |"
    lines = [head, "| " + " | ".join(["---"] * 11) + " |"]
    for row in rows.values():
        ref = f"{row.ref_title} {fmt(row.ref, 'rate' if row.unit == 'rate' else 's')}"
        lines.append(
            "| "
            + " | ".join(
                [
                    row.title,
                    fmt(row.value, row.unit),
                    fmt(row.p95, row.unit),
                    fmt(row.p99, row.unit),
                    "" if row.errors is None else str(row.errors),
                    ref.strip() if row.ref is not None else "",
                    "" if row.ratio is None else f"{row.ratio:.3g}",
                    row.floor,
                    row.verdict,
                    "" if row.runs is None else str(row.runs),
                    "" if row.load is None else f"{row.load[0]:.1f} to {row.load[1]:.1f}",
                ]
            )
            + " |"
        )
    return "\n".join(lines)
