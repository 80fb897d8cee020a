"""Dated targets: each handoff pair's target rate becomes its first version.

The pair's current target_rate is the one version it had, so it is recorded as in force since
2000-01-01 and known since then (created_at): an as-of report for any past moment reads it,
as it read the pair's single rate before targets had dates.
"""

import datetime
from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

SINCE = datetime.date(2000, 1, 1)  # funnel.models.TARGETS_SINCE
KNOWN_SINCE = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def targets_from_pairs(apps, schema_editor):
    HandoffPair = apps.get_model("funnel", "HandoffPair")
    HandoffTarget = apps.get_model("funnel", "HandoffTarget")
    HandoffTarget.objects.bulk_create(
        HandoffTarget(
            handoff_id=pk, rate=rate, effective_from=SINCE, created_at=KNOWN_SINCE
        )
        for pk, rate in HandoffPair.objects.values_list("pk", "target_rate")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("funnel", "0005_models_moved_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HandoffTarget",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),  # noqa: E501
                ("rate", models.DecimalField(decimal_places=3, help_text="Target acceptance rate, 0 to 1 (1 = 100%).", max_digits=4, validators=[django.core.validators.MinValueValidator(Decimal("0")), django.core.validators.MaxValueValidator(Decimal("1"))])),  # noqa: E501
                ("effective_from", models.DateField(help_text="The first day (local time) the target holds.")),  # noqa: E501
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),  # noqa: E501
                ("handoff", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="targets", to="funnel.handoffpair")),  # noqa: E501
            ],
            options={
                "ordering": ["handoff", "-effective_from"],
                "constraints": [
                    models.UniqueConstraint(fields=("handoff", "effective_from"), name="handofftarget_unique_day"),  # noqa: E501
                    models.CheckConstraint(condition=models.Q(("rate__gte", 0), ("rate__lte", 1)), name="handofftarget_rate_fraction"),  # noqa: E501
                ],
            },
        ),
        migrations.RunPython(targets_from_pairs, migrations.RunPython.noop, elidable=True),
    ]
