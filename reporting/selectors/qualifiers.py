"""The qualifiers' scorecard: what became of the MQLs each inside qualifier passed to sales."""

from __future__ import annotations

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)

from handoff.models import Disposition, Offer, OfferStatus, StageTransition
from reporting.params import ReportQuery
from reporting.sql import report_session

from .common import DECIDED, counted_leads, money, rate, recorded_by
from .funnel import QualifyingMove, main_path_stages, qualifying_move


@report_session()
def qualifiers_report(*, query: ReportQuery) -> list[dict]:
    """One row per qualifier: who made QIA → MQL moves in the period, and what followed.

    `mqls`: their qualifying moves in the period (a lead qualified twice counts twice).
    `decided` and `accepted`: the sales offers those moves opened that were accepted, rejected
    or expired, and accepted; `acceptance_rate` = accepted ÷ decided (pending and withdrawn
    offers are left out, as in the handoffs report). `reached_sql` and `revenue_won`: of those
    MQLs, the ones that entered the stage after the sales handoff's accepted stage (SQL), and
    the amounts of their won dispositions, counted while the MQL is the lead's latest entry
    into the MQL stage: a lead recycled and sent again (by anyone) starts a new cycle, whose
    results are not the earlier qualifier's. All by now, or by as-of.

    Filters: campaign, source, country (the lead's); team and owner select qualifiers (their
    team, their username). Rows are ordered by qualifier; a move with no user is under null.
    """
    move = qualifying_move()
    if move is None:
        return []
    moves = StageTransition.objects.filter(
        counted_leads(query),
        from_stage_id=move.from_stage_id,
        to_stage_id=move.to_stage_id,
        at__gte=query.start_at,
        at__lt=query.end_at,
        **recorded_by(query, "at"),
    )
    moves = moves.filter(**query.person_filters("actor__"))

    offers = Offer.objects.filter(transition_id=OuterRef("pk"), **recorded_by(query, "decided_at"))
    # SQL by default: the main-path stage after the one sales acceptance leads to, looked up
    # inside the query (one round trip fewer).
    sql = Subquery(main_path_stages().filter(position__gt=move.accepted_position).values("pk")[:1])
    reached = _in_cycle(
        StageTransition.objects.filter(
            lead_id=OuterRef("lead_id"), to_stage_id=sql, **recorded_by(query, "at")
        ),
        move,
    )
    won = _in_cycle(
        Disposition.objects.filter(
            lead_id=OuterRef("lead_id"), kind=Disposition.Kind.WON, **recorded_by(query, "at")
        ),
        move,
    )
    revenue = won.order_by().values("lead_id").annotate(s=Sum("amount")).values("s")
    rows = (
        moves.order_by()
        .values("actor__username", "actor__team__key")
        .annotate(
            mqls=Count("id"),
            decided=Count("id", filter=Q(Exists(offers.filter(status__in=DECIDED)))),
            accepted=Count("id", filter=Q(Exists(offers.filter(status=OfferStatus.ACCEPTED)))),
            reached_sql=Count("id", filter=Q(Exists(reached))),
            revenue=Sum(Subquery(revenue, output_field=DecimalField())),
        )
    )
    return [
        {
            "qualifier": row["actor__username"],
            "team": row["actor__team__key"],
            "mqls": row["mqls"],
            "decided": row["decided"],
            "accepted": row["accepted"],
            "acceptance_rate": rate(row["accepted"], row["decided"]),
            "reached_sql": row["reached_sql"],
            "revenue_won": money(row["revenue"]),
        }
        for row in sorted(
            rows, key=lambda r: (r["actor__username"] is None, r["actor__username"] or "")
        )
    ]


def _in_cycle(events: QuerySet, move: QualifyingMove) -> QuerySet:
    """Events of the lead after the qualifying move (the outer row) and before the lead next
    entered the MQL stage."""
    again = StageTransition.objects.filter(
        lead_id=OuterRef("lead_id"),
        to_stage_id=move.to_stage_id,
        at__gt=OuterRef(OuterRef("at")),
        at__lt=OuterRef("at"),
    )
    return events.filter(at__gt=OuterRef("at")).filter(~Exists(again))
