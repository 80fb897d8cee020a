"""Clients for the HTTP scenarios: the bulk batches they send, the requests, their timings.

Standard library only. Every request opens its own connection (gunicorn's sync workers close
each one), and its time runs from sending to the last byte of the answer.
"""

from __future__ import annotations

import http.client
import json
import math
import threading
import time
from dataclasses import dataclass, field

BATCH = 1000
COUNTRIES = ["US", "DE", "GB", "SE", "AU", "FR", "CA", "NL"]


@dataclass(frozen=True)
class Batches:
    """The rows of bulk batch `seq` of client `client`: half new leads (external ids no lead
    has), half updates of existing leads (a new phone and title), interleaved.

    Every row is a function of (tag, client, seq), so the database reference can send the
    very rows the clients sent. Each client updates only leads of its own slice of the pool, so
    concurrent batches never wait for each other's rows.
    """

    tag: str
    slices: dict[str, list[str]]

    def rows(self, client: str, seq: int) -> list[dict]:
        pool = self.slices[client]
        rows = []
        for i in range(BATCH // 2):
            ref = f"{self.tag}-{client}-{seq}-{i}"
            rows.append(
                {
                    "external_id": f"BENCH-{ref}",
                    "email": f"bench.{ref}@example.com".lower(),
                    "first_name": "Bench",
                    "last_name": f"Lead {i}",
                    "company": f"Bench Company {i % 97}",
                    "title": "Head of Operations",
                    "country": COUNTRIES[i % len(COUNTRIES)],
                    "source": "bench",
                }
            )
            rows.append(
                {
                    "external_id": pool[(seq * BATCH // 2 + i) % len(pool)],
                    "phone": f"+1 555 {ref}",
                    "title": f"Bench title {ref}",
                }
            )
        return rows


def pool_slices(pool: list[str], names: list[str], size: int | None = None) -> dict[str, list]:
    """Disjoint slices of `pool`, one per name: `size` each, or an equal share of it all."""
    size = size or len(pool) // len(names)
    if size < BATCH // 2:
        raise RuntimeError(f"only {len(pool)} leads with an external id to update")
    return {name: pool[k * size : (k + 1) * size] for k, name in enumerate(names)}


# --- requests -----------------------------------------------------------------------------


@dataclass
class Answer:
    status: int  # 0: no answer (refused, reset, timed out)
    seconds: float
    body: bytes = b""
    error: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Http:
    def __init__(self, port: int, timeout: float = 600.0):
        self.port, self.timeout = port, timeout

    def request(
        self, method: str, path: str, *, body=None, token: str = "", session: str = ""
    ) -> Answer:
        headers = {"Accept": "application/json,text/html"}
        if token:
            headers["Authorization"] = f"Token {token}"
        if session:
            headers["Cookie"] = f"sessionid={session}"
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            content = response.read()
            seconds = time.perf_counter() - started
            headers = {name.lower(): value for name, value in response.getheaders()}
            return Answer(response.status, seconds, content, headers=headers)
        except (OSError, http.client.HTTPException) as exc:
            return Answer(0, time.perf_counter() - started, error=type(exc).__name__)
        finally:
            conn.close()


# --- statistics ---------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class Latencies:
    """Answers of one kind of request: their times, and what went wrong."""

    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, answer: Answer) -> None:
        with self.lock:
            self.seconds.append(answer.seconds)
            if not answer.ok:
                self.errors.append(answer.error or str(answer.status))

    def summary(self) -> dict:
        statuses: dict[str, int] = {}
        for error in self.errors:
            statuses[error] = statuses.get(error, 0) + 1
        return {
            "requests": len(self.seconds),
            "p50": percentile(self.seconds, 50),
            "p95": percentile(self.seconds, 95),
            "p99": percentile(self.seconds, 99),
            "errors": len(self.errors),
            "error_kinds": statuses,
        }


def run_threads(targets: list) -> None:
    """Start a thread per callable and wait for them all."""
    threads = [threading.Thread(target=target, daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --- the scenarios' clients -----------------------------------------------------------------


def ingest_round(
    http: Http, batches: Batches, *, clients: list[str], token: str, seconds: float, first_seq: int
) -> dict:
    """Each client sends batches back to back until `seconds` have passed (at least one each).

    Leads per second: rows the server took (any status but error) over the wall time of the
    round, from the first request to the last answer.
    """
    deadline = time.monotonic() + seconds
    sent: list[tuple[str, int]] = []
    outcome = {"rows": 0, "row_statuses": {}, "requests": Latencies()}
    lock = threading.Lock()

    def client(name: str) -> None:
        seq = first_seq
        while True:
            body = json.dumps({"leads": batches.rows(name, seq)}).encode()
            answer = http.request("POST", "/api/v1/leads/bulk/", body=body, token=token)
            outcome["requests"].add(answer)
            with lock:
                sent.append((name, seq))
                if answer.ok:
                    for row in json.loads(answer.body)["results"]:
                        statuses = outcome["row_statuses"]
                        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
                        outcome["rows"] += row["status"] != "error"
            seq += 1
            if time.monotonic() >= deadline:
                return

    started = time.perf_counter()
    run_threads([lambda name=name: client(name) for name in clients])
    elapsed = time.perf_counter() - started
    return {
        "seconds": elapsed,
        "rows": outcome["rows"],
        "leads_per_s": outcome["rows"] / elapsed,
        "row_statuses": outcome["row_statuses"],
        "batches": sorted(sent),
        "requests": outcome["requests"].summary(),
    }


class Acceptor:
    """Accepts pending offers one after another, each as the rep it is assigned to."""

    def __init__(self, http: Http, offers: list[tuple[int, str]], tokens: dict[str, str]):
        self.http, self.offers, self.tokens = http, list(offers), tokens
        self.latencies = Latencies()
        self.ran_out = False

    def run(self, stop: threading.Event, pause: float = 0.0) -> None:
        while not stop.is_set():
            if not self.offers:
                self.ran_out = True
                return
            lead, username = self.offers.pop(0)
            self.latencies.add(
                self.http.request(
                    "POST", f"/api/v1/leads/{lead}/accept/", body={}, token=self.tokens[username]
                )
            )
            if pause:
                stop.wait(pause)
