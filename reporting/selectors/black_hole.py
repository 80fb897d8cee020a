"""The black hole: leads a team accepted and then left without a disposition for too long.

An accepted offer stays open (`closed_at` empty) until its lead leaves the accepted stage: a
disposition (qualified, recycle, junk, won, lost) or any other move closes it. An open accepted
offer whose working-time limit (`work_due_at`, the agreement's `work_within_days` from routing)
has passed is a black hole; with `days`, any open accepted offer older than that is.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, IntegerField, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from handoff.models import Offer, OfferStatus, Touch
from reporting.params import ReportQuery

from .common import DEFAULT_LIMIT, MAX_LIMIT, counted_leads, local_iso


def age_days(since: datetime.datetime | None, now: datetime.datetime) -> float | None:
    return None if since is None else round((now - since).total_seconds() / 86400, 1)


def _black_holes(query: ReportQuery, *, days: int | None, handoff: str | None):
    """Offers accepted in the period and still open, past their limit, at the report's moment."""
    now = query.now
    # Open then: a disposition recorded after an as-of moment does not count yet. Now, open
    # is only "not closed", which the open accepted offers' own index answers.
    still_open = Q(closed_at__isnull=True)
    if query.as_of:
        still_open |= Q(closed_at__gt=now)
    offers = Offer.objects.filter(
        counted_leads(query),
        still_open,
        status=OfferStatus.ACCEPTED,
        decided_at__gte=query.start_at,
        decided_at__lt=query.end_at,
        decided_at__lte=now,
    )
    if days is None:
        # No agreement, no limit: such offers are black holes only by `days`.
        offers = offers.filter(work_due_at__lt=now)
    else:
        offers = offers.filter(decided_at__lt=now - datetime.timedelta(days=days))
    offers = offers.filter(**query.person_filters("assignee__"))
    if handoff:
        offers = offers.filter(handoff__key=handoff)
    return offers


def black_hole_report(
    *,
    query: ReportQuery,
    days: int | None = None,
    limit: int = DEFAULT_LIMIT,
    handoff: str | None = None,
) -> dict:
    """The black holes, oldest acceptance first (at most `limit`), their total, and per owner.

    The owner is the offer's assignee, who accepted the lead (it does not change afterwards, so
    an as-of report names who held it then). Touches are those logged against the offer and
    recorded by the report's moment. Two queries whatever the volume.
    """
    now = query.now
    offers = _black_holes(query, days=days, handoff=handoff)
    touches = (
        Touch.objects.filter(offer_id=OuterRef("pk"), at__lte=now, logged_at__lte=now)
        .order_by()
        .values("offer_id")
    )
    listed = (
        offers.annotate(
            last_touch_at=Subquery(touches.annotate(last=Max("at")).values("last")),
            touch_total=Coalesce(
                Subquery(touches.annotate(n=Count("id")).values("n"), output_field=IntegerField()),
                0,
            ),
        )
        .order_by("decided_at", "pk")
        .values(
            "lead_id",
            "lead__email",
            "lead__company",
            "assignee__username",
            "handoff__key",
            "handoff__accepted_stage__key",
            "decided_at",
            "work_due_at",
            "last_touch_at",
            "touch_total",
        )[: max(1, min(limit, MAX_LIMIT))]
    )
    owners = (
        offers.values("assignee__username")
        .annotate(count=Count("id"), oldest=Min("decided_at"))
        .order_by("-count", "assignee__username")
    )
    by_owner = [
        {
            "owner": o["assignee__username"],
            "count": o["count"],
            "oldest_age_days": age_days(o["oldest"], now),
        }
        for o in owners
    ]
    rows = [
        {
            "lead_id": o["lead_id"],
            "email": o["lead__email"],
            "company": o["lead__company"],
            "owner": o["assignee__username"],
            # While its accepted offer is open the lead is in the handoff's accepted stage:
            # leaving that stage is what closes the offer.
            "stage": o["handoff__accepted_stage__key"],
            "handoff": o["handoff__key"],
            "accepted_at": local_iso(o["decided_at"]),
            "work_due_at": local_iso(o["work_due_at"]),
            "age_days": age_days(o["decided_at"], now),
            "last_touch_at": local_iso(o["last_touch_at"]),
            "touches": o["touch_total"],
        }
        for o in listed
    ]
    return {
        "results": rows,
        "total": sum(o["count"] for o in by_owner),
        "by_owner": by_owner,
    }
