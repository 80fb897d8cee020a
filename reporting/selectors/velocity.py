"""Velocity: how long leads stay in each stage, how long each side of a handoff takes, and
what becomes of recycled leads."""

from __future__ import annotations

from django.db.models import (
    Case,
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
from django.db.models.functions import Greatest
from django.db.models.functions import Lead as Following

from funnel.models import HandoffPair, Stage, StageKind, StageMove
from handoff.models import Offer, OfferStatus, StageTransition
from reporting.params import ReportQuery
from reporting.sql import HoursBetween, percentiles_of, percentiles_sets, report_session

from .common import (
    DECIDED_BY_PEOPLE,
    counted_leads,
    first_touch,
    holder,
    holder_filters,
    hours,
    recorded_by,
)
from .funnel import lead_scope

MEASURES = ("system", "decision", "follow_up")
# By who held the offer (its holder at the as-of moment in an as-of report).
SCOPES = (("all", None), ("team", "held_team"), ("rep", "held_username"))


@report_session()
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
    # Every stage once, with whether a move leaves it: the stages a stay can end in, and the
    # kinds the recycled leads are told by, without a join in every probe.
    stages = list(
        Stage.objects.annotate(
            leaves=Exists(StageMove.objects.filter(from_stage=OuterRef("pk")))
        ).order_by("position", "key")
    )
    return {
        "stages": _stages(query, [s for s in stages if s.active and s.leaves]),
        "handoffs": _handoffs(query),
        "recycled": _recycled(query, stages),
    }


def _window(query: ReportQuery) -> dict:
    return {"at__gte": query.start_at, "at__lt": query.end_at, **recorded_by(query, "at")}


def _stages(query: ReportQuery, stages: list[Stage]) -> list[dict]:
    ids = [s.pk for s in stages]
    # Each stay ends at the lead's next transition recorded by as-of. One pass over the
    # transitions since the start counts the stays entered in the period (`grp`), those that
    # ended (a next transition), and their times; the window must see transitions after the
    # period too, so stays entered in the period are picked after it.
    following = Window(
        Following("at"), partition_by=[F("lead_id")], order_by=[F("at").asc(), F("id").asc()]
    )
    stays = lead_scope(
        StageTransition.objects.filter(at__gte=query.start_at, **recorded_by(query, "at")), query
    ).annotate(
        grp=Case(When(at__lt=query.end_at, to_stage_id__in=ids, then=F("to_stage_id"))),
        val=HoursBetween(following, F("at")),
    )
    found = percentiles_of(stays, values=("val",), group="grp", counted=True)
    times, counts = found["val"], found["counts"]
    rows = []
    for stage in stages:
        c, t = counts.get(stage.pk, {}), times.get(stage.pk, {})
        entered, left = c.get("rows", 0), c.get("val", 0)
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
        counted_leads(query),
        offered_at__gte=query.start_at,
        offered_at__lt=query.end_at,
        **recorded_by(query, "offered_at"),
    )
    return offers.annotate(**holder(query)).filter(**holder_filters(query)).order_by()


def _measures(offers: QuerySet, query: ReportQuery) -> QuerySet:
    """Each delay as an annotation named after its measure, NULL on the offers for which it is
    not known (by as-of)."""
    routed = Q(routed_at__isnull=False, **recorded_by(query, "routed_at"))
    decided = routed & Q(
        status__in=DECIDED_BY_PEOPLE, decided_at__isnull=False, **recorded_by(query, "decided_at")
    )
    touched = (
        decided
        & Q(status=OfferStatus.ACCEPTED)
        & Q(touch_at__isnull=False, **recorded_by(query, "touch_at"))
    )
    return offers.alias(touch_at=first_touch(query)).annotate(
        system=Case(When(routed, then=HoursBetween("routed_at", "offered_at"))),
        decision=Case(When(decided, then=HoursBetween("decided_at", "routed_at"))),
        follow_up=Case(
            When(touched, then=Greatest(HoursBetween("touch_at", "decided_at"), Value(0.0)))
        ),
    )


def _handoffs(query: ReportQuery) -> list[dict]:
    offers = _offers(query)
    counts = list(offers.values("handoff_id", "held_team", "held_username").annotate(n=Count("id")))
    # All nine delays (three measures, three scopes) in one percentile query: the offers
    # grouped per handoff, per handoff and team, per handoff and rep.
    found = percentiles_sets(
        _measures(offers, query),
        values=MEASURES,
        sets=tuple(("handoff_id", field) if field else ("handoff_id",) for _, field in SCOPES),
    )
    times = {scope: found[i] for i, (scope, _) in enumerate(SCOPES)}

    def delays(scope: str, pair_id: int, key: str | None) -> dict:
        out = {}
        for measure in MEASURES:
            keys = (pair_id, key) if scope != "all" else (pair_id,)
            t = times[scope].get(keys, {}).get(measure, {})
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


def _recycled(query: ReportQuery, stages: list[Stage]) -> dict:
    recycle = [s.pk for s in stages if s.kind == StageKind.RECYCLE]
    recycles = lead_scope(
        StageTransition.objects.filter(to_stage_id__in=recycle, **_window(query)), query
    )
    back = StageTransition.objects.filter(
        lead_id=OuterRef("lead_id"),
        at__gt=OuterRef("at"),
        from_stage_id__in=recycle,
        to_stage_id__in=[s.pk for s in stages if s.kind == StageKind.OPEN],
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
