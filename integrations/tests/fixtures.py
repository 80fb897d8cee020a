"""Fixtures of integrations for every app's tests: a real webhook receiver on loopback, an
integration user, dispatches recorded instead of enqueued."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from funnel.models import Role
from funnel.tests.factories import UserFactory
from integrations.models import WebhookSubscription
from integrations.tasks import webhook_dispatch_task
from integrations.webhooks import webhook_signature_verify, webhook_subscription_create


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    status: int

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that records each request and checks its signature.

    It answers 204 to a request signed with the secret registered for its path (401 otherwise),
    500 while told to fail (or at a path in `broken`), or the statuses queued in `answers`.
    """

    def __init__(self):
        self.requests: list[Received] = []
        self.secrets: dict[str, str] = {}
        self.answers: deque[tuple[int, dict[str, str]]] = deque()
        self.failures_left = 0  # -1: fail until told to recover
        self.broken: set[str] = set()  # paths that always answer 500
        self.delay = 0.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(receiver.delay)
                status, headers = receiver._answer(self.path, dict(self.headers), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _answer(self, path, headers, body) -> tuple[int, dict[str, str]]:
        with self.lock:
            secret = self.secrets.get(path)
            verified = secret is not None and webhook_signature_verify(
                secret, headers.get("X-Leadflow-Signature", ""), body
            )
            headers_out: dict[str, str] = {}
            if self.failures_left or path in self.broken:
                self.failures_left -= 1 if self.failures_left > 0 else 0
                status = 500
            elif self.answers:
                status, headers_out = self.answers.popleft()
            else:
                status = 204 if verified else 401
            self.requests.append(Received(path, headers, body, verified, status))
        return status, headers_out

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def subscribe(self, owner, path: str = "/hook", **fields) -> WebhookSubscription:
        subscription = webhook_subscription_create(owner=owner, url=self.url(path), **fields)
        self.expect(subscription)
        return subscription

    def expect(self, subscription: WebhookSubscription) -> None:
        """Accept requests signed with this subscription's secret, at its URL's path."""
        self.secrets[subscription.url.split(str(self.server.server_port), 1)[1]] = (
            subscription.secret
        )

    def fail(self, times: int = -1) -> None:
        self.failures_left = times

    def recover(self) -> None:
        self.failures_left = 0

    @property
    def delivered(self) -> list[Received]:
        return [r for r in self.requests if r.status < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def dispatches(monkeypatch):
    """Dispatch enqueues are recorded, not sent to Redis; tests call webhook_dispatch."""
    sent: list[int] = []
    monkeypatch.setattr(webhook_dispatch_task, "delay", sent.append)
    return sent


@pytest.fixture
def integration(db):
    return UserFactory(username="crm_sync", role=Role.INTEGRATION)
