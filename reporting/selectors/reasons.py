"""Why leads fall out: reasons given on stage moves, and the rejected leads worth a second look.

A reason is read where it is recorded, on the stage transition (`StageTransition.reason`), so a
rejected offer, a disqualification by marketing, a rep's recycle or junk disposition and a lost
deal all count, each under its reason's purpose (reject, disqualify, recycle, lost).
"""

from __future__ import annotations

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce

from funnel.models import Campaign, ReasonCode, ReasonPurpose, StageKind
from handoff.models import Activity, StageTransition
from reporting.params import ReportQuery
from reporting.sql import report_session

from .common import DEFAULT_LIMIT, MAX_LIMIT, counted_leads, local_iso, rate, recorded_by

PURPOSES = [
    ReasonPurpose.REJECT,
    ReasonPurpose.DISQUALIFY,
    ReasonPurpose.RECYCLE,
    ReasonPurpose.LOST,
]

# breakdown: the column that groups it (None: all transitions together)
BREAKDOWNS = {
    "by_reason": None,
    "by_handoff": "handoff__key",
    "by_team": "actor__team__key",
    "by_source": "lead__source",
    "by_campaign": "lead__campaign_id",
}


def _transitions(query: ReportQuery):
    """Moves made in the period, with the report's filters. `team`/`owner` are the actor's."""
    moves = StageTransition.objects.filter(
        counted_leads(query),
        at__gte=query.start_at,
        at__lt=query.end_at,
        **recorded_by(query, "at"),
    )
    moves = moves.filter(**query.person_filters("actor__"))
    return moves


@report_session()
def reasons_report(*, query: ReportQuery, purpose: str | None = None) -> dict:
    """Reasons by count and share, overall and per handoff, team, source and campaign.

    Each breakdown is a list of rows {purpose, reason, label, group, count, share}; `share` is
    the reason's part of all reasons of the same purpose in the same group. Groups are the
    handoff's key, the actor's team key, the lead's source and its campaign (id, with
    `group_name`); None where there is none (a move not made through a handoff, by the system,
    of a lead without a source or a campaign). Counted by reason id, in one pass for every
    breakdown; labels and campaign names come in two small lookups: at most four queries (one
    sets the session up).
    """
    moves = _transitions(query).filter(reason__isnull=False)
    if purpose:
        moves = moves.filter(reason__purpose=purpose)
    reasons = {
        r["id"]: r for r in ReasonCode.objects.values("id", "purpose", "code", "label", "position")
    }
    # One pass over the moves, counted per reason and every group at once (a few hundred rows:
    # reasons by handoffs, teams, sources and campaigns), then each breakdown summed from it.
    groups = [g for g in BREAKDOWNS.values() if g]
    finest = moves.values("reason_id", *groups).annotate(count=Count("id")).order_by()
    counts: dict[str, dict[tuple, int]] = {name: {} for name in BREAKDOWNS}
    for row in finest:
        for name, group in BREAKDOWNS.items():
            key = (row["reason_id"], row[group] if group else None)
            counts[name][key] = counts[name].get(key, 0) + row["count"]
    counts = {
        name: [
            {"reason_id": reason, **({group: key} if group else {}), "count": n}
            for (reason, key), n in found.items()
        ]
        for (name, found), group in zip(counts.items(), BREAKDOWNS.values(), strict=True)
    }
    campaign_ids = {c["lead__campaign_id"] for c in counts["by_campaign"]} - {None}
    campaigns = (
        dict(Campaign.objects.filter(pk__in=campaign_ids).values_list("pk", "name"))
        if campaign_ids
        else {}
    )
    return {
        name: _shares(counts[name], group, reasons, campaigns) for name, group in BREAKDOWNS.items()
    }


