"""The embedded default: no DATABASE_URL, no broker, run as `make run` would run it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

MOVES = """
from django.db import DatabaseError, connection
from funnel.models import User
from funnel.rules import MoveNotAllowed
from handoff.models import StageTransition
from handoff.services.leads import lead_create, lead_transition
print("vendor", connection.vendor)
admin = User.objects.create(username="smoke", role="admin")
lead = lead_create(actor=admin, email="smoke@example.com")
lead_transition(lead=lead, to="qi", actor=admin)
lead_transition(lead=lead, to="mql", actor=admin)
try:
    lead_transition(lead=lead, to="won", actor=admin)
except MoveNotAllowed as exc:
    print("refused:", exc)
print("history", [t.to_stage.key for t in lead.transitions.all()])
# Raw SQL, below the ORM's own protections: the trigger itself must refuse.
for attempt, sql in (
    ("update", "UPDATE funnel_stagetransition SET note = 'x'"),
    ("delete", "DELETE FROM funnel_stagetransition"),
):
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    except DatabaseError as exc:
        print(attempt, "blocked:", exc)
print("rows", StageTransition.objects.filter(note="").count())
"""


def _embedded_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(
        LEADFLOW_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="leadflow.settings.base",
    )
    env.pop("SECRET_KEY", None)
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_the_embedded_default_migrates_moves_leads_and_guards_history(tmp_path):
    env = _embedded_env(tmp_path)

    _manage(env, "migrate", "--noinput", "-v", "0")
    assert "created 3 teams, 10 stages" in _manage(env, "setup_funnel")
    out = _manage(env, "shell", "-c", MOVES)

    assert "vendor sqlite" in out
    assert "refused: A lead in Marketing Qualified Lead cannot move to Won." in out
    assert "history ['inquiry', 'qi', 'mql']" in out
    assert "update blocked: stage history is append-only" in out
    assert "delete blocked: stage history is append-only" in out
    assert "rows 3" in out
    # The secret key was generated into var/ once, readable by its owner only.
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert (tmp_path / "leadflow.sqlite3").exists()


CONCURRENT_WRITES = """
import threading
from django.db import connection, transaction
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE counter (n integer)")
    cursor.execute("INSERT INTO counter VALUES (0)")
both_read = threading.Barrier(2, timeout=1)
errors = []

def bump():
    # Read, then write: two such transactions at once are what a worker and a request do.
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT n FROM counter")
                n = cursor.fetchone()[0]
            try:
                both_read.wait()  # under IMMEDIATE the second waits to begin: no rendezvous
            except threading.BrokenBarrierError:
                pass
            with connection.cursor() as cursor:
                cursor.execute("UPDATE counter SET n = %s", [n + 1])
    except Exception as exc:
        errors.append(str(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=bump) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("errors", errors)
with connection.cursor() as cursor:
    cursor.execute("SELECT n FROM counter")
    print("counter", cursor.fetchone()[0])
"""


@pytest.mark.slow
def test_a_sqlite_database_url_waits_for_the_lock_as_the_embedded_default_does(tmp_path):
    env = _embedded_env(tmp_path)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'named.sqlite3'}",
        SECRET_KEY="tests-only-not-a-secret",
    )

    out = _manage(env, "shell", "-c", CONCURRENT_WRITES)

    assert "errors []" in out  # not "database is locked"
    assert "counter 2" in out  # the second write waited for the first, then saw it
