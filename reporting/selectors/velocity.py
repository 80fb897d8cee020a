"""Velocity: how long leads stay in each stage, how long each side of a handoff takes, and
what becomes of recycled leads."""

from __future__ import annotations

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Concat, Greatest
from django.db.models.functions import Lead as Following

from funnel.models import HandoffPair, Stage, StageKind
from handoff.models import Offer, OfferStatus, StageTransition
from reporting.params import ReportQuery
from reporting.sql import HoursBetween, percentiles

from .common import DECIDED_BY_PEOPLE, first_touch, holder, holder_filters, hours, recorded_by
from .funnel import lead_scope

MEASURES = ("system", "decision", "follow_up")
# By who held the offer (its holder at the as-of moment in an as-of report).
SCOPES = (("all", None), ("team", "held_team"), ("rep", "held_username"))


def velocity_report(*, query: ReportQuery) -> dict:
    """Time in stage, handoff delays and recycled leads, for the period.

    `stages`: one row per active stage a lead can leave (won is final), for the stays that
    began in the period: `entered`, `left` (the lead moved on by now, or by as-of), and the
    median and 95th percentile hours from entering to the lead's next transition, over the
    stays that ended. A stay still open is censored: counted in `still_in_stage`, left out of
    the times. Each stay is one cycle: a recycled lead that comes back starts a new one.

    `handoffs`: per handoff pair, the offers made in the period and three delays, each a
    median and 95th percentile in hours: `system` (offered → routed), `decision` (routed →
    accepted or rejected by a person) and `follow_up` (accepted → first touch; a touch before
    the acceptance counts as no delay); overall, per team (`teams`) and per rep (`reps`), by
    who held the offer (null: in a queue; in an as-of report, who held it then).

    `recycled`: leads recycled in the period; of them, those that `re_entered` (a later move
    out of recycle into an open stage) and those `accepted_again` (a later accepted offer).

    Filters: campaign, source, country (the lead's); team and owner are the lead's holder for
    stages and recycled leads, and who held the offer for handoffs.
    """
    return {
        "stages": _stages(query),
        "handoffs": _handoffs(query),
        "recycled": _recycled(query),
    }


def _window(query: ReportQuery) -> dict:
    return {"at__gte": query.start_at, "at__lt": query.end_at, **recorded_by(query, "at")}


def _stages(query: ReportQuery) -> list[dict]:
    stages = list(
        Stage.objects.filter(active=True, moves_out__isnull=False)
        .distinct()
        .order_by("position", "key")
    )
    ids = [s.pk for s in stages]
    later = StageTransition.objects.filter(
        lead_id=OuterRef("lead_id"), **recorded_by(query, "at")
    ).filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), id__gt=OuterRef("id")))
    counts = {
        row["to_stage_id"]: row
        for row in lead_scope(
            StageTransition.objects.filter(to_stage_id__in=ids, **_window(query)), query
        )
        .order_by()
        .values("to_stage_id")
        .annotate(entered=Count("id"), left=Count("id", filter=Q(Exists(later))))
    }
    # The next transition of the same lead, recorded by as-of. The window must see transitions
    # after the period too, so stays entered in the period are picked after it (`grp`).
    following = Window(
        Following("at"), partition_by=[F("lead_id")], order_by=[F("at").asc(), F("id").asc()]
    )
    stays = lead_scope(
        StageTransition.objects.filter(at__gte=query.start_at, **recorded_by(query, "at")), query
    ).annotate(
        grp=Case(When(at__lt=query.end_at, to_stage_id__in=ids, then=F("to_stage_id"))),
        val=HoursBetween(following, F("at")),
    )
    times = percentiles(stays, value="val", group="grp")
    rows = []
    for stage in stages:
        c, t = counts.get(stage.pk, {}), times.get(stage.pk, {})
        entered, left = c.get("entered", 0), c.get("left", 0)
        rows.append(
            {
                "stage": stage.key,
                "entered": entered,
                "left": left,
                "still_in_stage": entered - left,
                "median_hours": hours(t.get(50)),
                "p95_hours": hours(t.get(95)),
            }
        )
    return rows


def _offers(query: ReportQuery) -> QuerySet:
    offers = Offer.objects.filter(
        offered_at__gte=query.start_at,
        offered_at__lt=query.end_at,
        **recorded_by(query, "offered_at"),
        **query.lead_filters("lead__"),
    )
    return offers.annotate(**holder(query)).filter(**holder_filters(query)).order_by()


