"""The event outbox and webhooks, moved here from the funnel app: the tables stay as they are."""

import django.db.models.deletion
import django.utils.timezone
import integrations.models
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('funnel', '0004_integrations'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # State only: the models take over the tables funnel created.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Event',
                    fields=[
                        ('id', models.BigAutoField(primary_key=True, serialize=False)),
                        ('uid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('type', models.CharField(choices=[('lead.created', 'Lead Created'), ('lead.stage_changed', 'Lead Stage Changed'), ('lead.dispositioned', 'Lead Dispositioned'), ('lead.merged', 'Lead Merged'), ('offer.created', 'Offer Created'), ('offer.accepted', 'Offer Accepted'), ('offer.rejected', 'Offer Rejected'), ('offer.assigned', 'Offer Assigned'), ('sla.breached', 'Sla Breached'), ('ratio.drifted', 'Ratio Drifted')], max_length=40)),
                        ('occurred_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('data', models.JSONField(default=dict)),
                    ],
                    options={
                        'db_table': 'funnel_event',
                        'ordering': ['id'],
                        'indexes': [models.Index(fields=['type', 'id'], name='event_type_id')],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('delivered', 'Delivered'), ('dead', 'Dead-lettered')], default='pending', max_length=20)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                        ('delivered_at', models.DateTimeField(blank=True, null=True)),
                        ('last_status_code', models.PositiveIntegerField(blank=True, null=True)),
                        ('last_error', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('event', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='deliveries', to='integrations.event')),
                    ],
                    options={
                        'verbose_name_plural': 'webhook deliveries',
                        'db_table': 'funnel_webhookdelivery',
                        'ordering': ['-id'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookAttempt',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('status_code', models.PositiveIntegerField(blank=True, null=True)),
                        ('error', models.TextField(blank=True)),
                        ('duration_ms', models.PositiveIntegerField(default=0)),
                        ('delivery', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attempt_log', to='integrations.webhookdelivery')),
                    ],
                    options={
                        'db_table': 'funnel_webhookattempt',
                        'ordering': ['at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookSubscription',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('url', models.URLField(max_length=500)),
                        ('events', models.JSONField(default=list, help_text='Event types; empty for all.')),
                        ('secret', models.CharField(default=integrations.models.webhook_secret, max_length=100)),
                        ('active', models.BooleanField(default=True)),
                        ('description', models.CharField(blank=True, max_length=200)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhooks', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'funnel_webhooksubscription',
                        'ordering': ['id'],
                    },
                ),
                migrations.AddField(
                    model_name='webhookdelivery',
                    name='subscription',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='integrations.webhooksubscription'),
                ),
                migrations.AddIndex(
                    model_name='webhookdelivery',
                    index=models.Index(condition=models.Q(('status', 'pending')), fields=['next_attempt_at'], name='delivery_pending_due'),
                ),
                migrations.AddConstraint(
                    model_name='webhookdelivery',
                    constraint=models.UniqueConstraint(fields=('subscription', 'event'), name='delivery_once_per_subscriber'),
                ),
            ],
        ),
    ]
