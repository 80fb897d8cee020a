"""A trigram index on the text a lead search matches (handoff.selectors.LeadSearchText), so a
search by a fragment of an email, a name or a company reads the index, not every lead.

PostgreSQL only (pg_trgm ships with it); SQLite searches by scanning, as before. The index's
expression is the one Django writes for `icontains` on LeadSearchText: keep them together.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "lead_search_trgm"


def index_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON funnel_lead USING gin "
        "((UPPER((email || ' ' || first_name || ' ' || last_name || ' ' || company)::text))"
        " gin_trgm_ops)"
    )


def index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("handoff", "0016_report_indexes")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(index_create, index_drop, elidable=False),
    ]
