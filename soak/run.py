"""`make soak`: the promises of issue 13 tried for real, on loopback, bounded in count and time.

Its own PostgreSQL cluster, Redis, gunicorn, Celery worker and beat, a mail server and a
webhook receiver, all on loopback ports of their own, so it may SIGKILL and restart them without
touching anything else on the machine. Five phases, each checked from the database afterwards:

1. ingest: LEADS leads through POST /api/v1/leads/bulk/ by 8 concurrent clients, rows shared
   between clients, whole-request retries with the same Idempotency-Key, requests abandoned
   half-way; then an update pass. Exactly the distinct leads sent, each with its latest values.
2. worker killed mid-routing: offers routed exactly once, none left without a holder or clock.
3. worker killed mid-sweep: every due timer fired once; every notification emailed once.
4. Redis restarted while offers are routed and events dispatched: 2xx for what committed, every
   offer routed, every event delivered to the webhook.
5. PostgreSQL restarted under web load: 503 (JSON with Retry-After for the API, the app's page
   for the browser), never a 500; a 503'd write did nothing; everything answers again by itself.
6. suites: promises 3 to 6 of the issue (concurrency as a property, hostile input, access, the
   API contract) by the test suite's own proofs, on this soak's PostgreSQL and Redis.

Prints one line per promise with its counts and writes them to WORK/summary.txt; exits 1 if a
promise was broken.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from client import Answer, Client
from processes import BIN, ROOT, App, Postgres, Redis, free_port
from sinks import MailSink, WebhookSink

CLIENTS = 8
BATCH = 500
OVERLAP = 50  # rows of the next client's leads in each of a client's first-pass batches
BULK = "/api/v1/leads/bulk/"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Soak:
    def __init__(self, args):
        self.args, self.rng = args, random.Random(args.seed)
        self.work = Path(args.work)
        self.results: list[tuple[str, str, bool]] = []
        self.started = time.monotonic()

    # --- set-up ---------------------------------------------------------------------------

    def setup(self) -> None:
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        self.pg = Postgres(self.work, free_port())
        self.pg.create()
        with psycopg.connect(self.pg.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE leadflow_soak")
        self.redis = Redis(self.work, free_port())
        self.redis.start()
        self.mail, self.hooks = MailSink(), WebhookSink()
        env = {
            **os.environ,
            "DATABASE_URL": self.pg.url("leadflow_soak"),
            "CELERY_BROKER_URL": self.redis.url(),
            "SECRET_KEY": "soak-" + uuid.uuid4().hex,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LEADFLOW_VAR_DIR": str(self.work / "var"),
            "EMAIL_URL": f"smtp://127.0.0.1:{self.mail.port}",
            "SAFETY_NET_GRACE_SECONDS": "20",
            "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",  # the receiver is on loopback
            "WEBHOOK_RETRY_BASE_SECONDS": "2",
            "API_RATE_PER_TOKEN": "100000/min",
            "API_RATE_PER_USER": "100000/min",
            "LOG_LEVEL": "WARNING",
            "WEB_CONCURRENCY": "2",
            "WEB_THREADS": "4",
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        self.app = App(self.work, env, free_port())
        log(f"PostgreSQL :{self.pg.port}, Redis :{self.redis.port}, web :{self.app.port}")
        self.app.manage("migrate", "--noinput")
        self.app.manage("setup_funnel")
        self.app.manage("collectstatic", "--noinput")
        self.passwords = dict(
            re.findall(r"^\s+(\S+)\s+(\S+)\s+\S+$", self.app.manage("demo_users"), re.M)
        )
        self.tokens = {
            name: self.app.manage("create_api_token", name).strip().splitlines()[-1]
            for name in ("integration", "marketer", "admin")
        }
        self.app.start_web()
        self.app.start_worker()
        self.app.start_beat()
        self.db = psycopg.connect(self.pg.url("leadflow_soak"), autocommit=True)

    def api(self, who: str) -> Client:
        return Client(self.app.port, token=self.tokens[who])

    def sql(self, query: str, *params):
        for _ in range(30):  # the database may be on its way back up
            try:
                return self.db.execute(query, params).fetchall()
            except psycopg.OperationalError:
                time.sleep(1)
                self.db = psycopg.connect(self.pg.url("leadflow_soak"), autocommit=True)
        raise RuntimeError("the database did not come back")

    def promise(self, name: str, tried: str, ok: bool) -> None:
        self.results.append((name, tried, ok))
        log(f"{'KEPT  ' if ok else 'BROKEN'} {name}: {tried}")

    def wait(self, what: str, done, limit: float) -> float:
        """Seconds until done() is true; raises after `limit`."""
        started = time.monotonic()
        while not done():
            if time.monotonic() - started > limit:
                return -1
            time.sleep(1)
        waited = time.monotonic() - started
        log(f"{what}: {waited:.0f} s")
        return waited

    # --- 1. ingest ------------------------------------------------------------------------

    @staticmethod
    def row(i: int, version: int, *, by_email: bool = False) -> dict:
        row = {
            "email": f"soak{i}@example.com",
            "first_name": "Soak",
            "last_name": f"Lead {i}",
            "company": f"Company {i % 997} v{version}",
            "title": f"Title v{version}",
            "country": ("US", "DE", "GB", "FR")[i % 4],
            "attributes": {"version": version},
        }
        if not by_email:
            row["external_id"] = f"soak-{i:06d}"
        return row

    def ingest(self) -> None:
        n = self.args.leads
        owned = [list(range(c, n, CLIENTS)) for c in range(CLIENTS)]
        self.latest = {i: 1 for i in range(n)}
        codes, troubles = Counter(), Counter()
        lock = threading.Lock()

        def send(client: Client, rng: random.Random, rows: list[dict]) -> None:
            key = str(uuid.UUID(int=rng.getrandbits(128)))
            body = {"leads": rows}
            if rng.random() < self.args.abort_rate:
                how = client.abandon(BULK, body, headers={"Idempotency-Key": key}, rng=rng)
                with lock:
                    codes[f"abandoned ({how})"] += 1
            for attempt in range(8):
                answer = client.request("POST", BULK, body, headers={"Idempotency-Key": key})
                with lock:
                    codes[answer.status or "no answer"] += 1
                if answer.status and answer.status < 500:
                    break
                time.sleep(min(2**attempt, 20))
            else:
                with lock:
                    troubles["never answered 2xx after 8 tries"] += 1
                return
            if answer.status != 200:
                with lock:
                    troubles[f"answered {answer.status}: {answer.body[:200]!r}"] += 1
                return
            bad = [r for r in answer.json()["results"] if r["status"] == "error"]
            if bad:
                with lock:
                    troubles[f"row errors, e.g. {bad[0]}"] += len(bad)
            if rng.random() < self.args.retry_rate:
                again = client.request("POST", BULK, body, headers={"Idempotency-Key": key})
                same = (
                    again.status == 200
                    and again.json() == answer.json()
                    and again.headers.get("idempotent-replayed") == "true"
                )
                with lock:
                    codes["replays"] += 1
                    if not same:
                        troubles[f"replay differed: {again.status} {again.body[:200]!r}"] += 1

        def first_pass(c: int) -> None:
            client, rng = self.api("integration"), random.Random(self.args.seed * 100 + c)
            mine, theirs = owned[c], owned[(c + 1) % CLIENTS]
            for start in range(0, len(mine), BATCH):
                shared = theirs[start : start + OVERLAP]
                rows = [self.row(i, 1) for i in mine[start : start + BATCH] + shared]
                rng.shuffle(rows)
                with lock:
                    codes["rows sent"] += len(rows)
                send(client, rng, rows)

        def second_pass(c: int) -> None:
            client, rng = self.api("integration"), random.Random(self.args.seed * 200 + c)
            changed = owned[c][::5]
            rows = [self.row(i, 2, by_email=k % 2 == 1) for k, i in enumerate(changed)]
            with lock:
                codes["rows sent"] += len(rows)
            for start in range(0, len(rows), BATCH):
                send(client, rng, rows[start : start + BATCH])
            with lock:
                self.latest.update({i: 2 for i in changed})

        started = time.monotonic()
        for passed in (first_pass, second_pass):
            threads = [threading.Thread(target=passed, args=(c,)) for c in range(CLIENTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            log(f"ingest {passed.__name__}: {time.monotonic() - started:.0f} s, {dict(codes)}")
        seconds = time.monotonic() - started
        rows = self.sql(
            "SELECT external_id, title, email FROM funnel_lead WHERE email LIKE 'soak%%'"
        )
        ids = Counter(r[0] for r in rows)
        emails = Counter(r[2] for r in rows)
        wrong = sum(
            1
            for ext, title, _ in rows
            if ext and title != f"Title v{self.latest[int(ext.removeprefix('soak-'))]}"
        )
        doubled = sum(c - 1 for c in ids.values() if c > 1) + sum(
            c - 1 for c in emails.values() if c > 1
        )
        lost = n - len(set(ids) - {None})
        answered = sum(v for k, v in codes.items() if isinstance(k, int))
        self.promise(
            "1. no lead lost or duplicated in ingestion",
            f"{n:,} distinct leads, {OVERLAP} of each {BATCH} sent by two clients at once, then "
            f"{n // 5:,} updated, half found by email, by {CLIENTS} clients in "
            f"{seconds:.0f} s; answers {dict(codes)}; {answered} answered; in the database "
            f"{len(rows):,} leads: lost {lost}, doubled {doubled}, not at their latest values "
            f"{wrong}; troubles {dict(troubles) or 'none'}",
            not (lost or doubled or wrong or troubles),
        )

    # --- shared checks ----------------------------------------------------------------------

    def unrouted(self, since) -> int:
        return self.sql(
            "SELECT count(*) FROM handoff_offer WHERE offered_at >= %s AND status = 'pending' "
            "AND (routed_at IS NULL OR (assignee_id IS NULL AND queue_id IS NULL) OR NOT EXISTS "
            "(SELECT 1 FROM handoff_slatimer t WHERE t.offer_id = handoff_offer.id "
            "AND t.fired_at IS NULL AND t.cancelled_at IS NULL))",
            since,
        )[0][0]

    def routed_twice(self, since) -> int:
        return self.sql(
            "SELECT count(*) FROM handoff_offer WHERE offered_at >= %s "
            "AND jsonb_array_length(routing) > 1",
            since,
        )[0][0]

    def mql_batch(self, first: int, count: int) -> Answer:
        """`count` new leads straight into MQL (a demo request): one offer each."""
        rows = [
            {
                **self.row(i, 1),
                "external_id": f"mql-{i:06d}",
                "email": f"mql{i}@example.com",
                "stage": "mql",
            }
            for i in range(first, first + count)
        ]
        return self.api("integration").request(
            "POST", BULK, {"leads": rows}, headers={"Idempotency-Key": uuid.uuid4().hex}
        )

    def kill_worker_once(self, progress, what: str, *, limit: float) -> int:
        """SIGKILL the worker as soon as `progress()` shows it has started (within `limit` s),
        then start a new one; returns the progress at the kill."""
        deadline = time.monotonic() + limit
        while progress() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        at_kill = progress()
        self.app.kill("worker")
        log(f"worker SIGKILLed with {at_kill} {what}")
        time.sleep(2)
        self.app.start_worker()
        return at_kill

    def now(self):
        return self.sql("SELECT now()")[0][0]

    # --- 2. worker killed mid-routing -----------------------------------------------------------

    def kill_mid_routing(self) -> None:
        since, total = self.now(), self.args.offers
        answers = Counter()
        for first in range(0, total, 100):
            answers[self.mql_batch(first, 100).status] += 1
        routed = lambda: self.sql(  # noqa: E731
            "SELECT count(*) FROM handoff_offer WHERE offered_at >= %s AND routed_at IS NOT NULL",
            since,
        )[0][0]
        at_kill = self.kill_worker_once(routed, f"of {total} offers routed", limit=60)
        waited = self.wait("all offers routed", lambda: self.unrouted(since) == 0, 240)
        self.promise(
            "2a. worker SIGKILLed mid-routing: every offer routed exactly once",
            f"{total} offers (bulk answers {dict(answers)}), kill at {at_kill} routed; "
            f"unrouted after {waited:.0f} s: {self.unrouted(since)}; routed twice: "
            f"{self.routed_twice(since)}",
            waited >= 0 and at_kill < total and self.routed_twice(since) == 0,
        )

    # --- 3. worker killed mid-sweep -------------------------------------------------------------

    def kill_mid_sweep(self) -> None:
        due = self.sql(
            "UPDATE handoff_slatimer SET due_at = now() - interval '1 minute' "
            "WHERE fired_at IS NULL AND cancelled_at IS NULL RETURNING id"
        )
        due_ids = [r[0] for r in due]
        since = self.now()
        before = self.sql("SELECT count(*) FROM handoff_notification")[0][0]
        self.app.manage("shell", "-c", "from handoff.tasks import sla_sweep_task; "
                        "sla_sweep_task.delay()")  # fmt: skip
        fired = lambda: self.sql(  # noqa: E731
            "SELECT count(*) FROM handoff_slatimer WHERE id = ANY(%s) "
            "AND (fired_at IS NOT NULL OR cancelled_at IS NOT NULL)",
            due_ids,
        )[0][0]
        at_kill = self.kill_worker_once(fired, f"of {len(due_ids)} due timers handled", limit=240)
        waited = self.wait("every due timer handled", lambda: fired() == len(due_ids), 240)
        notified = self.sql(
            "SELECT id FROM handoff_notification WHERE delivery = 'email' ORDER BY id"
        )
        self.wait(
            "every notification emailed",
            lambda: (
                self.sql(
                    "SELECT count(*) FROM handoff_notification WHERE delivery = 'email' "
                    "AND emailed_at IS NULL"
                )[0][0]
                == 0
            ),
            240,
        )
        breaches = (
            self.sql(
                "SELECT count(*) FROM funnel_event WHERE type = 'sla.breached' "
                "AND occurred_at >= %s",
                since,
            )[0][0],
            self.sql(
                "SELECT count(*) FROM handoff_slatimer WHERE id = ANY(%s) "
                "AND kind = 'breach' AND fired_at IS NOT NULL",
                due_ids,
            )[0][0],
        )
        emails = dict(self.mail.message_ids)
        missing = [n for (n,) in notified if self._message_id(n) not in emails]
        doubled = sum(c - 1 for c in emails.values() if c > 1)
        made = self.sql("SELECT count(*) FROM handoff_notification")[0][0] - before
        self.promise(
            "2b. worker SIGKILLed mid-sweep: each due timer fired once, each email sent once",
            f"{len(due_ids)} timers due, kill at {at_kill} handled, all handled after "
            f"{waited:.0f} s; breach events {breaches[0]} for {breaches[1]} breach timers "
            f"fired; {made} notifications, {len(notified)} by email, {len(emails)} "
            f"emails received: missing {len(missing)}, doubled {doubled}",
            waited >= 0 and 0 < at_kill < len(due_ids)
            and breaches[0] == breaches[1] and not missing and not doubled,
        )  # fmt: skip

    @staticmethod
    def _message_id(notification_id: int) -> str:
        return f"<notification.{notification_id}@leadflow>"

    # --- 4. Redis restarted -------------------------------------------------------------------

    def redis_restart(self) -> None:
        hook = self.api("admin").request(
            "POST", "/api/v1/webhooks/", {"url": self.hooks.url, "description": "soak"}
        )
        if hook.status != 201:
            raise RuntimeError(f"webhook not created: {hook.status} {hook.body[:300]!r}")
        since = self.now()
        answers, failed = Counter(), []
        first = self.args.offers
        stopper = threading.Timer(4, self._bounce_redis)
        stopper.start()
        for k in range(30):  # 30 requests of 10 over about 15 s: some before, some during
            answer = self.mql_batch(first + k * 10, 10)
            answers[answer.status] += 1
            if answer.status != 200:
                failed.append((first + k * 10, answer))
            time.sleep(0.5)
        stopper.join()
        # A 5xx must mean nothing happened.
        wrote_anyway = sum(
            self.sql("SELECT count(*) FROM funnel_lead WHERE external_id = %s", f"mql-{start:06d}")[
                0
            ][0]
            for start, _ in failed
        )
        waited = self.wait("all offers routed", lambda: self.unrouted(since) == 0, 240)
        events = lambda: {  # noqa: E731
            str(u)
            for (u,) in self.sql("SELECT uid FROM funnel_event WHERE occurred_at >= %s", since)
        }
        undelivered = lambda: events() - set(self.hooks.events)  # noqa: E731
        delivered_in = self.wait("every event at the webhook", lambda: not undelivered(), 300)
        doubled = sum(c - 1 for c in self.hooks.events.values() if c > 1)
        self.promise(
            "2c. Redis restarted while routing and dispatching: truthful answers, nothing lost",
            f"300 leads into MQL in 30 requests around a Redis restart: answers {dict(answers)}, "
            f"5xx that wrote anyway {wrote_anyway}; unrouted after {waited:.0f} s: "
            f"{self.unrouted(since)}, routed twice {self.routed_twice(since)}; {len(events())} "
            f"events, not at the webhook after {delivered_in:.0f} s: {len(undelivered())}, "
            f"delivered twice {doubled} (at-least-once: a retry after a lost answer)",
            waited >= 0 and delivered_in >= 0 and not wrote_anyway
            and all(s == 200 or s >= 500 for s in answers) and not self.routed_twice(since),
        )  # fmt: skip

    def _bounce_redis(self) -> None:
        self.redis.stop()
        log("Redis down")
        time.sleep(5)
        self.redis.start()
        log("Redis up")

    # --- 5. PostgreSQL restarted ------------------------------------------------------------

    def login(self) -> str:
        browser = Client(self.app.port)
        page = browser.request("GET", "/accounts/login/")
        csrf = re.search(r"csrftoken=([^;]+)", page.headers.get("set-cookie", "")).group(1)
        form = (
            f"csrfmiddlewaretoken={csrf}&username=rep&password={self.passwords['rep']}"
        ).encode()
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.app.port, timeout=30)
        conn.request("POST", "/accounts/login/", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}",
            "Referer": f"http://127.0.0.1:{self.app.port}/accounts/login/"})  # fmt: skip
        response = conn.getresponse()
        cookie = "; ".join(response.msg.get_all("Set-Cookie") or [])
        conn.close()
        session = re.search(r"sessionid=([^;]+)", cookie)
        if not session:
            raise RuntimeError(f"login failed: {response.status}")
        return f"sessionid={session.group(1)}"

    def postgres_restart(self) -> None:
        browser = Client(self.app.port, cookie=self.login())
        api = self.api("marketer")
        stop = threading.Event()
        seen = Counter()
        bad: list[str] = []
        writes: dict[str, int] = {}
        lock = threading.Lock()

        def load(kind: str, n: int) -> None:
            k = 0
            while not stop.is_set():
                k += 1
                if kind == "page":
                    answer = browser.request("GET", "/queue/", timeout=30)
                elif kind == "read":
                    answer = api.request("GET", "/api/v1/leads/?page_size=5", timeout=30)
                else:
                    ext = f"pgload-{n}-{k}"
                    answer = api.request("POST", "/api/v1/leads/", {"email": f"{ext}@example.com",
                                         "external_id": ext}, timeout=30)  # fmt: skip
                    with lock:
                        writes[ext] = answer.status
                with lock:
                    seen[(kind, answer.status)] += 1
                    if answer.status == 503:
                        wanted_json = kind != "page"
                        if answer.is_json != wanted_json or "retry-after" not in answer.headers:
                            bad.append(f"{kind} 503 {answer.headers} {answer.body[:100]!r}")
                    elif answer.status >= 500 or answer.status == 0:
                        bad.append(f"{kind} {answer.status} {answer.body[:200]!r}")
                time.sleep(0.05)

        kinds = ["page", "read", "read", "write", "write"]
        threads = [threading.Thread(target=load, args=(k, n)) for n, k in enumerate(kinds)]
        for t in threads:
            t.start()
        time.sleep(10)
        self.pg.stop("fast")
        log("PostgreSQL down")
        time.sleep(8)
        self.pg.start()
        log("PostgreSQL up")
        back = time.monotonic()
        recovered = -1.0
        while time.monotonic() - back < 60:
            if api.request("GET", "/api/v1/leads/?page_size=1", timeout=10).status == 200:
                recovered = time.monotonic() - back
                break
            time.sleep(0.2)
        time.sleep(10)
        stop.set()
        for t in threads:
            t.join()
        created = {
            ext for (ext,) in self.sql(
                "SELECT external_id FROM funnel_lead WHERE external_id LIKE 'pgload-%%'"
            )
        }  # fmt: skip
        untrue = [f"{e}: {s}" for e, s in writes.items() if (s == 201) != (e in created)]
        # Worker and beat found the database again by themselves: a new offer gets routed.
        since = self.now()
        self.mql_batch(900_000, 10)
        routed = self.wait("offers routed after the restart", lambda: self.unrouted(since) == 0,
                           180)  # fmt: skip
        self.promise(
            "2d. PostgreSQL restarted under web load: 503s that tell the truth, then back",
            f"{sum(seen.values())} requests (page, API read, API write) around 8 s down: "
            f"{dict(sorted(seen.items(), key=str))}; not a proper 503 or a 5xx: {len(bad)} "
            f"{bad[:3]}; writes whose answer was not the truth: {len(untrue)} {untrue[:3]}; "
            f"API answering {recovered:.1f} s after the start; worker routing again in "
            f"{routed:.0f} s",
            not bad and not untrue and recovered >= 0 and routed >= 0,
        )

    # --- 3 to 6: the suite's proofs, on this soak's PostgreSQL and Redis ------------------------

    SUITES = {
        "3. concurrency as a property (stateful hypothesis, threads)": [
            "tests/test_concurrency_property.py"],
        "4. hostile input (schemathesis per role, sizes, nesting, encodings, escaping, CSV)": [
            "tests/test_api_schema.py", "tests/test_hostile_input.py", "tests/test_escaping.py"],
        "5. access (matrix from the URLs, objects by id, sign-ins, tokens, CSP, webhooks)": [
            "tests/test_access_matrix.py", "tests/test_sign_in.py", "tests/test_csp.py",
            "integrations/tests/test_webhook_targets.py",
            "integrations/tests/api/test_webhook_secret_once.py",
            "leadflow/tests/test_settings.py"],
        "6. an API that generated clients consume (schema validates, client drives a lead)": [
            "tests/test_openapi_contract.py", "tests/test_generated_client.py"],
    }  # fmt: skip

    def suites(self) -> None:
        """The promises that are properties of the code, not of a fault, run by the suite itself
        (`make test` runs them too): here they report their counts beside the faults'."""
        env = {**os.environ, "DATABASE_URL": self.pg.url("leadflow_suite"),
               "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis.port}/7",
               "DJANGO_SETTINGS_MODULE": "leadflow.settings.test"}  # fmt: skip
        for name, paths in self.SUITES.items():
            started = time.monotonic()
            done = subprocess.run(
                [str(BIN / "pytest"), "-q", "-p", "no:cacheprovider", "--create-db", *paths],
                cwd=ROOT, env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            last = (done.stdout.strip().splitlines() or [""])[-1]
            counts = ", ".join(
                " ".join(c) for c in re.findall(r"(\d+) (passed|failed|errors?)", last)
            )
            tried = f"{counts or done.stdout[-300:]} in {time.monotonic() - started:.0f} s"
            self.promise(name, f"{tried}, {len(paths)} test files", done.returncode == 0)

    # --- the run ---------------------------------------------------------------------------------

    def run(self) -> int:
        try:
            self.setup()
            phases = [self.ingest, self.kill_mid_routing, self.kill_mid_sweep,
                      self.redis_restart, self.postgres_restart, self.suites]  # fmt: skip
            for phase in phases:
                if self.args.only and phase.__name__ not in self.args.only:
                    continue
                if time.monotonic() - self.started > self.args.budget:
                    self.promise(phase.__name__, "not run: the time budget was spent", False)
                    continue
                log(f"--- {phase.__name__}")
                phase()
        finally:
            if hasattr(self, "app"):
                self.app.stop_all()
            if hasattr(self, "redis") and self.redis.proc:
                self.redis.stop()
            if hasattr(self, "pg"):
                self.pg.stop("immediate")
        minutes = (time.monotonic() - self.started) / 60
        lines = [f"make soak, {datetime.datetime.now():%Y-%m-%d %H:%M}, {minutes:.1f} min, "
                 f"{os.cpu_count()} cores, seed {self.args.seed}"]  # fmt: skip
        lines += [f"{'KEPT  ' if ok else 'BROKEN'} {name}\n       {tried}"
                  for name, tried, ok in self.results]  # fmt: skip
        exits = dict(self.app.exits) if hasattr(self, "app") else {}
        lines.append(f"Processes that exited by themselves (restarted, as a supervisor would): "
                     f"{exits or 'none'}")  # fmt: skip
        summary = "\n".join(lines)
        (self.work / "summary.txt").write_text(summary + "\n")
        print("\n" + summary)
        return 0 if all(ok for _, _, ok in self.results) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--offers", type=int, default=300)
    parser.add_argument("--retry-rate", type=float, default=0.1)
    parser.add_argument("--abort-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--budget", type=float, default=27 * 60, help="seconds")
    parser.add_argument("--work", default="/tmp/leadflow-soak")
    parser.add_argument("--only", nargs="*", help="phases to run (default: all), e.g. ingest")
    return Soak(parser.parse_args()).run()


if __name__ == "__main__":
    sys.exit(main())
