"""The harness's hands inside Django: `python bench/driver.py COMMAND --out FILE [options]`.

Run by `bench/run.py` with the working directory and PYTHONPATH set to the tree under test, so
it imports that tree's code. Each command writes one JSON object to `--out`.

- prepare: on a freshly seeded database, the demo logins and pending offers routed to reps
  (recycled leads moved to MQL by a marketer, routed at once), for the accept scenarios.
- setup: per run, tokens and sessions for the clients, the pools of leads they work on, and
  what the page scenarios (dashboard, leads list) ask for: a campaign, a stage, a score range,
  an email fragment.
- sweep: SLA timers created inside a transaction, `sla_sweep` timed, then rolled back.
- weekly: `weekly_report --week W --rebuild` timed in-process.
- statements: one bulk request through DRF's APIClient, its SQL statements counted.
- page_sql: pages (dashboard, leads list) requested in-process through the test Client, the
  time of the SQL each sends (every statement timed at Django's execute wrapper).
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings.base")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from funnel.models import Role, Stage, User  # noqa: E402
from handoff.models import Lead, Offer, OfferStatus, SlaStep, SlaTimer  # noqa: E402

PREPARED_NOTE = "bench: pending offer"  # the note of the moves that opened prepared offers


def _quiet(name: str, *args, **kwargs) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=out, **kwargs)
    return out.getvalue()


def _token(username: str) -> str:
    return _quiet("create_api_token", username).strip().splitlines()[-1]


def _timed_runs(fn, *, runs: int, budget: float) -> list[float]:
    """`fn()` up to `runs` times, stopping once `budget` seconds are spent (at least once)."""
    times: list[float] = []
    spent = 0.0
    while len(times) < runs and (not times or spent < budget):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
        spent += times[-1]
    return times


# --- prepare (once, on the template database) ---------------------------------------------


def prepare(args) -> dict:
    """Demo logins, then `args.offers` pending MQL offers routed to sales reps."""
    from handoff.services.leads import lead_transition
    from handoff.services.offers import offer_route

    _quiet("demo_users")
    marketer = User.objects.get(username="marketer")
    candidates = list(
        Lead.objects.filter(stage__key="recycle", merged_into__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[: args.offers]
    )
    routed = 0
    for lead_id in candidates:
        with transaction.atomic():
            lead = Lead.objects.get(pk=lead_id)
            lead_transition(lead=lead, to="mql", actor=marketer, note=PREPARED_NOTE)
            offer = Offer.objects.get(lead_id=lead_id, status=OfferStatus.PENDING)
        offer_route(offer_id=offer.pk)
        routed += 1
    assigned = Offer.objects.filter(
        lead_id__in=candidates, status=OfferStatus.PENDING, assignee__isnull=False
    ).count()
    return {"offers": routed, "assigned": assigned}


# --- setup (every run, on the run's copy) -----------------------------------------------------


def setup(args) -> dict:
    pending = list(
        Offer.objects.filter(
            status=OfferStatus.PENDING,
            assignee__isnull=False,
            closed_at__isnull=True,
            transition__note=PREPARED_NOTE,
        )
        .order_by("id")
        .values_list("lead_id", "assignee__username")
    )
    bench_leads = {lead for lead, _ in pending}
    pool = [
        ext
        for lead, ext in Lead.objects.filter(external_id__isnull=False, merged_into__isnull=True)
        .order_by("id")
        .values_list("id", "external_id")
        if lead not in bench_leads
    ]
    busiest = list(
        Lead.objects.filter(owner__role=Role.SALES, owner__is_active=True, merged_into=None)
        .values("owner__username")
        .annotate(n=Count("id"))
        .order_by("-n", "owner__username")
        .values_list("owner__username", "n")[: args.reps]
    )
    tokens = {name: _token(name) for name in {"integration", "marketer"}}
    for username in {name for _, name in pending} | {name for name, _ in busiest}:
        tokens[username] = _token(username)
    sessions = {}
    page_users = [name for name in PAGE_USERS if User.objects.filter(username=name).exists()]
    for username in [name for name, _ in busiest] + page_users:
        client = Client()
        client.force_login(User.objects.get(username=username))
        sessions[username] = client.cookies["sessionid"].value
    inquiry = list(Stage.objects.filter(key="inquiry").values_list("id", "team_id")[:1])
    return {
        "tokens": tokens,
        "sessions": sessions,
        "pages": _page_params(),
        "busiest_reps": busiest,
        "pending": pending,
        "update_pool": pool,
        "leads": Lead.objects.count(),
        "inquiry_stage": inquiry[0] if inquiry else None,
    }


# The page scenarios' users (demo_users' logins): the marketer sees every lead and reads the
# dashboard; the sales manager sees their team's leads (lead_visible's union).
PAGE_USERS = ("marketer", "manager")


def _page_params() -> dict:
    """What the page scenarios ask for, chosen from the data so each selects a real set: the
    campaign with the most live leads, its most common stage, the middle half of those leads'
    scores, and the local part of the email of the lead in the middle (by id)."""
    live = Lead.objects.filter(merged_into__isnull=True)
    top = (
        live.filter(campaign__isnull=False)
        .values("campaign_id", "campaign__name")
        .annotate(n=Count("id"))
        .order_by("-n", "campaign_id")
        .first()
    )
    if top is None:
        raise RuntimeError("no lead has a campaign: nothing to filter the pages by")
    campaign = top["campaign_id"]
    stage = (
        live.filter(campaign_id=campaign)
        .values("stage__key")
        .annotate(n=Count("id"))
        .order_by("-n", "stage__key")
        .first()["stage__key"]
    )
    scores = sorted(
        live.filter(campaign_id=campaign, stage__key=stage).values_list("score", flat=True)
    )
    middle = live.order_by("id").values_list("email", flat=True)[live.count() // 2]
    manager = User.objects.filter(username="manager").values_list("team__key", flat=True).first()
    return {
        "campaign": campaign,
        "campaign_name": top["campaign__name"],
        "campaign_leads": top["n"],
        "stage": stage,
        "score_min": scores[len(scores) // 4],
        "score_max": scores[3 * len(scores) // 4],
        "email_fragment": middle.split("@")[0],
        "manager_team": manager,
    }


# --- the SLA sweep ------------------------------------------------------------------------


# Each offer's two warning timers (accept, first touch), then one timer per step of its ladder.
WARNINGS = [("accept", "warning", "", None), ("first_touch", "warning", "", None)]


def _timers_plant(*, due: int, total: int, now: datetime.datetime) -> dict:
    """Push every waiting timer out of reach, then add timers so that about `total` wait, the
    first `due` of them due by `now`, spread over the open offers along their agreement's
    ladder (warnings and every step)."""
    waiting = SlaTimer.objects.filter(fired_at__isnull=True, cancelled_at__isnull=True)
    existing = waiting.count()
    waiting.update(due_at=now + datetime.timedelta(days=3650))
    offers = list(
        Offer.objects.filter(
            status__in=[OfferStatus.PENDING, OfferStatus.ACCEPTED],
            closed_at__isnull=True,
            agreement__isnull=False,
        )
        .order_by("id")
        .values_list("id", "agreement_id")
    )
    ladders: dict[int, list[tuple]] = {}
    for step in SlaStep.objects.order_by("agreement_id", "clock", "after_hours"):
        ladder = ladders.setdefault(step.agreement_id, list(WARNINGS))
        ladder.append((step.clock, "breach", step.action, step.pk))
    offers = [(pk, agreement) for pk, agreement in offers if agreement in ladders]
    if not offers:
        raise RuntimeError("no open offer with an SLA agreement to plant timers on")
    count = max(due, total - existing)
    sql = (
        "COPY handoff_slatimer (offer_id, clock, kind, action, step_id, due_at, outcome) FROM STDIN"
    )
    minute = datetime.timedelta(minutes=1)
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for i in range(count):
            offer, agreement = offers[i % len(offers)]
            ladder = ladders[agreement]
            clock, kind, action, step = ladder[(i % len(ladder) + i // len(offers)) % len(ladder)]
            if i < due:
                at = now - minute * (1 + i % 720)
            else:
                at = now + datetime.timedelta(days=30) + minute * (i % 1000)
            copy.write_row((offer, clock, kind, action, step, at, ""))
    return {"existing_waiting": existing, "planted": count, "open_offers": len(offers)}


def _outcome_kind(outcome: str) -> str:
    """ "escalated to ada.lovelace" as "escalated to …": outcomes counted by what happened."""
    words = outcome.split()
    return " ".join([*words[:-1], "…"]) if words and "." in words[-1] else outcome


def sweep(args) -> dict:
    from handoff.services.breaches import sla_sweep

    runs = []
    spent = 0.0
    while len(runs) < args.runs and (not runs or spent < args.budget):
        with transaction.atomic():
            planted = _timers_plant(due=args.due, total=args.open, now=timezone.now())
            now = timezone.now()
            started = time.perf_counter()
            handled = sla_sweep(now=now)
            due_seconds = time.perf_counter() - started
            started = time.perf_counter()
            idle_handled = sla_sweep(now=now)
            idle_seconds = time.perf_counter() - started
            outcomes = Counter(
                _outcome_kind(outcome)
                for outcome in SlaTimer.objects.filter(
                    Q(fired_at=now) | Q(cancelled_at=now)
                ).values_list("outcome", flat=True)
            )
            transaction.set_rollback(True)  # leave the database as it was
        spent += due_seconds + idle_seconds
        runs.append(
            {
                **planted,
                "handled": handled,
                "seconds": due_seconds,
                "idle_handled": idle_handled,
                "idle_seconds": idle_seconds,
                "fired": sum(outcomes.values()),
                "top_outcomes": outcomes.most_common(6),
            }
        )
    return {"runs": runs}


# --- the weekly report ----------------------------------------------------------------------


def weekly(args) -> dict:
    times = _timed_runs(
        lambda: _quiet("weekly_report", week=args.week, rebuild=True),
        runs=args.runs,
        budget=args.budget,
    )
    return {"week": args.week, "seconds": times}


# --- one bulk request, its statements counted -----------------------------------------------


def _kind(sql: str) -> str:
    text = sql.lstrip().upper()
    if "PG_ADVISORY" in text:
        return "advisory lock"
    return text.split(None, 1)[0].lower() if text else "?"


def statements(args) -> dict:
    """POST the batch in `args.rows` once; count every statement this process sends."""
    import psycopg
    from rest_framework.test import APIClient

    rows = json.loads(Path(args.rows).read_text())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {_token('integration')}")
    Lead.objects.exists()  # connect first: the connection's own setup is not the request's
    django_kinds: Counter = Counter()
    driver_calls: Counter = Counter()

    def counted(execute, sql, params, many, context):
        django_kinds[_kind(sql)] += len(params) if many and params is not None else 1
        return execute(sql, params, many, context)

    # COPY bypasses Django's execute wrapper; count it, and any raw execute, at the driver.
    originals = {name: getattr(psycopg.Cursor, name) for name in ("execute", "copy")}

    def wrap(name):
        def inner(self, query, *a, **kw):
            driver_calls[name] += 1
            return originals[name](self, query, *a, **kw)

        return inner

    for name in originals:
        setattr(psycopg.Cursor, name, wrap(name))
    try:
        with connection.execute_wrapper(counted):
            started = time.perf_counter()
            response = client.post("/api/v1/leads/bulk/", {"leads": rows}, format="json")
            seconds = time.perf_counter() - started
    finally:
        for name, original in originals.items():
            setattr(psycopg.Cursor, name, original)
    body = response.json() if response.status_code == 200 else {"detail": response.content[:500]}
    statuses = Counter(r["status"] for r in body.get("results", []))
    django_total = sum(django_kinds.values())
    # Statements Django saw, plus COPYs and executes that went around it.
    outside = max(0, driver_calls["execute"] - django_total)
    return {
        "http_status": response.status_code,
        "seconds": seconds,
        "statements": django_total + driver_calls["copy"] + outside,
        "by_kind": dict(django_kinds.most_common()),
        "copy": driver_calls["copy"],
        "outside_django": outside,
        "row_statuses": dict(statuses),
        "detail": None if response.status_code == 200 else str(body.get("detail"))[:300],
    }


# --- the pages' SQL: the reference of the page rows --------------------------------------


def page_sql(args) -> dict:
    """Each page in `args.rows` (JSON [[key, username, url, fresh], …]) got through the test
    Client as that user, once unmeasured, then `args.runs` times (`fresh`: with the cache
    emptied before each, so the dashboard computes its figures): the seconds its statements took
    (psycopg's client cursors read the whole result in execute, so this is the database's
    work and the transfer), their number, and the whole request in-process; medians."""
    import statistics

    pages = json.loads(Path(args.rows).read_text())
    clients: dict[str, Client] = {}
    result = {}
    from django.core.cache import cache

    for key, username, url, fresh in pages:
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(User.objects.get(username=username))
        client = clients[username]
        client.get(url)
        runs = []
        for _ in range(args.runs):
            if fresh:
                cache.clear()
            spent = {"seconds": 0.0, "statements": 0}

            def timed(execute, sql, params, many, context, spent=spent):
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    spent["seconds"] += time.perf_counter() - started
                    spent["statements"] += 1

            with connection.execute_wrapper(timed):
                started = time.perf_counter()
                response = client.get(url)
                total = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{url} as {username} answered {response.status_code}")
            runs.append({**spent, "total": total})
        result[key] = {
            "sql": statistics.median(r["seconds"] for r in runs),
            "statements": statistics.median(r["statements"] for r in runs),
            "in_process": statistics.median(r["total"] for r in runs),
            "runs": len(runs),
        }
    return result


COMMANDS = {
    "page_sql": page_sql,
    "prepare": prepare,
    "setup": setup,
    "sweep": sweep,
    "weekly": weekly,
    "statements": statements,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("--out", required=True)
    parser.add_argument("--offers", type=int, default=4000)
    parser.add_argument("--reps", type=int, default=11)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--week")
    parser.add_argument("--rows")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--budget", type=float, default=60.0)
    args = parser.parse_args()
    result = COMMANDS[args.command](args)
    Path(args.out).write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    sys.exit(main())
