"""Portable SQL for reports: the same figures on PostgreSQL and SQLite.

Where the two databases differ (durations, percentiles), the difference lives here behind one
name, and the rest of reporting is written once.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import FloatField, Func, QuerySet


class HoursBetween(Func):
    """Hours from `start` to `end`, exact to the microsecond on both databases."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision) / 3600.0",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        # Django's own SQLite function: the difference in whole microseconds.
        return self.as_sql(
            compiler,
            connection,
            template="django_timestamp_diff(%(expressions)s) / 3600000000.0",
            arg_joiner=", ",
            **extra,
        )


def percentiles(
    queryset: QuerySet, *, value: str, group: str | None = None, points: tuple[int, ...] = (50, 95)
) -> dict:
    """Percentiles (linear interpolation, as PostgreSQL's percentile_cont) of `value` per `group`.

    `queryset` must already be annotated with `value` (and `group`, if given); rows whose value
    is NULL are left out. Computed in the database with ROW_NUMBER() and COUNT() windows and
    integer arithmetic, which both databases do alike. Returns {group: {point: value}} (the key
    is None without a group).
    """
    columns = [value] if group is None else [group, value]
    inner_sql, params = queryset.values(*columns).query.sql_with_params()
    q = connection.ops.quote_name
    partition = f"q.{q(group)}" if group else "1"
    picks = []
    for p in points:
        # The p-th percentile sits at 0-based position (n-1)*p/100: rows k and k+1, weight frac.
        # Integer division and remainder (%% is % once the driver has read it) agree on both.
        k = f"(((n - 1) * {p}) / 100)"
        picks.append(
            f"MAX(CASE WHEN rn = {k} + 1 THEN v END) AS lo{p}, "
            f"MAX(CASE WHEN rn = {k} + 2 THEN v END) AS hi{p}, "
            f"MAX(((n - 1) * {p}) %% 100) AS frac{p}"
        )
    sql = f"""
        SELECT {"g" if group else "NULL"} AS grp, {", ".join(picks)}
        FROM (
            SELECT {f"q.{q(group)} AS g, " if group else ""}q.{q(value)} AS v,
                   ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY q.{q(value)}) AS rn,
                   COUNT(*) OVER (PARTITION BY {partition}) AS n
            FROM ({inner_sql}) q
            WHERE q.{q(value)} IS NOT NULL
        ) ranked
        {"GROUP BY g" if group else ""}
    """
    result: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            values = {}
            for i, p in enumerate(points):
                lo, hi, frac = row[1 + 3 * i : 4 + 3 * i]
                if lo is None:
                    values[p] = None
                    continue
                hi = lo if hi is None else hi
                values[p] = float(lo) + (float(hi) - float(lo)) * (int(frac) / 100)
            result[row[0]] = values
    return result
