"""The benchmark harness of issue 10: `make bench` (1,000,000 leads), `make bench-quick` (100,000).

    python bench/run.py --leads 100000 --label before --tree /tmp/bench-before

Loads `seed_demo --leads N --weeks 26 --seed 1` into its own database once (reused while its
lead count matches), copies it for the run, runs every scenario against the copy with the code
of `--tree`, prints one table and appends it, with the machine, to bench/RESULTS.md. What each
scenario measures is in bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import html
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
import reference
from load import (
    Acceptor,
    Batches,
    Http,
    Latencies,
    ingest_round,
    percentile,
    pool_slices,
    run_threads,
)
from system import LoadSampler, Processes, children, cpu_model, git, meminfo, vm_kb
from table import PAGE_DEMO, Row, at_most, fmt, page_target, rows_template, table

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent
SEED = 1
WEEKS = 26
# Pending offers prepared once per bench database for the accept scenarios (fewer in a small
# one): a fifth for scenario 3, the rest for the 32 clients.
PENDING_OFFERS = 4000
GROWTH = ["handoffs", "cohort", "velocity", "qualifiers", "reasons", "weekly"]
SCENARIOS = [
    "seed", "reports", "dashboard", "leads", "weekly", "sweep", "statements", "rss", "ingest",
    "clients",
]  # fmt: skip
WEB = ("reports", "dashboard", "leads", "ingest", "clients")  # the scenarios that need gunicorn
# The page scenarios: unmeasured requests first (each of the 2 workers loads its templates),
# and how many "Next 50" links the deep page follows from the first.
PAGE_WARM_UP = 2
DEEP_HOPS = 40


# --- the harness --------------------------------------------------------------------------


@dataclass
class Config:
    leads: int
    label: str
    tree: Path
    db: str
    server: str
    redis_url: str
    runs: int
    budget: float
    port: int
    web_workers: int
    ingest_seconds: float
    clients_seconds: float
    page_runs: int
    page_budget: float
    only: list[str]
    seed_run: bool
    keep: bool
    results: Path
    work: Path = field(init=False)

    def __post_init__(self):
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.work = Path("/tmp/leadflow-bench") / f"{stamp}-{self.label}"


class Harness:
    """One run: the databases, the servers, each scenario, the table."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.rows = rows_template(cfg.leads)
        self.procs = Processes()
        self.load = LoadSampler()
        self.notes: list[str] = []
        self.run_db = f"{cfg.db}_run"
        self.tag = format(int(time.time()), "x")
        self.started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        self.machine: dict = {}
        self.period: tuple[datetime.date, datetime.date] | None = None
        self.page_urls: list[tuple[str, str, str]] = []  # (row, user, url) of the page rows
        cfg.work.mkdir(parents=True, exist_ok=True)

    # -- plumbing --

    def url(self, db: str) -> str:
        return f"{self.cfg.server}/{db}"

    def sql(self, db: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(db), autocommit=True)

    def env(self, db: str) -> dict:
        """The tree's settings for the bench: nothing else from the caller's environment."""
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "TERM")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        tree_key = hashlib.sha1(str(self.cfg.tree).encode()).hexdigest()[:8]  # its static files
        env.update(
            DATABASE_URL=self.url(db),
            SECRET_KEY="bench",
            DJANGO_SETTINGS_MODULE="leadflow.settings.base",
            PYTHONPATH=str(self.cfg.tree),
            CELERY_BROKER_URL=self.cfg.redis_url,
            CELERY_QUEUE="leadflow_bench",
            LEADFLOW_VAR_DIR=str(self.cfg.work / "var"),
            STATIC_ROOT=str(self.cfg.work.parent / f"static-{tree_key}"),
            ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
            # The scenarios measure the server, not its throttles.
            API_RATE_PER_TOKEN="10000000/min",
            API_RATE_PER_USER="10000000/min",
            LOG_LEVEL="WARNING",
        )
        return env

    def manage(self, db: str, *args: str, measured: bool = False) -> dict:
        cmd = [sys.executable, "manage.py", *args]
        log = self.cfg.work / f"manage-{args[0]}.log"
        if measured:
            return self.procs.measured(cmd, env=self.env(db), cwd=self.cfg.tree, log=log)
        started = time.perf_counter()
        with log.open("ab") as out:
            subprocess.run(
                cmd, env=self.env(db), cwd=self.cfg.tree, stdout=out, stderr=out, check=True
            )
        return {"seconds": time.perf_counter() - started}

    def driver(self, db: str, command: str, **options) -> dict:
        out = self.cfg.work / f"driver-{command}.json"
        cmd = [sys.executable, str(BENCH / "driver.py"), command, "--out", str(out)]
        for name, value in options.items():
            cmd += [f"--{name}", str(value)]
        log = self.cfg.work / f"driver-{command}.log"
        with log.open("ab") as err:
            result = subprocess.run(
                cmd, env=self.env(db), cwd=self.cfg.tree, stdout=err, stderr=err, check=False
            )
        if result.returncode:
            tail = log.read_text(errors="replace").strip().splitlines()[-1:]
            raise RuntimeError(f"driver {command} failed: {' '.join(tail)} (log: {log})")
        return json.loads(out.read_text())

    @contextlib.contextmanager
    def phase(self, *keys: str):
        """Time a scenario for the load average; a failure marks its rows instead of stopping."""
        started = time.monotonic()
        print(f"== {', '.join(keys)}", flush=True)
        try:
            yield
        except Exception as exc:  # a broken scenario is reported, and the others still run
            for key in keys:
                self.rows[key].failure = f"{type(exc).__name__}: {exc}"
            self.notes.append(f"{', '.join(keys)}: {type(exc).__name__}: {exc}")
            print(f"   failed: {exc}", flush=True)
        finally:
            load = self.load.between(started, time.monotonic())
            for key in keys:
                self.rows[key].load = load

    def wanted(self, scenario: str) -> bool:
        return scenario in self.cfg.only

    def repeat(self, fn: Callable[[], float], budget: float | None = None) -> list[float]:
        """`fn()` (returning its own measured seconds) up to `runs` times within the budget."""
        times: list[float] = []
        while len(times) < self.cfg.runs and (
            not times or sum(times) < (budget or self.cfg.budget)
        ):
            times.append(fn())
        return times

    def redis_flush(self) -> None:
        redis.Redis.from_url(self.cfg.redis_url).flushdb()

    # -- the databases --

    def template_ready(self) -> dict | None:
        """The bench database's bench_meta, if it holds a complete seed of `leads` leads."""
        with self.sql() as conn:
            if not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [self.cfg.db]
            ).fetchone():
                return None
        with self.sql(self.cfg.db) as conn:
            if not conn.execute("SELECT to_regclass('bench_meta')").fetchone()[0]:
                return None
            meta = dict(conn.execute("SELECT key, value FROM bench_meta").fetchall())
            count = conn.execute("SELECT count(*) FROM funnel_lead").fetchone()[0]
        if meta.get("prepared") and count == self.cfg.leads:
            return meta
        return None

    def create_db(self, name: str, template: str | None = None) -> float:
        started = time.perf_counter()
        with self.sql() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if template:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
            else:
                conn.execute(f'CREATE DATABASE "{name}"')
        return time.perf_counter() - started

    def drop_db(self, name: str) -> None:
        with self.sql() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def seed(self, db: str) -> dict:
        """Create, migrate and seed `db`: the seed is scenario 8."""
        self.create_db(db)
        self.manage(db, "migrate", "-v0")
        usage: dict = {}
        with self.phase("seed_time", "seed_rss"):
            print(f"   seed_demo --leads {self.cfg.leads:,} into {db}", flush=True)
            usage = self.manage(
                db,
                "seed_demo",
                "--leads",
                str(self.cfg.leads),
                "--weeks",
                str(WEEKS),
                "--seed",
                str(SEED),
                measured=True,
            )
            self.rows["seed_time"].value, self.rows["seed_time"].runs = usage["seconds"], 1
            self.rows["seed_rss"].value, self.rows["seed_rss"].runs = usage["max_rss_kb"] * 1024, 1
            self.notes.append(
                f"seed_demo into {db}: CPU of the Python process {usage['cpu']:.0f} s "
                "(its PostgreSQL backend not counted)"
            )
        return usage

    def ensure_template(self) -> dict:
        meta = self.template_ready()
        if meta:
            print(f"== bench database {self.cfg.db}: {self.cfg.leads:,} leads, reused", flush=True)
            if self.cfg.seed_run and self.wanted("seed"):
                scratch = f"{self.cfg.db}_seed"
                try:
                    self.seed(scratch)
                finally:
                    self.drop_db(scratch)
            return meta
        print(f"== bench database {self.cfg.db}: seeding {self.cfg.leads:,} leads", flush=True)
        usage = self.seed(self.cfg.db)
        if self.rows["seed_time"].failure:
            raise RuntimeError(f"seeding failed: {self.rows['seed_time'].failure}")
        offers = min(PENDING_OFFERS, self.cfg.leads // 25)
        print(f"   pending offers for the accept scenarios ({offers:,})", flush=True)
        started = time.perf_counter()
        prepared = self.driver(self.cfg.db, "prepare", offers=offers)
        self.redis_flush()  # what preparing queued (routing, emails) is not the bench's work
        meta = {
            "leads": self.cfg.leads,
            "seeded_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "seed_seconds": usage["seconds"],
            "seed_max_rss_kb": usage["max_rss_kb"],
            "tree": str(self.cfg.tree),
            "commit": git(self.cfg.tree, "rev-parse", "--short", "HEAD"),
            "prepared": prepared,
            "prepare_seconds": time.perf_counter() - started,
        }
        with self.sql(self.cfg.db) as conn:
            conn.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value jsonb)")
            for key, value in meta.items():
                conn.execute(
                    "INSERT INTO bench_meta VALUES (%s, %s)", [key, psycopg.types.json.Jsonb(value)]
                )
            conn.execute("VACUUM ANALYZE")
        return meta

    # -- servers --

    def web_kind(self) -> str:
        """The measured tree's gunicorn workers: its gunicorn.conf.py's, or gunicorn's default."""
        conf = self.cfg.tree / "gunicorn.conf.py"
        return "gthread (gunicorn.conf.py)" if conf.exists() else "sync"

    def start_web(self, workers: int, port: int) -> subprocess.Popen:
        cmd = [str(BIN / "gunicorn"), "leadflow.wsgi", "--bind", f"127.0.0.1:{port}"]
        # A long timeout: a slow bulk request is measured, not killed at gunicorn's 30 s.
        cmd += ["--workers", str(workers), "--timeout", "900", "--graceful-timeout", "5"]
        # Each request's time inside the worker (not waiting for one): method path status µs.
        cmd += ["--access-logfile", str(self.access_log(port))]
        cmd += ["--access-logformat", "%(m)s %(U)s %(s)s %(D)s"]
        log = self.cfg.work / f"gunicorn-{port}.log"
        proc = self.procs.start(cmd, env=self.env(self.run_db), cwd=self.cfg.tree, log=log)
        http = Http(port, timeout=5)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited {proc.returncode}; see {log}")
            if http.request("GET", "/accounts/login/").status == 200 and (
                len(children(proc.pid)) >= workers
            ):
                return proc
            time.sleep(0.5)
        raise RuntimeError(f"gunicorn did not answer within 90 s; see {log}")

    def access_log(self, port: int | None = None) -> Path:
        return self.cfg.work / f"gunicorn-access-{port or self.cfg.port}.log"

    def access_mark(self) -> int:
        log = self.access_log()
        return log.stat().st_size if log.exists() else 0

    def server_times(self, since: int) -> str:
        """p50/p95 of the time in the worker per kind of request, from the access log since
        `since`: what the client saw, less the wait for a free worker."""
        times: dict[str, list[float]] = {}
        with self.access_log().open("rb") as log:
            log.seek(since)
            for line in log.read().decode(errors="replace").splitlines():
                method, path, _, micros = line.split()
                kind = path if path in ("/queue/", "/api/v1/leads/", "/api/v1/leads/bulk/") else ""
                kind = "accept" if path.endswith("/accept/") else kind
                if kind:
                    times.setdefault(f"{method} {kind}", []).append(int(micros) / 1e6)
        return "; ".join(
            f"{kind} p50 {fmt(percentile(t, 50), 's')}, p95 {fmt(percentile(t, 95), 's')}"
            for kind, t in sorted(times.items())
        )

    def start_worker(self) -> subprocess.Popen:
        cmd = [str(BIN / "celery"), "-A", "leadflow", "worker", "-l", "warning"]
        cmd += ["--concurrency", "2", "--without-gossip", "--without-mingle", "-n", "bench@%h"]
        log = self.cfg.work / "celery.log"
        proc = self.procs.start(cmd, env=self.env(self.run_db), cwd=self.cfg.tree, log=log)
        time.sleep(3)
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited {proc.returncode}; see {log}")
        return proc

    def celery_backlog(self) -> int:
        r = redis.Redis.from_url(self.cfg.redis_url)
        queued = sum(
            r.llen(key) for key in r.scan_iter("leadflow_bench*") if r.type(key) == b"list"
        )
        return queued + r.hlen("unacked")

    def celery_drain(self, when: str, limit: float = 300) -> str:
        """Let the worker finish what is queued (at most `limit` s, then purge the rest)."""
        backlog = self.celery_backlog()
        started = time.monotonic()
        while self.celery_backlog() and time.monotonic() - started < limit:
            time.sleep(1)
        waited = time.monotonic() - started
        left = self.celery_backlog()
        if left:
            self.redis_flush()
            outcome = f"{left:,} purged after {waited:.0f} s"
        else:
            outcome = f"drained in {waited:.0f} s"
        return f"Celery backlog {when}: {backlog:,} messages, {outcome}"

    # -- the scenarios --

    def run(self) -> None:
        cfg = self.cfg
        self.load.start()
        self.machine = self.machine_info()
        meta = self.ensure_template()
        seeded_on = datetime.datetime.fromisoformat(meta["seeded_at"]).date()
        end = seeded_on + datetime.timedelta(days=1)  # the seed's history ends on its day
        self.period = (end - datetime.timedelta(weeks=WEEKS), end)
        if self.rows["seed_time"].value is None:
            self.notes.append(
                f"seed_demo not run this time: the bench database was seeded on "
                f"{meta['seeded_at'][:16]} by {meta['tree']} @ {meta['commit']} in "
                f"{meta['seed_seconds']:.0f} s, peak RSS {meta['seed_max_rss_kb'] / 1024:.0f} MiB"
            )
        copy_seconds = self.create_db(self.run_db, template=cfg.db)
        self.notes.append(
            f"run database {self.run_db}: copied from {cfg.db} in {copy_seconds:.0f} s"
        )
        self.manage(self.run_db, "migrate", "-v0")
        self.manage(self.run_db, "collectstatic", "--noinput", "-v0")
        self.setup = self.driver(self.run_db, "setup")
        self.redis_flush()
        pool = self.setup["update_pool"]
        self.slices = pool_slices(pool, ["S", "R"], size=500)
        rest = pool[1000:]
        self.slices.update(pool_slices(rest, ["c1", "c2", "c3", "c4"]))
        self.batches = Batches(self.tag, self.slices)
        # What only reads, or leaves the data as it was, first: the reports see the seed alone.
        if self.wanted("sweep"):
            self.scenario_sweep()
        if self.wanted("weekly"):
            self.scenario_weekly(seeded_on)
        http = Http(cfg.port)
        if any(self.wanted(s) for s in WEB):
            self.start_web(cfg.web_workers, cfg.port)
            self.start_worker()
            self.warm_up(http)
        if self.wanted("reports"):
            self.scenario_reports(http)
        if self.wanted("dashboard"):
            self.scenario_dashboard(http)
        if self.wanted("leads"):
            self.scenario_leads(http)
        if self.page_urls:
            self.page_references()
        # Then what writes: one bulk request each (500 new leads), then the load.
        if self.wanted("statements"):
            self.scenario_statements()
        if self.wanted("rss"):
            self.scenario_rss()
        if self.wanted("ingest"):
            self.scenario_ingest(http)
        if self.wanted("clients"):
            self.scenario_clients()
        self.procs.stop_all()

    def machine_info(self) -> dict:
        with self.sql() as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
            settings = {
                name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in ("shared_buffers", "work_mem", "jit", "max_connections")
            }
        dirty = git(self.cfg.tree, "status", "--porcelain", "--untracked-files=no")
        return {
            "cores": os.cpu_count(),
            "cpu": cpu_model(),
            "memory": meminfo(),
            "postgres": f"{pg} ({', '.join(f'{k} {v}' for k, v in settings.items())})",
            "python": platform.python_version(),
            "tree": f"{self.cfg.tree} @ {git(self.cfg.tree, 'rev-parse', '--short', 'HEAD')}"
            + (f" with uncommitted changes to {len(dirty.splitlines())} files" if dirty else ""),
        }

    def scenario_sweep(self) -> None:
        with self.phase("sweep_due", "sweep_idle"):
            result = self.driver(
                self.run_db, "sweep", due=10_000, open=100_000, runs=self.cfg.runs, budget=120
            )
            runs = result["runs"]
            due, idle = self.rows["sweep_due"], self.rows["sweep_idle"]
            due.value = statistics.median(r["seconds"] for r in runs)
            idle.value = statistics.median(r["idle_seconds"] for r in runs)
            due.runs = idle.runs = len(runs)
            first = runs[0]
            self.notes.append(
                f"SLA sweep: {first['handled']:,} of the 10,000 due timers taken by the sweep (the "
                f"rest cancelled by an earlier action on their offer), of "
                f"{first['planted'] + first['existing_waiting']:,} waiting on "
                f"{first['open_offers']:,} open offers; outcomes: "
                + ", ".join(f"{o or '(none)'} {n:,}" for o, n in first["top_outcomes"])
                + "; rolled back after each run"
            )

    def scenario_weekly(self, seeded_on: datetime.date) -> None:
        monday = seeded_on - datetime.timedelta(days=seeded_on.weekday() + 7)
        year, week, _ = monday.isocalendar()
        label = f"{year}-W{week:02d}"
        with self.phase("weekly"):
            result = self.driver(self.run_db, "weekly", week=label, runs=self.cfg.runs, budget=60)
            row = self.rows["weekly"]
            row.value, row.runs = statistics.median(result["seconds"]), len(result["seconds"])
            self.notes.append(f"weekly report: week {label}")

    def scenario_statements(self) -> None:
        rows_file = self.cfg.work / "statements-batch.json"
        rows_file.write_text(json.dumps(self.batches.rows("S", 0)))
        with self.phase("statements"):
            result = self.driver(self.run_db, "statements", rows=rows_file)
            if result["http_status"] != 200:
                raise RuntimeError(f"bulk request answered {result['http_status']}")
            row = self.rows["statements"]
            row.value, row.runs = result["statements"], 1
            kinds = ", ".join(f"{k} {n:,}" for k, n in result["by_kind"].items())
            self.notes.append(
                f"one bulk request (APIClient, {result['seconds']:.1f} s): "
                f"{result['statements']:,} statements ({kinds}; COPY {result['copy']}, "
                f"outside Django {result['outside_django']}); rows {result['row_statuses']}"
            )

    def scenario_rss(self) -> None:
        port = self.cfg.port + 1
        with self.phase("rss"):
            proc = self.start_web(1, port)
            try:
                [worker] = children(proc.pid)
                ready = vm_kb(worker, "VmRSS")
                body = json.dumps({"leads": self.batches.rows("R", 0)}).encode()
                answer = Http(port).request(
                    "POST",
                    "/api/v1/leads/bulk/",
                    body=body,
                    token=self.setup["tokens"]["integration"],
                )
                peak = vm_kb(worker, "VmHWM")
            finally:
                self.procs.stop(proc)
            if not answer.ok:
                raise RuntimeError(f"bulk request answered {answer.status} {answer.body[:200]!r}")
            row = self.rows["rss"]
            row.value, row.runs = peak * 1024, 1
            self.notes.append(
                f"web worker RSS: {ready / 1024:.0f} MiB when ready, peak {peak / 1024:.0f} MiB "
                f"after one bulk request ({answer.seconds:.1f} s over HTTP to a fresh gunicorn "
                "with one worker)"
            )
        self.redis_flush()

    def warm_up(self, http: Http) -> None:
        tokens, setup = self.setup["tokens"], self.setup
        rep = setup["busiest_reps"][0][0]
        run_threads(
            [
                lambda: http.request("GET", "/api/v1/leads/?page_size=1", token=tokens["marketer"])
                for _ in range(4)
            ]
            + [lambda: http.request("GET", "/queue/", session=setup["sessions"][rep])] * 2
        )

    def report_get(self, http: Http, path: str, params: dict) -> tuple[float, dict]:
        start, end = self.period
        query = "&".join(f"{k}={v}" for k, v in {"start": start, "end": end, **params}.items())
        answer = http.request("GET", f"{path}?{query}", token=self.setup["tokens"]["marketer"])
        if not answer.ok:
            raise RuntimeError(f"{path} answered {answer.status}: {answer.body[:200]!r}")
        return answer.seconds, json.loads(answer.body)

    def scenario_reports(self, http: Http) -> None:
        reports = {
            "handoffs": ("/api/v1/reports/handoffs/", {}),
            "cohort": ("/api/v1/reports/funnel/", {"mode": "cohort", "group_by": "campaign"}),
            "velocity": ("/api/v1/reports/velocity/", {}),
            "qualifiers": ("/api/v1/reports/qualifiers/", {}),
            "reasons": ("/api/v1/reports/reasons/", {}),
        }
        for key, (path, params) in reports.items():
            with self.phase(key):
                answers = []

                def once(path=path, params=params, answers=answers):
                    seconds, body = self.report_get(http, path, params)
                    answers.append(body)
                    return seconds

                times = self.repeat(once)
                row = self.rows[key]
                row.value, row.runs = statistics.median(times), len(times)
                if key == "handoffs":
                    self.handoffs_reference(row, answers[-1])

    def handoffs_reference(self, row: Row, body: dict) -> None:
        with self.sql(self.run_db) as conn:
            figures = {}

            def once():
                started = time.perf_counter()
                figures.update(reference.handoffs(conn, *self.period))
                return time.perf_counter() - started

            times = self.repeat(once)
        row.ref, row.ref_title = statistics.median(times), "SQL"
        row.ratio = row.value / row.ref
        differences = reference.handoffs_differences(body["results"], figures)
        if differences:
            row.failure = "the SQL reference disagrees with the report: " + "; ".join(
                differences[:4]
            )
            self.notes.append(f"handoffs: {row.failure}")
        else:
            self.notes.append(
                f"handoffs: the hand-written SQL gives the report's figures "
                f"({self.period[0]} to {self.period[1]}, {len(figures)} handoffs)"
            )

    # -- the pages (issue 12): the dashboard and the leads list, in the browser's session --

    def worker_times(self, since: int, path: str, n: int) -> list[float] | None:
        """The time in the worker of the last `n` `GET path` requests logged since `since`
        (gunicorn writes the line just after the answer, so wait a moment for the last one);
        None if the log does not hold them all."""
        deadline = time.monotonic() + 3
        while True:
            with self.access_log().open("rb") as log:
                log.seek(since)
                lines = log.read().decode(errors="replace").splitlines()
            times = [
                int(micros) / 1e6
                for method, logged, _, micros in (line.split() for line in lines)
                if method == "GET" and logged == path
            ]
            if len(times) >= n or time.monotonic() > deadline:
                return times[-n:] if len(times) >= n else None
            time.sleep(0.1)

    def page_get(self, http: Http, url: str, user: str):
        answer = http.request("GET", url, session=self.setup["sessions"][user])
        if not answer.ok:
            raise RuntimeError(
                f"GET {url} as {user} answered {answer.status}: {answer.body[:200]!r}"
            )
        return answer

    def page_scenario(self, http: Http, key: str, url, user: str, what: str) -> list:
        """`GET url` as `user` (a signed-in session), after PAGE_WARM_UP unmeasured requests, up
        to --page-runs times within --page-budget s. The row's figure is server time: the
        dashboard's own Server-Timing (`page`, the whole view) where the page sends one, else
        the request's time in the gunicorn worker (from its access log), else as the client
        saw it. `url` may be a function of the request's number: each request a new question."""
        fresh = callable(url)  # a new question each request
        asked = url if fresh else (lambda _n: url)
        url = asked(0)
        path = url.split("?", 1)[0]
        # A row asking a new question each time is referenced with its figures computed too.
        self.page_urls.append((key, user, url, fresh))
        with self.phase(key):
            warm = self.access_mark()
            for n in range(PAGE_WARM_UP):
                self.page_get(http, asked(n), user)
            self.worker_times(warm, path, PAGE_WARM_UP)  # their lines are in the log: not counted
            since = self.access_mark()
            answers = []
            while len(answers) < self.cfg.page_runs and (
                not answers or sum(a.seconds for a in answers) < self.cfg.page_budget
            ):
                answers.append(
                    http.request(
                        "GET",
                        asked(PAGE_WARM_UP + len(answers)),
                        session=self.setup["sessions"][user],
                    )
                )
            failed = [a for a in answers if not a.ok]
            answers = [a for a in answers if a.ok]
            worker = self.worker_times(since, path, len(answers) + len(failed))
            timings = [server_timing(a) for a in answers]
            if answers and all(t.get("page") is not None for t in timings):
                server, source = [t["page"] for t in timings], "Server-Timing page"
            elif worker and not failed:
                server, source = worker, "time in the worker"
            else:
                server, source = [a.seconds for a in answers], "client wall time"
            row = self.rows[key]
            row.runs, row.errors = len(answers) + len(failed), len(failed)
            if not answers:
                raise RuntimeError(
                    f"GET {url} as {user}: every answer failed ({failed[0].status}, "
                    f"{failed[0].body[:120]!r})"
                )
            row.value, row.p95 = percentile(server, 50), percentile(server, 95)
            extra = [f"client p50 {fmt(percentile([a.seconds for a in answers], 50), 's')}"]
            if worker and source != "time in the worker":
                extra.append(f"time in the worker p50 {fmt(percentile(worker, 50), 's')}")
            if timings and all(t.get("figures") is not None for t in timings):
                figures = [t["figures"] for t in timings]
                extra.append(f"figures (Server-Timing) p50 {fmt(percentile(figures, 50), 's')}")
            shown = lead_count_shown(answers[-1].body) if path == "/leads/" else ""
            self.notes.append(
                f"{row.title}: GET {url} as {user} ({what}{'; ' + shown if shown else ''}); "
                f"figure = {source}; "
                + ", ".join(extra)
                + (f"; failed answers {sorted({a.status for a in failed})}" if failed else "")
            )
            return answers

    def page_references(self) -> None:
        """Each page row's reference: the SQL the page sends, timed statement by statement in
        the tree's Django (driver.py page_sql, the test Client in-process, no gunicorn); the ratio
        says how much of the server time is the database's."""
        rows_file = self.cfg.work / "page-urls.json"
        rows_file.write_text(json.dumps(self.page_urls))
        runs = max(1, min(5, self.cfg.page_runs))
        started = time.monotonic()
        try:
            result = self.driver(self.run_db, "page_sql", rows=rows_file, runs=runs)
        except RuntimeError as exc:
            self.notes.append(f"pages: no SQL reference ({exc})")
            return
        for key, ref in result.items():
            row = self.rows[key]
            if row.value is None or not ref["sql"]:
                continue
            row.ref, row.ref_title = ref["sql"], "its SQL"
            row.ratio = row.value / ref["sql"]
        self.notes.append(
            f"pages, reference: the page's own SQL, every statement timed at Django's execute "
            f"wrapper, the page got in-process through the test Client {runs} times after one "
            f"unmeasured (median; {time.monotonic() - started:.0f} s): "
            + "; ".join(
                f"{key} {r['statements']:.0f} statements, SQL {fmt(r['sql'], 's')} of "
                f"{fmt(r['in_process'], 's')} in-process"
                for key, r in result.items()
            )
        )

    def scenario_dashboard(self, http: Http) -> None:
        pages = self.setup["pages"]
        self.page_scenario(http, "dash_default", "/dashboard/", "marketer", "no parameters")
        self.page_scenario(
            http,
            "dash_campaign",
            f"/dashboard/?campaign={pages['campaign']}",
            "marketer",
            f"campaign {pages['campaign_name']!r}, the one with the most leads "
            f"({pages['campaign_leads']:,})",
        )
        # The rows above ask one question again and again, as a marketer reloading does: after
        # the first answer its figures come from the cache (DASHBOARD_CACHE_SECONDS). This one
        # asks a new question each time (a 4-week custom period ending a day earlier), so every
        # answer computes its figures: the first visit's cost.
        today = datetime.date.today()

        def new_question(n: int) -> str:
            end = today - datetime.timedelta(days=n + 1)
            start = end - datetime.timedelta(days=27)
            return f"/dashboard/?period=custom&date_from={start}&date_to={end}"

        self.page_scenario(
            http, "dash_computed", new_question, "marketer", "a new 4-week custom period each time"
        )

    def scenario_leads(self, http: Http) -> None:
        pages = self.setup["pages"]
        self.page_scenario(http, "leads_first", "/leads/", "marketer", "sort -updated")
        with self.phase("leads_deep"):
            url, hops = "/leads/", []
            for _ in range(DEEP_HOPS):
                answer = self.page_get(http, url, "marketer")
                hops.append(answer.seconds)
                found = re.search(rb'href="([^"]*)" rel="next"', answer.body)
                if not found:
                    raise RuntimeError(f"no next link after {len(hops)} pages")
                url = "/leads/" + html.unescape(found.group(1).decode())
        if not self.rows["leads_deep"].failure:
            self.page_scenario(
                http,
                "leads_deep",
                url,
                "marketer",
                f"the cursor reached by following {DEEP_HOPS} next links, client p50 "
                f"{fmt(percentile(hops, 50), 's')} each",
            )
        query = (
            f"stage={pages['stage']}&campaign={pages['campaign']}"
            f"&score_min={pages['score_min']}&score_max={pages['score_max']}"
        )
        self.page_scenario(
            http,
            "leads_filtered",
            f"/leads/?{query}",
            "marketer",
            f"the most common stage of campaign {pages['campaign_name']!r}, the middle half of "
            "its scores",
        )
        self.page_scenario(
            http,
            "leads_search",
            f"/leads/?q={pages['email_fragment']}",
            "marketer",
            "the local part of the email of the lead in the middle by id",
        )
        self.page_scenario(http, "leads_count", "/leads/?count=all", "marketer", "exact count")
        self.page_scenario(
            http,
            "leads_manager",
            "/leads/",
            "manager",
            f"the {pages['manager_team']} team's manager; lead_visible's union of team, owners' "
            "team, queue and assignees' team",
        )
        target, _ = page_target(self.cfg.leads)
        if target > PAGE_DEMO:
            keys = [k for k in self.rows if k.startswith(("dash_", "leads_"))]
            under = [
                k for k in keys if self.rows[k].p95 is not None and self.rows[k].p95 <= PAGE_DEMO
            ]
            self.notes.append(
                f"pages at {self.cfg.leads:,} leads, held to the 1M target (1 s); p95 under the "
                f"demo data's 200 ms already: {len(under)} of {len(keys)}"
                + (f" ({', '.join(under)})" if under else "")
            )

    def scenario_ingest(self, http: Http) -> None:
        setup = self.setup
        pending = [tuple(p) for p in setup["pending"][: len(setup["pending"]) // 5]]
        acceptor = Acceptor(http, pending, setup["tokens"])
        stop = threading.Event()
        accepting = threading.Thread(target=acceptor.run, args=(stop, 0.25), daemon=True)
        rounds: list[dict] = []
        with self.phase("ingest", "accept_ingest"):
            self.celery_drain("before ingest")
            since = self.access_mark()
            with self.sql(self.run_db) as conn:
                reference.upsert_prepare(conn)  # the leads as they are before the ingest
            accepting.start()
            seq = 0
            try:
                while len(rounds) < self.cfg.runs and (
                    not rounds or sum(r["seconds"] for r in rounds) < 150
                ):
                    rounds.append(
                        ingest_round(
                            http,
                            self.batches,
                            clients=["c1", "c2", "c3", "c4"],
                            token=setup["tokens"]["integration"],
                            seconds=self.cfg.ingest_seconds,
                            first_seq=seq,
                        )
                    )
                    seq = max(s for _, s in rounds[-1]["batches"]) + 1
                    print(f"   round {len(rounds)}: {rounds[-1]['leads_per_s']:,.0f} leads/s")
            finally:
                stop.set()
                accepting.join()
            row = self.rows["ingest"]
            row.value, row.runs = statistics.median(r["leads_per_s"] for r in rounds), len(rounds)
            requests = [r["requests"] for r in rounds]
            row.errors = sum(r["errors"] for r in requests)
            statuses: dict[str, int] = {}
            for r in rounds:
                for status, n in r["row_statuses"].items():
                    statuses[status] = statuses.get(status, 0) + n
            self.notes.append(
                f"ingest: {sum(r['requests'] for r in requests):,} requests in "
                f"{len(rounds)} rounds of {self.cfg.ingest_seconds:.0f} s or more; "
                f"request p50 {fmt(statistics.median(r['p50'] for r in requests), 's')}; "
                f"rows {statuses}"
                + (
                    f"; failed requests {[r['error_kinds'] for r in requests]}"
                    if row.errors
                    else ""
                )
            )
            accept = acceptor.latencies.summary()
            arow = self.rows["accept_ingest"]
            arow.value, arow.p95, arow.errors = accept["p50"], accept["p95"], accept["errors"]
            arow.runs = accept["requests"]
            if accept["errors"]:
                self.notes.append(f"accept during ingest: errors {accept['error_kinds']}")
            self.notes.append(f"ingest, time in the worker: {self.server_times(since)}")
            self.notes.append(self.celery_drain("after ingest"))
            # The database's own floor: the same rows, COPY + INSERT … ON CONFLICT.
            stage = setup["inquiry_stage"]
            with self.sql(self.run_db) as conn:
                refs = [
                    reference.upsert(
                        conn, [self.batches.rows(c, s) for c, s in r["batches"]], stage
                    )
                    for r in rounds
                ]
            row.ref = statistics.median(r["rows_per_s"] for r in refs)
            row.ref_title = "upsert"
            row.ratio = row.value / row.ref

    def scenario_clients(self) -> None:
        setup, seconds = self.setup, self.cfg.clients_seconds
        http = Http(self.cfg.port, timeout=10)  # no answer in 10 s counts as an error
        reps = [name for name, _ in setup["busiest_reps"]]
        offers = [tuple(p) for p in setup["pending"][len(setup["pending"]) // 5 :]]
        kinds = {"c32_queue": Latencies(), "c32_list": Latencies()}
        acceptors = [Acceptor(http, offers[k::10], setup["tokens"]) for k in range(10)]
        stop = threading.Event()

        def loop(kind: str, rep: str):
            while not stop.is_set():
                if kind == "c32_queue":
                    answer = http.request("GET", "/queue/", session=setup["sessions"][rep])
                else:
                    answer = http.request("GET", "/api/v1/leads/", token=setup["tokens"][rep])
                kinds[kind].add(answer)

        chosen = [reps[k % len(reps)] for k in range(11)]
        clients = [lambda rep=rep: loop("c32_queue", rep) for rep in chosen]
        clients += [lambda rep=rep: loop("c32_list", rep) for rep in chosen]
        clients += [lambda a=a: a.run(stop) for a in acceptors]
        timer = threading.Timer(seconds, stop.set)
        with self.phase("c32_queue", "c32_list", "c32_accept"):
            since = self.access_mark()
            timer.start()
            run_threads(clients)
            self.notes.append(f"32 clients, time in the worker: {self.server_times(since)}")
            accept = Latencies()
            for a in acceptors:
                accept.seconds += a.latencies.seconds
                accept.errors += a.latencies.errors
            for key, latencies in [*kinds.items(), ("c32_accept", accept)]:
                s = latencies.summary()
                row = self.rows[key]
                row.value, row.p95, row.p99 = s["p50"], s["p95"], s["p99"]
                row.errors, row.runs = s["errors"], s["requests"]
                if s["errors"]:
                    self.notes.append(f"{row.title}: errors {s['error_kinds']}")
            if any(a.ran_out for a in acceptors):
                self.notes.append("32 clients: some accept clients ran out of pending offers")
        self.notes.append(
            f"32 clients: 11 on /queue/, 11 on GET /api/v1/leads/ (as the {len(reps)} reps "
            f"holding most leads), 10 accepting; {seconds:.0f} s; no answer in 10 s is an error"
        )

    # -- the report --

    def growth(self, history: Path) -> None:
        """At 1M, the reports' growth from the last 100k run with the same label (history)."""
        if self.cfg.leads < 1_000_000:
            return
        earlier = None
        if history.exists():
            for line in history.read_text().splitlines():
                entry = json.loads(line)
                if entry["label"] == self.cfg.label and entry["leads"] == 100_000:
                    earlier = entry
        if earlier is None:
            self.notes.append(f"growth from 100k: no 100k run labelled {self.cfg.label} yet")
            return
        for key in GROWTH:
            then, now = earlier["rows"].get(key, {}).get("value"), self.rows[key].value
            row = Row(f"growth 100k to 1M: {self.rows[key].title[3:]}", "x", "≤ 10x")
            row.check, row.ref, row.ref_title = at_most(10.0), then, "at 100k"
            if then and now:
                row.value = now / then
            self.rows[f"growth_{key}"] = row
        self.notes.append(f"growth: the 100k figures are those of the run of {earlier['at']}")

    def history_entry(self) -> str:
        rows = {
            key: {name: getattr(row, name) for name in ("value", "p95", "p99", "errors", "ref")}
            for key, row in self.rows.items()
            if row.value is not None and not row.failure
        }
        entry = {"at": self.started, "label": self.cfg.label, "leads": self.cfg.leads}
        return json.dumps({**entry, "tree": self.machine.get("tree"), "rows": rows})

    def report(self) -> str:
        cfg = self.cfg
        m = self.machine
        lines = [
            f"## {self.started} · {cfg.label} · {cfg.leads:,} leads",
            "",
            f"- tree: {m['tree']}",
            f"- machine: {m['cores']} cores ({m['cpu']}), {m['memory']} memory; "
            f"PostgreSQL {m['postgres']}; Python {m['python']}",
            f"- web: gunicorn {cfg.web_workers} {self.web_kind()} workers; Celery worker, "
            "concurrency 2, "
            f"broker {cfg.redis_url}; runs per scenario up to {cfg.runs}",
            f"- databases: {cfg.db} (seed {SEED}, {WEEKS} weeks), run copy {self.run_db}"
            + (
                f"; reports over {self.period[0]} to {self.period[1]} (end exclusive)"
                if self.period
                else ""
            ),
            "",
            table(self.rows),
            "",
            "median: of the runs (n), or of the requests (n) for latencies; load avg: the 1-minute "
            "load average during the scenario (lowest to highest).",
            "",
            *[f"- {note}" for note in self.notes],
        ]
        return "\n".join(lines) + "\n"


def server_timing(answer) -> dict[str, float]:
    """`Server-Timing: figures;dur=12, page;dur=40` as {"figures": 0.012, "page": 0.040}."""
    timings = {}
    for part in answer.headers.get("server-timing", "").split(","):
        name, _, params = part.strip().partition(";")
        found = re.search(r"dur=([0-9.]+)", params)
        if name and found:
            timings[name] = float(found.group(1)) / 1000
    return timings


def lead_count_shown(body: bytes) -> str:
    """What the leads page says it holds: the exact count, or more than the cap."""
    exact = re.search(rb'data-count="(\d+)"', body)
    if exact:
        return f"{int(exact.group(1)):,} leads"
    return "more than the 10,000 counted" if b"count=all" in body else ""


def parse() -> Config:
    parser = argparse.ArgumentParser(description="Leadflow benchmarks (bench/README.md).")
    env = os.environ.get
    parser.add_argument("--leads", type=int, default=int(env("BENCH_LEADS", "100000")))
    parser.add_argument("--label", default=env("BENCH_LABEL") or "unlabelled")
    parser.add_argument("--tree", type=Path, default=Path(env("BENCH_TREE") or ROOT))
    parser.add_argument("--db", default=env("BENCH_DB"), help="default leadflow_bench_<size>")
    parser.add_argument(
        "--server",
        default=env("BENCH_SERVER_URL", "postgres://postgres:postgres@127.0.0.1:5432"),
    )
    parser.add_argument("--redis", default=env("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"))
    parser.add_argument("--runs", type=int, default=int(env("BENCH_RUNS", "3")))
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per scenario")
    parser.add_argument("--port", type=int, default=int(env("BENCH_PORT", "8765")))
    parser.add_argument("--web-workers", type=int, default=int(env("BENCH_WEB_WORKERS", "2")))
    parser.add_argument("--ingest-seconds", type=float, default=15.0)
    parser.add_argument("--clients-seconds", type=float, default=30.0)
    parser.add_argument(
        "--page-runs", type=int, default=int(env("BENCH_PAGE_RUNS", "20")),
        help="requests per page scenario (dashboard, leads)",
    )  # fmt: skip
    parser.add_argument("--page-budget", type=float, default=60.0, help="seconds per page row")
    parser.add_argument(
        "--only", default=env("BENCH_ONLY", ",".join(SCENARIOS)), help=",".join(SCENARIOS)
    )
    parser.add_argument(
        "--seed-run",
        action=argparse.BooleanOptionalAction,
        default=env("BENCH_SEED_RUN", "1") == "1",
        help="time seed_demo into a scratch database when the bench database is reused",
    )
    parser.add_argument("--keep", action="store_true", default=env("BENCH_KEEP") == "1")
    parser.add_argument("--results", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args()
    size = f"{args.leads // 1000}k" if args.leads < 1_000_000 else f"{args.leads // 1_000_000}m"
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; choose from {SCENARIOS}")
    return Config(
        leads=args.leads,
        label=args.label,
        tree=args.tree.resolve(),
        db=args.db or f"leadflow_bench_{size}",
        server=args.server,
        redis_url=args.redis,
        runs=args.runs,
        budget=args.budget,
        port=args.port,
        web_workers=args.web_workers,
        ingest_seconds=args.ingest_seconds,
        clients_seconds=args.clients_seconds,
        page_runs=args.page_runs,
        page_budget=args.page_budget,
        only=only,
        seed_run=args.seed_run,
        keep=args.keep,
        results=args.results,
    )


def _interrupted(*_):
    raise KeyboardInterrupt


def main() -> int:
    cfg = parse()
    harness = Harness(cfg)
    signal.signal(signal.SIGTERM, _interrupted)
    print(f"logs and driver output: {cfg.work}", flush=True)
    try:
        harness.run()
    except KeyboardInterrupt:
        print("\ninterrupted: stopping what the harness started", flush=True)
        return 130
    except Exception as exc:  # the table still says what was measured before it
        harness.notes.append(f"the run stopped: {type(exc).__name__}: {exc}")
        print(f"the run stopped: {exc}", flush=True)
    finally:
        harness.procs.stop_all()
        harness.load.stopped.set()
        if not cfg.keep:
            with contextlib.suppress(psycopg.Error):
                harness.drop_db(harness.run_db)
    history = cfg.results.with_name("results.jsonl")
    harness.growth(history)
    text = harness.report()
    print("\n" + text)
    if not any(row.value is not None for row in harness.rows.values()):
        print("nothing was measured: bench/RESULTS.md is left as it was")
        return 1
    new = not cfg.results.exists()
    with cfg.results.open("a") as out:
        if new:
            out.write("# Benchmark results\n\nAppended by `make bench` / `make bench-quick` ")
            out.write("(bench/README.md). Each section is one run.\n\n")
        out.write(text + "\n")
    with history.open("a") as out:
        out.write(harness.history_entry() + "\n")
    print(f"appended to {cfg.results} and {history.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
