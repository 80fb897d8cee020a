"""The plan, a reverse waterfall: from a revenue goal back to the leads each stage must see.

The main path is the funnel's active open stages in order, ending at its won stage (by default
inquiry → QI → QIA → MQL → SAL → SQL → won). Each step's rate comes from the stage history of
the window (the query's period, by default the trailing weeks before `end`):

    rate(A → B) = moves from A to B in the window / leads that entered A in the window

Counting moves and entries in the same weeks reads a steady flow without waiting for each
cohort to finish (recent SQLs have not closed yet, recent inquiries that never move would never
count against a rate computed only from leads that left a stage). A lead that skips a stage (a
demo request entering at MQL, an inquiry moved straight to MQL) is not on the main path: it
enters its stage without adding to the step before it.

The need at each stage is the deals the goal takes divided by the rates from that stage down to
won, computed exactly (fractions), and rounded up once at the end, never step by step: per week
`ceil(need / weeks)`, for the whole planning period `ceil(need)`.
"""

from __future__ import annotations

import datetime
import itertools
import math
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from funnel.models import HandoffPair, Stage, StageKind
from funnel.selectors import target_today, with_target_in_force
from handoff.models import Disposition, StageTransition
from reporting.params import ReportQuery

from .common import money_number, ratio, recorded_by

DEFAULT_TRAILING_WEEKS = 12

# Plain (English) strings, translated where they are given (the API answers in the request's
# language).
UNKNOWN_HANDOFF = gettext_noop("There is no handoff '{key}'.")
NOT_POSITIVE = gettext_noop("Must be greater than zero.")
HANDOFF_OFF_PATH = gettext_noop(
    "The {key} handoff ({offered} → {accepted}) is not a step of the main path."
)
NO_DEAL_SIZE = gettext_noop(
    "No deal with an amount was won in the window, so there is no average deal size: "
    "give deal_size."
)
NO_WON_STAGE = gettext_noop("The funnel has no active won stage to plan towards.")
NOT_ENOUGH_HISTORY = gettext_noop(
    "No lead entered {a} in the window, so the {a} → {b} rate is unknown (not enough history)."
)
NO_CONVERSIONS = gettext_noop(
    "Of the {entered} entries into {a} in the window, none moved on to {b}: "
    "no number of {a} leads reaches the goal."
)
RATE_ABOVE_ONE = gettext_noop(
    "More leads moved from {a} to {b} ({moved}) than entered {a} ({entered}) in the window "
    "(a backlog moved on): planned at 100%."
)
TARGET_IS_ZERO = gettext_noop(
    "A target rate of 0 accepts nothing: the scenario cannot reach the goal."
)


def plan_window(end: datetime.date, trailing_weeks: int) -> tuple[datetime.date, datetime.date]:
    """The history a plan reads: the `trailing_weeks` weeks before `end` (exclusive)."""
    return end - datetime.timedelta(weeks=trailing_weeks), end


def _main_path() -> list[dict]:
    stages = Stage.objects.filter(active=True, kind__in=[StageKind.OPEN, StageKind.WON]).order_by(
        "position", "key"
    )
    stages = list(stages.values("id", "key", "name", "kind"))
    won = next((s for s in stages if s["kind"] == StageKind.WON), None)
    return [s for s in stages if s["kind"] == StageKind.OPEN] + ([won] if won else [])


def _counts(query: ReportQuery, path: list[dict]) -> dict:
    """Entries into each stage of the path and moves along each step, in one query."""
    moves = StageTransition.objects.filter(
        at__gte=query.start_at,
        at__lt=query.end_at,
        **recorded_by(query, "at"),
        **query.lead_filters("lead__"),
    )
    figures = {f"in_{s['id']}": Count("id", filter=Q(to_stage_id=s["id"])) for s in path}
    for a, b in itertools.pairwise(path):
        figures[f"step_{a['id']}_{b['id']}"] = Count(
            "id", filter=Q(from_stage_id=a["id"], to_stage_id=b["id"])
        )
    return moves.aggregate(**figures) if figures else {}


def _won(query: ReportQuery) -> dict:
    """Won deals with an amount in the window: their number and total."""
    won = Disposition.objects.filter(
        kind=Disposition.Kind.WON,
        amount__isnull=False,
        at__gte=query.start_at,
        at__lt=query.end_at,
        **recorded_by(query, "at"),
        **query.lead_filters("lead__"),
    )
    return won.aggregate(amount=Sum("amount"), deals=Count("id"))


def _needs(deals: Fraction | None, rates: list[Fraction | None]) -> list[Fraction | None]:
    """Exact needs per stage, from won (the last) upwards; None above a missing or zero rate."""
    needs: list[Fraction | None] = [None] * (len(rates) + 1)
    needs[-1] = deals
    for i in reversed(range(len(rates))):
        below, step = needs[i + 1], rates[i]
        needs[i] = below / step if below is not None and step else None
    return needs


def _note(code: str, step: str | None, message: str) -> dict:
    return {"code": code, "step": step, "message": message}


def _ceil(value: Fraction | None) -> int | None:
    return None if value is None else math.ceil(value)


def _scenario_step(
    handoff: str | None, target_rate, pairs: dict, steps: list[tuple[dict, dict]]
) -> tuple[int | None, Fraction | None]:
    """Which step the scenario replaces, and at what rate; a handoff off the path is refused."""
    if handoff is None:
        return None, None
    pair = pairs.get(handoff)
    if pair is None:
        raise ValidationError({"handoff": [_(UNKNOWN_HANDOFF).format(key=handoff)]})
    ends = (pair["offered_stage_id"], pair["accepted_stage_id"])
    index = next((i for i, (a, b) in enumerate(steps) if (a["id"], b["id"]) == ends), None)
    if index is None:
        keys = dict(Stage.objects.filter(pk__in=ends).values_list("pk", "key"))
        message = _(HANDOFF_OFF_PATH).format(
            key=handoff, offered=keys.get(ends[0]), accepted=keys.get(ends[1])
        )
        raise ValidationError({"handoff": [message]})
    rate = target_rate if target_rate is not None else pair["target_rate"]
    return index, Fraction(str(rate))