def _measures(offers: QuerySet, query: ReportQuery) -> dict[str, QuerySet]:
    """Each delay as `val`, on the offers for which it is known (by as-of)."""
    routed = offers.filter(routed_at__isnull=False, **recorded_by(query, "routed_at"))
    decided = routed.filter(
        status__in=DECIDED_BY_PEOPLE, decided_at__isnull=False, **recorded_by(query, "decided_at")
    )
    touched = (
        decided.filter(status=OfferStatus.ACCEPTED)
        .annotate(touch_at=first_touch(query))
        .filter(touch_at__isnull=False, **recorded_by(query, "touch_at"))
    )
    return {
        "system": routed.annotate(val=HoursBetween("routed_at", "offered_at")),
        "decision": decided.annotate(val=HoursBetween("decided_at", "routed_at")),
        "follow_up": touched.annotate(
            val=Greatest(HoursBetween("touch_at", "decided_at"), Value(0.0))
        ),
    }


def _handoffs(query: ReportQuery) -> list[dict]:
    offers = _offers(query)
    counts = list(offers.values("handoff_id", "held_team", "held_username").annotate(n=Count("id")))
    # All nine delays (three measures, three scopes) in one percentile query: each row is
    # tagged "measure|scope|handoff|key" and the tags are the groups.
    parts = []
    for measure, rows in _measures(offers, query).items():
        for scope, field in SCOPES:
            key = Coalesce(F(field), Value("")) if field else Value("")
            tag = Concat(
                Value(f"{measure}|{scope}|"),
                Cast("handoff_id", CharField()),
                Value("|"),
                key,
                output_field=CharField(),
            )
            parts.append(rows.annotate(grp=tag).values("grp", "val"))
    times = percentiles(parts[0].union(*parts[1:], all=True), value="val", group="grp")

    def delays(scope: str, pair_id: int, key: str | None) -> dict:
        out = {}
        for measure in MEASURES:
            t = times.get(f"{measure}|{scope}|{pair_id}|{key or ''}", {})
            out[f"{measure}_median_hours"] = hours(t.get(50))
            out[f"{measure}_p95_hours"] = hours(t.get(95))
        return out

    def total(pair_id: int, field: str | None = None, key: str | None = None) -> int:
        return sum(
            c["n"] for c in counts if c["handoff_id"] == pair_id and (not field or c[field] == key)
        )

    rows = []
    for pair in HandoffPair.objects.order_by("offered_stage__position", "id"):
        mine = [c for c in counts if c["handoff_id"] == pair.pk]
        teams = sorted({c["held_team"] for c in mine}, key=lambda k: (k is None, k))
        reps = sorted({c["held_username"] for c in mine}, key=lambda k: (k is None, k))
        rows.append(
            {
                "handoff": pair.key,
                "offers": total(pair.pk),
                **delays("all", pair.pk, None),
                "teams": [
                    {
                        "team": team,
                        "offers": total(pair.pk, "held_team", team),
                        **delays("team", pair.pk, team),
                    }
                    for team in teams
                ],
                "reps": [
                    {
                        "rep": rep,
                        "offers": total(pair.pk, "held_username", rep),
                        **delays("rep", pair.pk, rep),
                    }
                    for rep in reps
                ],
            }
        )
    return rows


def _recycled(query: ReportQuery) -> dict:
    recycles = lead_scope(
        StageTransition.objects.filter(to_stage__kind=StageKind.RECYCLE, **_window(query)), query
    )
    back = StageTransition.objects.filter(
        lead_id=OuterRef("lead_id"),
        at__gt=OuterRef("at"),
        from_stage__kind=StageKind.RECYCLE,
        to_stage__kind=StageKind.OPEN,
        **recorded_by(query, "at"),
    )
    accepted = Offer.objects.filter(
        lead_id=OuterRef("lead_id"),
        status=OfferStatus.ACCEPTED,
        decided_at__gt=OuterRef("at"),
        **recorded_by(query, "decided_at"),
    )
    return recycles.order_by().aggregate(
        recycled=Count("lead_id", distinct=True),
        re_entered=Count("lead_id", distinct=True, filter=Q(Exists(back))),
        accepted_again=Count("lead_id", distinct=True, filter=Q(Exists(accepted))),
    )