def _shares(counts: list[dict], group: str | None, reasons: dict, campaigns: dict) -> list[dict]:
    """Rows with their share of the purpose within the group, in a stable reading order."""
    totals: dict[tuple, int] = {}
    rows = []
    for c in counts:
        reason = reasons[c["reason_id"]]
        key = c[group] if group else None
        key = key if key != "" else None  # a lead without a source
        total_key = (reason["purpose"], key)
        totals[total_key] = totals.get(total_key, 0) + c["count"]
        row = {
            "purpose": reason["purpose"],
            "reason": reason["code"],
            "label": reason["label"],
            "group": key,
            "count": c["count"],
        }
        if group == "lead__campaign_id":
            row["group_name"] = campaigns.get(key)
        rows.append((reason["position"], row))
    for _, row in rows:
        row["share"] = rate(row["count"], totals[(row["purpose"], row["group"])])

    def order(item):
        position, row = item
        label = row.get("group_name", row["group"])
        return (
            label is None,
            str(label or ""),
            PURPOSES.index(row["purpose"]) if row["purpose"] in PURPOSES else len(PURPOSES),
            -row["count"],
            position,
            row["reason"],
        )

    return [row for _, row in sorted(rows, key=order)]


# --- hidden gems --------------------------------------------------------------------------------

GEM_PURPOSES = [ReasonPurpose.REJECT, ReasonPurpose.DISQUALIFY]
GEM_STAGE_KINDS = [StageKind.RECYCLE, StageKind.DISQUALIFIED]


def _rejections(query: ReportQuery):
    """Moves into a recycle or disqualified stage with a reject or disqualify reason."""
    return _transitions(query).filter(
        to_stage__kind__in=GEM_STAGE_KINDS, reason__purpose__in=GEM_PURPOSES
    )


def hidden_gems_report(*, query: ReportQuery, limit: int = DEFAULT_LIMIT) -> dict:
    """Leads rejected or disqualified in the period that were active afterwards.

    Per lead, its last such move in the period counts; the lead is a gem if marketing activity
    happened after it (by the report's moment, and recorded by then). That covers a rising
    score too: points come only with activities. Listed by points since, then activities
    since, then oldest rejection first (at most `limit`), with the total counted in the same
    pass (a window over every gem). One query whatever the volume.
    """
    now = query.now
    rejections = _rejections(query)
    later = rejections.filter(lead_id=OuterRef("lead_id")).filter(
        Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk"))
    )
    since = Activity.objects.filter(
        lead_id=OuterRef("lead_id"), at__gt=OuterRef("at"), at__lte=now, recorded_at__lte=now
    )
    gems = rejections.filter(~Exists(later), Exists(since))
    per_lead = since.order_by().values("lead_id")
    stage_then = (
        StageTransition.objects.filter(lead_id=OuterRef("lead_id"), at__lte=now)
        .order_by("-at", "-pk")
        .values("to_stage__key")[:1]
    )
    listed = (
        gems.annotate(
            activity_since=Subquery(
                per_lead.annotate(n=Count("id")).values("n"), output_field=IntegerField()
            ),
            points_since=Coalesce(
                Subquery(
                    per_lead.annotate(p=Sum("points")).values("p"), output_field=IntegerField()
                ),
                0,
            ),
            last_activity_at=Subquery(per_lead.annotate(last=Max("at")).values("last")),
            stage_now=Subquery(stage_then),
            total=Window(Count("*")),
        )
        .order_by("-points_since", "-activity_since", "at", "pk")
        .values(
            "lead_id",
            "lead__email",
            "lead__company",
            "stage_now",
            "reason__purpose",
            "reason__code",
            "reason__label",
            "handoff__key",
            "at",
            "actor__username",
            "actor_label",
            "actor__team__key",
            "activity_since",
            "points_since",
            "last_activity_at",
            "total",
        )[: max(1, min(limit, MAX_LIMIT))]
    )
    listed = list(listed)
    rows = [
        {
            "lead_id": g["lead_id"],
            "email": g["lead__email"],
            "company": g["lead__company"],
            "stage": g["stage_now"],
            "purpose": g["reason__purpose"],
            "reason": g["reason__code"],
            "label": g["reason__label"],
            "handoff": g["handoff__key"],
            "rejected_at": local_iso(g["at"]),
            "rejected_by": g["actor__username"] or g["actor_label"] or None,
            "team": g["actor__team__key"],
            "activity_since": g["activity_since"],
            "points_since": g["points_since"],
            "last_activity_at": local_iso(g["last_activity_at"]),
        }
        for g in listed
    ]
    return {"results": rows, "total": listed[0]["total"] if listed else 0}