def plan_report(
    *,
    query: ReportQuery,
    revenue_goal: Decimal,
    weeks: int,
    deal_size: Decimal | None = None,
    handoff: str | None = None,
    target_rate: Decimal | float | None = None,
) -> dict:
    """What each stage must see per week to reach `revenue_goal` in `weeks` weeks.

    `deal_size` defaults to the average amount of the deals won in the window. With `handoff`,
    a second plan (the scenario) replaces that handoff's observed step rate by `target_rate`
    (default: the handoff's configured target), side by side with the observed one. A rate or a
    deal size that cannot be known gives None and a note saying why, never an error. Four
    queries whatever the volume.
    """
    # The API validates these; other callers get the same refusal rather than a division by zero.
    bad = {
        name: [_(NOT_POSITIVE)]
        for name, value in (
            ("revenue_goal", revenue_goal),
            ("weeks", weeks),
            ("deal_size", deal_size),
        )
        if value is not None and value <= 0
    }
    if bad:
        raise ValidationError(bad)
    path = _main_path()
    steps = list(itertools.pairwise(path))
    # The configured target: the one in force today (a plan looks ahead from now).
    pairs = {
        p["key"]: {"target_rate": p.pop("target_in_force"), **p}
        for p in with_target_in_force(HandoffPair.objects.all(), day=target_today()).values(
            "key", "offered_stage_id", "accepted_stage_id", "target_in_force"
        )
    }
    step_handoffs = {(p["offered_stage_id"], p["accepted_stage_id"]): k for k, p in pairs.items()}

    scenario_index, target = _scenario_step(handoff, target_rate, pairs, steps)
    counts = _counts(query, path)
    won = _won(query)
    notes: list[dict] = []

    observed_size = Fraction(won["amount"]) / won["deals"] if won["deals"] else None
    if deal_size is not None:
        size, size_source = Fraction(deal_size), "given"
    elif observed_size is not None:
        size, size_source = observed_size, "trailing_average"
    else:
        size, size_source = None, None
        notes.append(_note("no_deal_size", None, _(NO_DEAL_SIZE)))
    if not path or path[-1]["kind"] != StageKind.WON:
        size = None
        notes.append(_note("no_won_stage", None, _(NO_WON_STAGE)))

    step_rows, planned, alternative = [], [], []
    for i, (a, b) in enumerate(steps):
        name = f"{a['key']}_{b['key']}"
        entered = counts.get(f"in_{a['id']}", 0)
        moved = counts.get(f"step_{a['id']}_{b['id']}", 0)
        observed = Fraction(moved, entered) if entered else None
        used = None if observed is None else min(observed, Fraction(1))
        if observed is None:
            notes.append(
                _note(
                    "not_enough_history",
                    name,
                    _(NOT_ENOUGH_HISTORY).format(a=a["key"], b=b["key"]),
                )
            )
        elif moved == 0:
            message = _(NO_CONVERSIONS).format(a=a["key"], b=b["key"], entered=entered)
            notes.append(_note("no_conversions", name, message))
        elif observed > 1:
            message = _(RATE_ABOVE_ONE).format(a=a["key"], b=b["key"], moved=moved, entered=entered)
            notes.append(_note("rate_above_one", name, message))
        alt = target if i == scenario_index else used
        if i == scenario_index and target == 0:
            notes.append(_note("target_is_zero", name, _(TARGET_IS_ZERO)))
        planned.append(used)
        alternative.append(alt)
        step_rows.append(
            {
                "step": name,
                "from_stage": a["key"],
                "to_stage": b["key"],
                "handoff": step_handoffs.get((a["id"], b["id"])),
                "entered": entered,
                "moved": moved,
                "rate": ratio(observed),
                "plan_rate": ratio(used),
                "scenario_rate": ratio(alt) if scenario_index is not None else None,
            }
        )

    goal = Fraction(revenue_goal)
    deals = goal / size if size else None
    needs = _needs(deals, planned)
    scenario_needs = _needs(deals, alternative) if scenario_index is not None else None
    rows = []
    for i, stage in enumerate(path):
        alt = scenario_needs[i] if scenario_needs is not None else None
        rows.append(
            {
                "stage": stage["key"],
                "name": stage["name"],
                "per_week": _ceil(needs[i] / weeks if needs[i] is not None else None),
                "total": _ceil(needs[i]),
                "scenario_per_week": _ceil(alt / weeks if alt is not None else None),
                "scenario_total": _ceil(alt),
            }
        )
    scenario = None
    if scenario_index is not None:
        scenario = {
            "handoff": handoff,
            "step": step_rows[scenario_index]["step"],
            "observed_rate": step_rows[scenario_index]["rate"],
            "configured_target_rate": ratio(Fraction(str(pairs[handoff]["target_rate"]))),
            "target_rate": ratio(target),
        }
    return {
        "results": rows,
        "revenue_goal": money_number(goal),
        "weeks": weeks,
        "deal_size": money_number(size),
        "deal_size_source": size_source,
        "observed_deal_size": money_number(observed_size),
        "won_deals": won["deals"],
        "won_amount": money_number(won["amount"]),
        "steps": step_rows,
        "scenario": scenario,
        "notes": notes,
    }
