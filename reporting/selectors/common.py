from __future__ import annotations

from django.db.models import CharField, Q
from django.db.models.functions import Cast, Substr, TruncWeek

from reporting.params import ReportQuery, local_tz


def rate(numerator: int | None, denominator: int | None) -> float | None:
    """A ratio rounded for reports; None when there is nothing to divide by."""
    if not denominator:
        return None
    return round((numerator or 0) / denominator, 4)


def hours(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def week_of(field: str) -> Substr:
    """The Monday of a timestamp's week in local time, as "YYYY-MM-DD", computed by the database.

    A string, because it reads the same on both databases (PostgreSQL casts the truncated
    timestamp with a time, SQLite without; the first ten characters agree).
    """
    return Substr(Cast(TruncWeek(field, tzinfo=local_tz()), CharField()), 1, 10)


def happened_by(query: ReportQuery, field: str) -> Q:
    """`field` is set, and, in an as-of report, was set by then."""
    done = Q(**{f"{field}__isnull": False})
    return done & Q(**{f"{field}__lte": query.as_of}) if query.as_of else done
