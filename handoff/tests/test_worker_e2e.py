"""End to end: a real Celery worker process, on the Redis broker, routes a real offer."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from funnel.models import Role, Team
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from handoff.models import Notification, Offer
from handoff.services.leads import lead_create
from handoff.services.setup import handoff_setup_defaults
from leadflow.celery import app

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def worker(transactional_db):
    """A worker process on a queue of its own, against this test's database."""
    queue = f"leadflow-test-{uuid.uuid4().hex[:8]}"
    env = dict(
        os.environ,
        DATABASE_URL=_database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_QUEUE=queue,
        SECRET_KEY="worker-under-test",
        DJANGO_SETTINGS_MODULE="leadflow.settings.base",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "leadflow", "worker", "-Q", queue,
         "--concurrency", "1", "--pool", "solo", "-l", "info", "--without-gossip",
         "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield process
    finally:
        app.conf.task_default_queue = previous
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.slow
def test_a_real_worker_routes_an_offer_made_by_a_stage_move(worker):
    # Given the default funnel and a sales team with one rep and a manager
    funnel_setup_defaults()
    handoff_setup_defaults()
    sales = Team.objects.get(key="sales")
    rep = UserFactory(username="worker_rep", role=Role.SALES, team=sales, email="rep@example.com")

    # When a demo request arrives at MQL (committed: the task is enqueued on commit)
    lead = lead_create(actor=None, stage="mql", email="demo@acme.com", company="Acme")

    # Then the worker routes the offer to the rep, alerts them, and sets its SLA clocks
    offer = Offer.objects.get(lead=lead)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        offer.refresh_from_db()
        if offer.routed_at is not None:
            break
        assert worker.poll() is None, worker.stdout.read()
        time.sleep(0.25)
    else:
        worker.terminate()
        pytest.fail(f"the worker did not route the offer:\n{worker.communicate()[0]}")
    assert offer.assignee == rep
    assert offer.accept_due_at is not None
    assert offer.routing[-1]["assignee"] == "worker_rep"
    assert Notification.objects.filter(user=rep, kind="assigned", offer=offer).exists()
