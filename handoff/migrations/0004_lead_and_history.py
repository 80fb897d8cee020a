"""Leads and their stage history, moved here from the funnel app: the tables, their rows,
indexes and constraints stay as they are; only the append-only trigger is renamed (pgtrigger
names it after the model's app)."""

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('funnel', '0004_integrations'),
        ('handoff', '0003_agreement_bounds'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # State only: the models take over the tables funnel created, and the foreign keys follow.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Lead',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email', models.EmailField(blank=True, db_index=True, max_length=254)),
                        ('first_name', models.CharField(blank=True, max_length=100)),
                        ('last_name', models.CharField(blank=True, max_length=100)),
                        ('phone', models.CharField(blank=True, max_length=50)),
                        ('company', models.CharField(blank=True, max_length=200)),
                        ('title', models.CharField(blank=True, max_length=200)),
                        ('country', models.CharField(blank=True, help_text='ISO 3166 alpha-2.', max_length=2)),
                        ('region', models.CharField(blank=True, max_length=100)),
                        ('city', models.CharField(blank=True, max_length=100)),
                        ('industry', models.CharField(blank=True, max_length=100)),
                        ('employees', models.PositiveIntegerField(blank=True, null=True)),
                        ('source', models.CharField(blank=True, max_length=100)),
                        ('external_id', models.CharField(blank=True, help_text='Id in the marketing automation platform.', max_length=100, null=True)),
                        ('crm_id', models.CharField(blank=True, max_length=100)),
                        ('score', models.IntegerField(default=0)),
                        ('stage_entered_at', models.DateTimeField()),
                        ('recycle_count', models.PositiveIntegerField(default=0)),
                        ('attributes', models.JSONField(blank=True, default=dict)),
                        ('merged_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('campaign', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='leads', to='funnel.campaign')),
                        ('merged_into', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged_leads', to='handoff.lead')),
                        ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='owned_leads', to=settings.AUTH_USER_MODEL)),
                        ('stage', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='leads', to='funnel.stage')),
                        ('team', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='leads', to='funnel.team')),
                    ],
                    options={
                        'db_table': 'funnel_lead',
                    },
                ),
                migrations.AlterField(
                    model_name='activity',
                    name='lead',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='activities', to='handoff.lead'),
                ),
                migrations.AlterField(
                    model_name='disposition',
                    name='lead',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='dispositions', to='handoff.lead'),
                ),
                migrations.AlterField(
                    model_name='notification',
                    name='lead',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, to='handoff.lead'),
                ),
                migrations.AlterField(
                    model_name='offer',
                    name='lead',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='offers', to='handoff.lead'),
                ),
                migrations.AlterField(
                    model_name='touch',
                    name='lead',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='touches', to='handoff.lead'),
                ),
                migrations.CreateModel(
                    name='StageTransition',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField()),
                        ('actor_label', models.CharField(blank=True, max_length=100)),
                        ('note', models.TextField(blank=True)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('from_stage', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='funnel.stage')),
                        ('handoff', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='funnel.handoffpair')),
                        ('lead', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='transitions', to='handoff.lead')),
                        ('reason', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='funnel.reasoncode')),
                        ('to_stage', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='funnel.stage')),
                    ],
                    options={
                        'db_table': 'funnel_stagetransition',
                        'ordering': ['at', 'id'],
                    },
                ),
                migrations.AlterField(
                    model_name='disposition',
                    name='transition',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='handoff.stagetransition'),
                ),
                migrations.AlterField(
                    model_name='offer',
                    name='transition',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='handoff.stagetransition'),
                ),
                migrations.AddIndex(
                    model_name='lead',
                    index=models.Index(fields=['stage', 'owner'], name='lead_stage_owner'),
                ),
                migrations.AddIndex(
                    model_name='lead',
                    index=models.Index(fields=['owner', 'stage'], name='lead_owner_stage'),
                ),
                migrations.AddIndex(
                    model_name='lead',
                    index=models.Index(fields=['campaign'], name='lead_campaign'),
                ),
                migrations.AddIndex(
                    model_name='lead',
                    index=models.Index(fields=['updated_at'], name='lead_updated_at'),
                ),
                migrations.AddIndex(
                    model_name='lead',
                    index=models.Index(fields=['-score'], name='lead_score_desc'),
                ),
                migrations.AddConstraint(
                    model_name='lead',
                    constraint=models.UniqueConstraint(condition=models.Q(('external_id__isnull', False)), fields=('external_id',), name='lead_unique_external_id'),
                ),
                migrations.AddConstraint(
                    model_name='lead',
                    constraint=models.UniqueConstraint(condition=models.Q(('external_id__isnull', True), models.Q(('email', ''), _negated=True)), fields=('email',), name='lead_unique_email_without_external_id'),
                ),
                migrations.AddConstraint(
                    model_name='lead',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('email', ''), _negated=True), ('external_id__isnull', False), _connector='OR'), name='lead_has_email_or_external_id'),
                ),
                migrations.AddConstraint(
                    model_name='lead',
                    constraint=models.CheckConstraint(condition=models.Q(('email', django.db.models.functions.text.Lower(django.db.models.functions.text.Trim('email')))), name='lead_email_normalized'),
                ),
                migrations.AddIndex(
                    model_name='stagetransition',
                    index=models.Index(fields=['lead', 'at'], name='transition_lead_at'),
                ),
                migrations.AddIndex(
                    model_name='stagetransition',
                    index=models.Index(fields=['to_stage', 'at'], name='transition_to_at'),
                ),
                migrations.AddIndex(
                    model_name='stagetransition',
                    index=models.Index(fields=['at'], name='transition_at'),
                ),
            ],
        ),
        # The same trigger under its new name; funnel 0005 drops the old one.
        pgtrigger.migrations.AddTrigger(
            model_name='stagetransition',
            trigger=pgtrigger.compiler.Trigger(name='stage_transition_append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='087e0b2a8a27d32dca03c89398d728247a6ccb66', operation='UPDATE OR DELETE', pgid='pgtrigger_stage_transition_append_only_b6a26', table='funnel_stagetransition', when='BEFORE')),
        ),
    ]
