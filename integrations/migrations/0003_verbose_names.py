"""Verbose names wrapped for translation: no change to the database.

Every field and model the audit trail names gets an explicit verbose name (the English
Django showed before) in gettext_lazy, so the trail, forms and admin show it translated.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import integrations.models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_event_position"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="webhooksubscription",
            options={
                "ordering": ["id"],
                "verbose_name": "webhook subscription",
                "verbose_name_plural": "webhook subscriptions",
            },
        ),
        migrations.AlterField(
            model_name="webhooksubscription",
            name="active",
            field=models.BooleanField(default=True, verbose_name="active"),
        ),
        migrations.AlterField(
            model_name="webhooksubscription",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="created at"
            ),
        ),
        migrations.AlterField(
            model_name="webhooksubscription",
            name="description",
            field=models.CharField(blank=True, max_length=200, verbose_name="description"),
        ),
        migrations.AlterField(
            model_name="webhooksubscription",
            name="events",
            field=models.JSONField(
                default=list, help_text="Event types; empty for all.", verbose_name="events"
            ),
        ),
        migrations.AlterField(
            model_name="webhooksubscription",
            name="owner",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="webhooks",
                to=settings.AUTH_USER_MODEL,
                verbose_name="owner",
            ),
        ),
        migrations.AlterField(
            model_name="webhooksubscription",
            name="secret",
            field=models.CharField(
                default=integrations.models.webhook_secret, max_length=100, verbose_name="secret"
            ),
        ),
        migrations.AlterField(
            model_name="webhooksubscription",
            name="url",
            field=models.URLField(max_length=500, verbose_name="url"),
        ),
    ]
