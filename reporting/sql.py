"""Portable SQL for reports: the same figures on PostgreSQL and SQLite.

Where the two databases differ (durations, percentiles, grouping sets, session settings), the
difference lives here behind one name, and the rest of reporting is written once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import CharField, F, FloatField, Func, QuerySet, Value

# Sorts for percentiles and distinct counts over a report's period stay in memory up to this.
REPORT_WORK_MEM = "64MB"


@contextmanager
def report_session() -> Iterator[None]:
    """The PostgreSQL settings report queries need, for the transaction they run in (a no-op on
    SQLite): no JIT, whose compiling costs more than it saves on these one-off plans (at 300k
    leads the velocity query took twice as long with it), and work memory enough to sort a
    period's rows without spilling to disk. Set as `SET LOCAL` does, they lapse with the
    transaction and never outlive the report on a pooled connection."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('jit', 'off', true), set_config('work_mem', %s, true)",
                [REPORT_WORK_MEM],
            )
        yield


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
    is NULL are left out. Returns {group: {point: value}} (the key is None without a group).
    """
    return percentiles_of(queryset, values=(value,), group=group, points=points)[value]


def percentiles_of(
    queryset: QuerySet,
    *,
    values: tuple[str, ...],
    group: str | None = None,
    points: tuple[int, ...] = (50, 95),
    counted: bool = False,
) -> dict:
    """`percentiles` of several annotations of the same rows, in one pass over them.

    Returns {value: {group: {point: value}}}; a group where one value is NULL throughout has
    None at each point of it, and a row whose every value is NULL is left out. `counted` keeps
    every row and adds "counts": {group: {"rows": rows, value: rows where it is not NULL}}, so
    a report can count what it times in the same pass.
    """
    columns = ([] if group is None else [group]) + list(values)
    # The percentiles give the order; the queryset's own would only add a sort.
    inner_sql, params = queryset.order_by().values(*columns).query.sql_with_params()
    known = "1 = 1" if counted else _any_known(values)
    if connection.vendor == "postgresql":
        rows = _percentiles_postgresql(inner_sql, params, values, group, points, known)
    else:
        rows = _percentiles_windows(
            inner_sql, params, values, [group] if group else [], points, known
        )
        rows = [(keys[0] if group else None, found, n) for keys, found, n in rows]
    result: dict = {name: {} for name in values}
    counts = {}
    for grp, found, n in rows:
        for name, at_points in zip(values, found, strict=True):
            result[name][grp] = at_points
        counts[grp] = dict(zip(["rows", *values], n, strict=True))
    return {**result, "counts": counts} if counted else result


def _any_known(values: tuple[str, ...]) -> str:
    """The rows where at least one of `values` is not NULL."""
    q = connection.ops.quote_name
    return " OR ".join(f"q.{q(name)} IS NOT NULL" for name in values)


def _percentile_cont(values: tuple[str, ...], points: tuple[int, ...]) -> str:
    """PostgreSQL's percentile_cont of each of `values` at `points`, an array per value."""
    q = connection.ops.quote_name
    fractions = "ARRAY[" + ", ".join(str(p / 100) for p in points) + "]::float8[]"
    return ", ".join(
        f"percentile_cont({fractions}) WITHIN GROUP (ORDER BY q.{q(name)})" for name in values
    )


