"""What every report means by its shared words, written once: a rate, a decided offer, money,
as-of, a week and a timestamp.

The handoffs report, the alerts, the weekly report and the rest read these from here, so they
cannot disagree on what "decided" is or how a rate is rounded.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from django.db.models import Case, CharField, Exists, Expression, F, OuterRef, Q, Subquery, When
from django.db.models.functions import Cast, Substr, TruncWeek
from django.utils import timezone

from handoff.models import Lead, OfferHolding, OfferStatus, Touch
from leadflow.locale import local_tz
from reporting.params import ReportQuery

RATE_PLACES = 4
CENTS = Decimal("0.01")
# Lead lists (the black hole, hidden gems): rows shown by default and at most; `total` counts all.
DEFAULT_LIMIT = 200
MAX_LIMIT = 1000


# --- rates -------------------------------------------------------------------------------------


def ratio(value: float | Fraction | None) -> float | None:
    """A ratio as reports give it: a float rounded to four places."""
    return None if value is None else round(float(value), RATE_PLACES)


def rate(numerator: int | None, denominator: int | None) -> float | None:
    """A ratio of two counts, rounded for reports; None when there is nothing to divide by."""
    if not denominator:
        return None
    return ratio((numerator or 0) / denominator)


def hours(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# --- decided offers ----------------------------------------------------------------------------

# Decided: accepted, rejected, or expired (the SLA decided it); the denominator of acceptance.
# Withdrawn offers (the lead moved on by another path) are counted apart and left out.
DECIDED = (OfferStatus.ACCEPTED, OfferStatus.REJECTED, OfferStatus.EXPIRED)
# The decisions a person made, for how long deciding took and whether it was in time.
DECIDED_BY_PEOPLE = (OfferStatus.ACCEPTED, OfferStatus.REJECTED)


def decided_count(counts: Mapping[str, int]) -> int:
    """Offers decided, from counts keyed by status ("accepted", "rejected", "expired", ...)."""
    return sum(counts.get(status, 0) for status in DECIDED)


# --- money -------------------------------------------------------------------------------------


def money(value: Decimal | None) -> str:
    """An amount as the API writes decimals: a string with two decimals ("0.00" for none)."""
    return str((value or Decimal(0)).quantize(CENTS))


def money_number(value: Decimal | Fraction | int | None) -> float | None:
    """An amount as a JSON number to the cent, where a report has always given numbers (the
    plan, the weekly snapshot); None stays None."""
    return None if value is None else round(float(value), 2)


# --- as-of -------------------------------------------------------------------------------------


def recorded_by(query: ReportQuery, field: str) -> dict:
    """`field` recorded by the as-of moment, as lookups; nothing to add without one.

    This is how an as-of report keeps to the history known then: every timestamp it counts by
    must be at or before `as_of`.
    """
    return {f"{field}__lte": query.as_of} if query.as_of else {}


def holder(query: ReportQuery) -> dict[str, Expression]:
    """Who held each offer, as `held_team` and `held_username` annotations: its assignee now, or
    in an as-of report its holding at that moment (null while it waited in a queue). Offers
    with no holding kept (made before holdings were) count their assignee now."""
    if not query.as_of:
        return {"held_team": F("assignee__team__key"), "held_username": F("assignee__username")}
    holdings = OfferHolding.objects.filter(offer=OuterRef("pk"))
    then = holdings.filter(since__lte=query.as_of).order_by("-since", "-id")
    return {
        name: Case(
            When(Exists(holdings), then=Subquery(then.values(path)[:1])),
            default=F(f"assignee__{path.partition('__')[2]}"),
        )
        for name, path in (
            ("held_team", "assignee__team__key"),
            ("held_username", "assignee__username"),
        )
    }


def holder_filters(query: ReportQuery) -> dict:
    """The report's `team` and `owner` filters on who held the offer (see `holder`)."""
    lookups = {}
    if query.team:
        lookups["held_team"] = query.team
    if query.owner:
        lookups["held_username"] = query.owner
    return lookups


def first_touch(query: ReportQuery) -> F | Subquery:
    """When an offer was first touched, as it was known at the as-of moment: the earliest touch
    logged by then (a call logged late, dated early, is not known before it is logged)."""
    if not query.as_of:
        return F("first_touch_at")
    known = Q(recorded_at__lte=query.as_of) | Q(recorded_at__isnull=True, at__lte=query.as_of)
    return Subquery(
        Touch.objects.filter(known, offer=OuterRef("pk")).order_by("at").values("at")[:1]
    )


def happened_by(query: ReportQuery, field: str) -> Q:
    """`field` is set, and, in an as-of report, was set by then."""
    return Q(**{f"{field}__isnull": False}, **recorded_by(query, field))


# --- the leads counted ---------------------------------------------------------------------------


def counted_leads(query: ReportQuery) -> Q:
    """Rows (with a `lead`) whose lead the report counts, as `ReportQuery.lead_filters` says.

    Without a campaign, source or country filter that is only "not merged away", asked as "no
    merged lead of that id": the few merged leads come from their index, where a join would
    read the whole lead table to learn that most leads are not merged.
    """
    lookups = query.lead_filters("lead__")
    if set(lookups) != {"lead__merged_into__isnull"}:
        return Q(**lookups)
    return ~Exists(Lead.objects.filter(pk=OuterRef("lead_id"), merged_into__isnull=False))


# --- weeks and timestamps ----------------------------------------------------------------------


def week_of(field: str) -> Substr:
    """The Monday of a timestamp's week in local time, as "YYYY-MM-DD", computed by the database.

    A string, because it reads the same on both databases (PostgreSQL casts the truncated
    timestamp with a time, SQLite without; the first ten characters agree).
    """
    return Substr(Cast(TruncWeek(field, tzinfo=local_tz()), CharField()), 1, 10)


def local_iso(moment: datetime.datetime | None) -> str | None:
    """A timestamp as ISO 8601 in the installation's time zone."""
    return None if moment is None else timezone.localtime(moment, local_tz()).isoformat()
