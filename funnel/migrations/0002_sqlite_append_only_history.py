"""The embedded SQLite run refuses changes to stage history too (pgtrigger covers PostgreSQL)."""

from django.db import migrations

MESSAGE = "stage history is append-only"
TRIGGERS = {
    "stage_transition_no_update": "UPDATE",
    "stage_transition_no_delete": "DELETE",
}


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name, operation in TRIGGERS.items():
        schema_editor.execute(
            f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {operation} ON funnel_stagetransition "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("funnel", "0001_initial")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
