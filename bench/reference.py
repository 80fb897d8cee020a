"""What the database does by itself, measured in the same run as the application: the floor
each application figure is divided by.

- handoffs: one hand-written query giving the handoffs report's figures (checked equal).
- upsert: the bulk rows the clients sent, COPY'd into a staging table and upserted with
  `INSERT … ON CONFLICT … DO UPDATE` into `bench_lead`, a copy of the lead table with its
  indexes and constraints.
"""

from __future__ import annotations

import datetime
import time

import psycopg

HANDOFFS_SQL = """
SELECT p.key,
       count(*) AS offered,
       count(*) FILTER (WHERE o.status = 'accepted' AND o.decided_at IS NOT NULL) AS accepted,
       count(*) FILTER (WHERE o.status = 'rejected' AND o.decided_at IS NOT NULL) AS rejected,
       count(*) FILTER (WHERE o.status = 'expired' AND o.decided_at IS NOT NULL) AS expired,
       count(*) FILTER (WHERE o.status = 'withdrawn' AND o.decided_at IS NOT NULL) AS withdrawn,
       count(*) FILTER (WHERE o.status IN ('accepted', 'rejected', 'expired')
                          AND o.decided_at IS NOT NULL AND o.accept_due_at IS NOT NULL) AS sla_due,
       count(*) FILTER (WHERE o.status IN ('accepted', 'rejected')
                          AND o.decided_at <= o.accept_due_at) AS sla_met,
       percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (
           ORDER BY (extract(epoch FROM o.decided_at - o.offered_at) / 3600.0)::float8)
           FILTER (WHERE o.status IN ('accepted', 'rejected', 'expired')
                     AND o.decided_at IS NOT NULL) AS decision,
       percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (
           ORDER BY (extract(epoch FROM o.first_touch_at - o.offered_at) / 3600.0)::float8)
           FILTER (WHERE o.first_touch_at IS NOT NULL) AS first_touch,
       p.target_rate
FROM handoff_offer o
JOIN funnel_lead l ON l.id = o.lead_id AND l.merged_into_id IS NULL
JOIN funnel_handoffpair p ON p.id = o.handoff_id
WHERE o.offered_at >= %(start)s AND o.offered_at < %(end)s
GROUP BY p.key, p.target_rate
"""


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _hours(value) -> float | None:
    return None if value is None else round(float(value), 2)


def handoffs(conn: psycopg.Connection, start: datetime.date, end: datetime.date) -> dict:
    """The handoffs report's figures per handoff key, in the report's own rounding."""
    utc = datetime.UTC
    period = {
        "start": datetime.datetime.combine(start, datetime.time(), utc),
        "end": datetime.datetime.combine(end, datetime.time(), utc),
    }
    figures = {}
    for row in conn.execute(HANDOFFS_SQL, period).fetchall():
        key, offered, acc, rej, exp, wd, sla_due, sla_met, decision, touch, target = row
        decided = acc + rej + exp
        decision, touch = decision or [None, None], touch or [None, None]
        figures[key] = {
            "offered": offered,
            "accepted": acc,
            "rejected": rej,
            "expired": exp,
            "withdrawn": wd,
            "pending": offered - decided - wd,
            "acceptance_rate": _rate(acc, decided),
            "target_rate": float(target),
            "median_hours_to_decision": _hours(decision[0]),
            "p95_hours_to_decision": _hours(decision[1]),
            "median_hours_to_first_touch": _hours(touch[0]),
            "p95_hours_to_first_touch": _hours(touch[1]),
            "sla_met_rate": _rate(sla_met, sla_due),
        }
    return figures


def handoffs_differences(api_rows: list[dict], sql: dict) -> list[str]:
    """Where the report and the query disagree (hours may differ by a rounding step)."""
    differences = []
    api = {row["handoff"]: row for row in api_rows}
    for key in sorted(set(api) | set(sql)):
        for name, value in sql.get(key, {}).items():
            got = api.get(key, {}).get(name)
            close = isinstance(value, float) and isinstance(got, float | int)
            if close and abs(value - got) <= 0.011:
                continue
            if got != value:
                differences.append(f"{key}.{name}: report {got}, SQL {value}")
        if key not in sql:
            differences.append(f"{key}: only in the report")
    return differences


# --- the upsert -----------------------------------------------------------------------------

NEW_COLUMNS = ["external_id", "email", "first_name", "last_name", "company", "title"]
NEW_COLUMNS += ["country", "source", "phone"]


def upsert_prepare(conn: psycopg.Connection) -> None:
    """`bench_lead`: the lead table's rows, columns, indexes and constraints (no triggers)."""
    with conn.transaction():
        conn.execute("DROP TABLE IF EXISTS bench_lead")
        conn.execute("CREATE TABLE bench_lead (LIKE funnel_lead INCLUDING ALL)")
        conn.execute("INSERT INTO bench_lead SELECT * FROM funnel_lead")
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('bench_lead', 'id'), "
            "(SELECT max(id) FROM bench_lead))"
        )
    conn.execute("ANALYZE bench_lead")


def upsert(conn: psycopg.Connection, batches: list[list[dict]], stage: tuple[int, int]) -> dict:
    """Upsert each batch in its own transaction, as each bulk request is one; rows/s.

    `conn` is in autocommit mode, so each `conn.transaction()` is a real transaction.
    """
    stage_id, team_id = stage
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS bench_staging "
        f"({', '.join(f'{c} text' for c in NEW_COLUMNS)}) ON COMMIT DELETE ROWS"
    )
    blank = ", ".join(["''"] * 4)  # region, city, industry, crm_id
    insert = f"""
        INSERT INTO bench_lead ({", ".join(NEW_COLUMNS)}, region, city, industry, crm_id,
            score, stage_id, stage_entered_at, team_id, recycle_count, attributes,
            created_at, updated_at)
        SELECT {", ".join(f"coalesce({c}, '')" if c != "external_id" else c for c in NEW_COLUMNS)},
            {blank}, 0, {stage_id}, now(), {team_id or "NULL"}, 0, '{{}}'::jsonb, now(), now()
        FROM bench_staging
        ON CONFLICT (external_id) WHERE external_id IS NOT NULL DO UPDATE
        SET phone = EXCLUDED.phone, title = EXCLUDED.title, updated_at = EXCLUDED.updated_at
    """
    rows = 0
    started = time.perf_counter()
    for batch in batches:
        with conn.transaction(), conn.cursor() as cursor:
            with cursor.copy(f"COPY bench_staging ({', '.join(NEW_COLUMNS)}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row([row.get(c) for c in NEW_COLUMNS])
            cursor.execute(insert)
            rows += cursor.rowcount
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds if seconds else None}
