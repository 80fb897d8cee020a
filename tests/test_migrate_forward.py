"""A database made by the layout before the apps were re-cut migrates forward with nothing lost.

The previous main's code (from git) migrates and seeds a fresh PostgreSQL database, with a row in
every table that moved (leads, history, events, webhooks, idempotency); today's code then
migrates it. Every table keeps every row, the content types follow their models, the history
stays append-only, and today's models read the rows.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# The last commit of the old layout: funnel held leads, events, webhooks and idempotency.
PREVIOUS_MAIN = "16fc215"

OLD_ROWS = """
from funnel.models import Event, IdempotencyRecord, User
from funnel.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from funnel.services import lead_create
crm = User.objects.create_user(username="crm_forward", role="integration")
lead_create(actor=crm, email="forward@example.com")
hook = WebhookSubscription.objects.create(url="https://crm.example.com/hook", owner=crm)
delivery = WebhookDelivery.objects.create(subscription=hook, event=Event.objects.latest("id"))
WebhookAttempt.objects.create(delivery=delivery, status_code=500, error="down")
IdempotencyRecord.objects.create(
    user=crm, key="k-1", endpoint="lead-bulk", request_hash="0" * 64, status_code=200,
    response={"results": []},
)
"""

NEW_READS = """
from handoff.models import Lead, StageTransition
from integrations.models import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription
from leadflow.models import IdempotencyRecord
for model in (Lead, StageTransition, Event, WebhookSubscription, WebhookDelivery,
              WebhookAttempt, IdempotencyRecord):
    print(model._meta.label, model.objects.count())
lead = Lead.objects.get(email="forward@example.com")
print("history", [t.to_stage.key for t in lead.transitions.all()])
print("positions are ids", all(e.position == e.pk for e in Event.objects.all()))
"""


def _database_url(name: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{name}"


def _admin(sql: str) -> None:
    with psycopg.connect(_database_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _manage(cwd: Path, env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {
            table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables
        }


@pytest.mark.slow
def test_a_database_of_the_previous_layout_migrates_forward_with_nothing_lost(tmp_path):
    old_code = tmp_path / "previous-main"
    old_code.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", PREVIOUS_MAIN], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(old_code)], input=archive.stdout, check=True)

    name = f"leadflow_forward_{uuid.uuid4().hex[:8]}"
    url = _database_url(name)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "migrate-forward",
        "LEADFLOW_VAR_DIR": str(tmp_path / "var"),
        "CELERY_BROKER_URL": "",  # the embedded broker: enqueues after commit go nowhere
        "DJANGO_SETTINGS_MODULE": "leadflow.settings.base",
    }
    _admin(f'CREATE DATABASE "{name}"')
    try:
        # Given a database the previous main made, with rows in every table that moves
        _manage(old_code, env, "migrate", "--noinput", "-v", "0")
        _manage(old_code, env, "seed_demo", "--leads", "300", "--weeks", "4", "--seed", "3")
        _manage(old_code, env, "shell", "-c", OLD_ROWS)
        before = _row_counts(url)
        moved = ["funnel_lead", "funnel_stagetransition", "funnel_event"]
        moved += ["funnel_webhooksubscription", "funnel_webhookdelivery", "funnel_webhookattempt"]
        moved += ["funnel_idempotencyrecord"]
        assert all(before[table] > 0 for table in moved), before

        # When today's code migrates it
        _manage(ROOT, env, "migrate", "--noinput", "-v", "0")

        # Then no table lost a row, and today's models read them where they were
        after = _row_counts(url)
        # New models add their content types and permissions, new migrations their rows.
        grown = {"django_migrations", "django_content_type", "auth_permission"}
        kept = {table: after.get(table) for table in before if table not in grown}
        assert kept == {table: n for table, n in before.items() if table not in grown}
        assert all(after[table] >= before[table] for table in grown)
        print("rows kept in the moved tables:", {table: after[table] for table in moved})
        reads = _manage(ROOT, env, "shell", "-c", NEW_READS)
        assert f"handoff.Lead {before['funnel_lead']}" in reads
        assert f"handoff.StageTransition {before['funnel_stagetransition']}" in reads
        assert f"integrations.Event {before['funnel_event']}" in reads
        assert f"integrations.WebhookAttempt {before['funnel_webhookattempt']}" in reads
        assert f"leadflow.IdempotencyRecord {before['funnel_idempotencyrecord']}" in reads
        assert "history ['inquiry']" in reads
        assert "positions are ids True" in reads  # the feed's numbers did not change
        with psycopg.connect(url) as conn:
            labels = dict(
                conn.execute(
                    "SELECT model, app_label FROM django_content_type WHERE model IN "
                    "('lead', 'stagetransition', 'event', 'idempotencyrecord')"
                ).fetchall()
            )
            triggers = [
                row[0]
                for row in conn.execute(
                    "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'pgtrigger_%' ORDER BY 1"
                )
            ]
            with pytest.raises(psycopg.errors.RaiseException, match="Cannot update or delete"):
                conn.execute("UPDATE funnel_stagetransition SET note = 'rewritten'")
        assert labels == {
            "lead": "handoff",
            "stagetransition": "handoff",
            "event": "integrations",
            "idempotencyrecord": "leadflow",
        }
        assert triggers == ["pgtrigger_stage_transition_append_only_b6a26"]
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
