"""An index for each sort of the leads list (/leads/), each ending in the id that breaks ties,
so a keyset page reads 51 index entries from the cursor on, whatever the page's depth. Partial:
the list never shows merged-away leads.

Raw SQL, outside the model state: Lead.Meta is not this part's to edit. The same statement runs
on PostgreSQL and SQLite.
"""

from django.db import migrations

SORTS = {
    "lead_list_updated": "updated_at",
    "lead_list_created": "created_at",
    "lead_list_score": "score",
    "lead_list_last_name": "last_name",
}


class Migration(migrations.Migration):
    dependencies = [
        ("handoff", "0013_saved_views_and_imports"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON funnel_lead ({column}, id) "
            "WHERE merged_into_id IS NULL",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, column in SORTS.items()
    ]