def _percentiles_postgresql(inner_sql, params, values, group, points, known) -> list:
    """PostgreSQL's own percentile_cont: one sort per value, where ranking every row with
    window functions took two to three times as long."""
    q = connection.ops.quote_name
    picks = (
        _percentile_cont(values, points)
        + ", COUNT(*), "
        + ", ".join(f"COUNT(q.{q(name)})" for name in values)
    )
    sql = f"""
        SELECT {f"q.{q(group)}" if group else "NULL"}, {picks}
        FROM ({inner_sql}) q
        WHERE {known}
        {f"GROUP BY q.{q(group)}" if group else ""}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (
                row[0],
                [
                    dict(zip(points, found or [None] * len(points), strict=True))
                    for found in row[1 : 1 + len(values)]
                ],
                row[1 + len(values) :],
            )
            for row in cursor.fetchall()
        ]


def _percentiles_windows(inner_sql, params, values, group: list[str], points, known) -> list:
    """The same figures with ROW_NUMBER() and COUNT() windows and integer arithmetic, which
    SQLite (no percentile_cont) does alike, per the `group` columns (a tuple of their values
    keys each result). Each value is ranked on its own, NULLs after the rest (the databases
    sort NULL at opposite ends, so the order says so)."""
    q = connection.ops.quote_name
    keys = [f"q.{q(c)}" for c in group]
    partition = ", ".join(keys) or "1"
    ranked, picks = [f"{k} AS g{j}" for j, k in enumerate(keys)], []
    for i, name in enumerate(values):
        v = f"q.{q(name)}"
        ranked.append(
            f"{v} AS v{i}, "
            f"ROW_NUMBER() OVER (PARTITION BY {partition} "
            f"ORDER BY CASE WHEN {v} IS NULL THEN 1 ELSE 0 END, {v}) AS rn{i}, "
            f"COUNT({v}) OVER (PARTITION BY {partition}) AS n{i}"
        )
        for p in points:
            # The p-th percentile sits at 0-based position (n-1)*p/100: rows k and k+1, weight
            # frac. Integer division and remainder (%% is % once the driver has read it) agree.
            k = f"(((n{i} - 1) * {p}) / 100)"
            picks.append(
                f"MAX(CASE WHEN rn{i} = {k} + 1 THEN v{i} END), "
                f"MAX(CASE WHEN rn{i} = {k} + 2 THEN v{i} END), "
                f"MAX(((n{i} - 1) * {p}) %% 100)"
            )
    picks.append("COUNT(*)")
    picks += [f"MAX(n{i})" for i in range(len(values))]
    grouped = ", ".join(f"g{j}" for j in range(len(keys)))
    sql = f"""
        SELECT {grouped or "NULL"}, {", ".join(picks)}
        FROM (
            SELECT {", ".join(ranked)}
            FROM ({inner_sql}) q
            WHERE {known}
        ) ranked
        {f"GROUP BY {grouped}" if grouped else ""}
    """
    out = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            width = max(len(keys), 1)
            at, found = width, []
            for _ in values:
                at_points = {}
                for p in points:
                    lo, hi, frac = row[at : at + 3]
                    at += 3
                    if lo is None:
                        at_points[p] = None
                        continue
                    hi = lo if hi is None else hi
                    at_points[p] = float(lo) + (float(hi) - float(lo)) * (int(frac) / 100)
                found.append(at_points)
            out.append((tuple(row[:width]), found, row[at:]))
    return out


def sums(queryset: QuerySet, *, group: str | None, products: dict[str, tuple[str, ...]]) -> dict:
    """Per `group`, the sum of each product of columns over the rows of `queryset`: rows that
    are groups themselves (one a lead, say), which the ORM does not aggregate again.

    `products` names each sum and the columns multiplied in it (one for a plain sum). Returns
    {group: {name: sum}} (the key is None without a group); the database's own numbers, so a
    sum of decimals is a float on SQLite.
    """
    columns = ([group] if group else []) + sorted({c for cols in products.values() for c in cols})
    inner_sql, params = queryset.order_by().values(*columns).query.sql_with_params()
    q = connection.ops.quote_name
    picks = ", ".join(
        "SUM(" + " * ".join(f"q.{q(c)}" for c in cols) + ")" for cols in products.values()
    )
    sql = f"""
        SELECT {f"q.{q(group)}" if group else "NULL"}, {picks}
        FROM ({inner_sql}) q
        {f"GROUP BY q.{q(group)}" if group else ""}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: dict(zip(products, row[1:], strict=True)) for row in cursor.fetchall()}


def percentiles_sets(
    queryset: QuerySet,
    *,
    values: tuple[str, ...],
    sets: tuple[tuple[str, ...], ...],
    points: tuple[int, ...] = (50, 95),
) -> list[dict]:
    """`percentiles_of` the same rows grouped several ways at once (per handoff, and per handoff
    and team, say): one result per grouping set, {(its columns' values): {value: {point: v}}}.

    PostgreSQL reads the rows once for every set (GROUPING SETS); SQLite, which has none, ranks
    one copy of the rows per set.
    """
    columns = list(dict.fromkeys(c for s in sets for c in s))
    q = connection.ops.quote_name
    if connection.vendor == "postgresql":
        inner_sql, params = queryset.order_by().values(*columns, *values).query.sql_with_params()
        grouping = ", ".join(f"q.{q(c)}" for c in columns)
        grouped = ", ".join("(" + ", ".join(f"q.{q(c)}" for c in s) + ")" for s in sets)
        sql = f"""
            SELECT GROUPING({grouping}), {grouping}, {_percentile_cont(values, points)}
            FROM ({inner_sql}) q
            WHERE {_any_known(values)}
            GROUP BY GROUPING SETS ({grouped})
        """
        # GROUPING() has a bit set for each column a row is not grouped by, the first highest.
        masks = {
            sum(1 << (len(columns) - 1 - j) for j, c in enumerate(columns) if c not in s): i
            for i, s in enumerate(sets)
        }
        result: list[dict] = [{} for _ in sets]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                i = masks[row[0]]
                keys = dict(zip(columns, row[1 : 1 + len(columns)], strict=True))
                found = row[1 + len(columns) :]
                result[i][tuple(keys[c] for c in sets[i])] = {
                    name: dict(zip(points, at or [None] * len(points), strict=True))
                    for name, at in zip(values, found, strict=True)
                }
        return result
    names = [f"_g{j}" for j in range(len(columns))]
    parts = [
        queryset.order_by()
        .annotate(
            _set=Value(i),
            **{
                n: F(c) if c in s else Value(None, output_field=CharField())
                for n, c in zip(names, columns, strict=True)
            },
        )
        .values("_set", *names, *values)
        for i, s in enumerate(sets)
    ]
    tagged = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    inner_sql, params = tagged.query.sql_with_params()
    group = ["_set", *names]
    rows = _percentiles_windows(
        inner_sql,
        params,
        values,
        group,
        points,
        _any_known(values),
    )
    result = [{} for _ in sets]
    for keys, found, _ in rows:
        i, by_name = keys[0], dict(zip(columns, keys[1:], strict=True))
        result[i][tuple(by_name[c] for c in sets[i])] = dict(zip(values, found, strict=True))
    return result
