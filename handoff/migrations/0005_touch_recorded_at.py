"""When each touch was logged. Touches logged before are left empty (not stamped with the
migration's time): as-of reports count them from when they happened, as before."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("handoff", "0004_lead_and_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="touch",
            name="recorded_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        # The default is Django's, for new touches only: no existing row changes.
        migrations.AlterField(
            model_name="touch",
            name="recorded_at",
            field=models.DateTimeField(
                blank=True, default=django.utils.timezone.now, editable=False, null=True
            ),
        ),
    ]
