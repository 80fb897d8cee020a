"""Verbose names wrapped for translation: no change to the database.

Every field and model the audit trail names gets an explicit verbose name (the English
Django showed before) in gettext_lazy, so the trail, forms and admin show it translated.
"""

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("funnel", "0008_verbose_names"),
        ("handoff", "0014_lead_list_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="repprofile",
            options={"verbose_name": "rep profile", "verbose_name_plural": "rep profiles"},
        ),
        migrations.AlterModelOptions(
            name="routingrule",
            options={
                "ordering": ["handoff", "position", "id"],
                "verbose_name": "routing rule",
                "verbose_name_plural": "routing rules",
            },
        ),
        migrations.AlterModelOptions(
            name="scoringrule",
            options={
                "ordering": ["kind", "name"],
                "verbose_name": "scoring rule",
                "verbose_name_plural": "scoring rules",
            },
        ),
        migrations.AlterModelOptions(
            name="slaagreement",
            options={
                "ordering": ["handoff", "-version"],
                "verbose_name": "SLA agreement",
                "verbose_name_plural": "SLA agreements",
            },
        ),
        migrations.AlterModelOptions(
            name="slastep",
            options={
                "ordering": ["clock", "after_hours"],
                "verbose_name": "SLA step",
                "verbose_name_plural": "SLA steps",
            },
        ),
        migrations.AlterField(
            model_name="repprofile",
            name="accepts_routing",
            field=models.BooleanField(
                default=True, help_text="Takes part in round-robin.", verbose_name="accepts routing"
            ),
        ),
        migrations.AlterField(
            model_name="repprofile",
            name="away_from",
            field=models.DateField(blank=True, null=True, verbose_name="away from"),
        ),
        migrations.AlterField(
            model_name="repprofile",
            name="away_until",
            field=models.DateField(
                blank=True, help_text="Last day away.", null=True, verbose_name="away until"
            ),
        ),
        migrations.AlterField(
            model_name="repprofile",
            name="max_offers_per_day",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="max offers per day"
            ),
        ),
        migrations.AlterField(
            model_name="repprofile",
            name="max_open_offers",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Pending offers at once; empty for no cap.",
                null=True,
                verbose_name="max open offers",
            ),
        ),
        migrations.AlterField(
            model_name="repprofile",
            name="user",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="rep_profile",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
        migrations.AlterField(
            model_name="repprofile",
            name="weight",
            field=models.PositiveIntegerField(
                default=1,
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="weight",
            ),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="active",
            field=models.BooleanField(default=True, verbose_name="active"),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="campaigns",
            field=models.ManyToManyField(
                blank=True, related_name="+", to="funnel.campaign", verbose_name="campaigns"
            ),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="countries",
            field=models.JSONField(
                blank=True, default=list, help_text="ISO-2 codes.", verbose_name="countries"
            ),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="employees_max",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="employees max"),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="employees_min",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="employees min"),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="handoff",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="rules",
                to="funnel.handoffpair",
                verbose_name="handoff",
            ),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="industries",
            field=models.JSONField(blank=True, default=list, verbose_name="industries"),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="name",
            field=models.CharField(max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="position",
            field=models.PositiveIntegerField(default=0, verbose_name="position"),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="regions",
            field=models.JSONField(blank=True, default=list, verbose_name="regions"),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="score_max",
            field=models.IntegerField(blank=True, null=True, verbose_name="score max"),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="score_min",
            field=models.IntegerField(blank=True, null=True, verbose_name="score min"),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="sources",
            field=models.JSONField(blank=True, default=list, verbose_name="sources"),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="strategy",
            field=models.CharField(
                choices=[
                    ("user", "A named user"),
                    ("queue", "Team queue (a point of contact assigns)"),
                    ("weighted", "Round-robin, weighted"),
                    ("least_open", "Round-robin, fewest open offers"),
                ],
                max_length=20,
                verbose_name="strategy",
            ),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="target_team",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="funnel.team",
                verbose_name="target team",
            ),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="target_user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="target user",
            ),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="virtual_time",
            field=models.FloatField(default=0.0, verbose_name="virtual time"),
        ),
        migrations.AlterField(
            model_name="scoringrule",
            name="active",
            field=models.BooleanField(default=True, verbose_name="active"),
        ),
        migrations.AlterField(
            model_name="scoringrule",
            name="contains",
            field=models.CharField(
                blank=True,
                help_text="Only when the detail mentions this (e.g. /pricing).",
                max_length=200,
                verbose_name="contains",
            ),
        ),
        migrations.AlterField(
            model_name="scoringrule",
            name="kind",
            field=models.CharField(
                choices=[
                    ("page_visit", "Page visit"),
                    ("form", "Form fill"),
                    ("email_open", "Email open"),
                    ("email_click", "Email click"),
                    ("event", "Event attended"),
                    ("download", "Content download"),
                    ("webinar", "Webinar attended"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="scoringrule",
            name="name",
            field=models.CharField(max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="scoringrule",
            name="points",
            field=models.IntegerField(verbose_name="points"),
        ),
        migrations.AlterField(
            model_name="slaagreement",
            name="accept_within_hours",
            field=models.DecimalField(
                decimal_places=2,
                help_text="Working hours to accept or reject.",
                max_digits=6,
                validators=[django.core.validators.MinValueValidator(Decimal("0.25"))],
                verbose_name="accept within hours",
            ),
        ),
        migrations.AlterField(
            model_name="slaagreement",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="created at"
            ),
        ),
        migrations.AlterField(
            model_name="slaagreement",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="created by",
            ),
        ),
        migrations.AlterField(
            model_name="slaagreement",
            name="effective_at",
            field=models.DateTimeField(
                blank=True, db_index=True, null=True, verbose_name="effective at"
            ),
        ),
        migrations.AlterField(
            model_name="slaagreement",
            name="first_touch_within_hours",
            field=models.DecimalField(
                decimal_places=2,
                help_text="Working hours from the offer to the first touch.",
                max_digits=6,
                validators=[django.core.validators.MinValueValidator(Decimal("0.25"))],
                verbose_name="first touch within hours",
            ),
        ),
        migrations.AlterField(
            model_name="slaagreement",
            name="handoff",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="agreements",
                to="funnel.handoffpair",
                verbose_name="handoff",
            ),
        ),
        migrations.AlterField(
            model_name="slaagreement",
            name="marketing_signoff_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="marketing signoff at"),
        ),
        migrations.AlterField(
            model_name="slaagreement",
            name="marketing_signoff_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="marketing signoff by",
            ),
        ),
        migrations.AlterField(
            model_name="slaagreement",
            name="min_touches",
            field=models.PositiveIntegerField(default=3, verbose_name="min touches"),
        ),
        migrations.AlterField(
            model_name="slaagreement",
            name="sales_signoff_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sales signoff at"),
        ),
        migrations.AlterField(
            model_name="slaagreement",
            name="sales_signoff_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="sales signoff by",
            ),
        ),
        migrations.AlterField(
            model_name="slaagreement",
            name="touches_within_days",
            field=models.PositiveIntegerField(
                default=10,
                help_text="Calendar days.",
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="touches within days",
            ),
        ),
        migrations.AlterField(
            model_name="slaagreement",
            name="version",
            field=models.PositiveIntegerField(verbose_name="version"),
        ),
        migrations.AlterField(
            model_name="slaagreement",
            name="warn_before_hours",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("2"),
                help_text="Working hours before a due time to warn the assignee; 0 for no warning.",
                max_digits=6,
                validators=[django.core.validators.MinValueValidator(0)],
                verbose_name="warn before hours",
            ),
        ),
        migrations.AlterField(
            model_name="slaagreement",
            name="work_within_days",
            field=models.PositiveIntegerField(
                default=30,
                help_text="Calendar days from the offer to a disposition.",
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="work within days",
            ),
        ),
        migrations.AlterField(
            model_name="slastep",
            name="action",
            field=models.CharField(
                choices=[
                    ("remind", "Remind the assignee"),
                    ("escalate", "Escalate to the team manager"),
                    ("reroute", "Re-route to another rep"),
                    ("recycle", "Recycle to marketing (SLA expired)"),
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        migrations.AlterField(
            model_name="slastep",
            name="after_hours",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0"),
                max_digits=6,
                validators=[django.core.validators.MinValueValidator(0)],
                verbose_name="after hours",
            ),
        ),
        migrations.AlterField(
            model_name="slastep",
            name="agreement",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="steps",
                to="handoff.slaagreement",
                verbose_name="agreement",
            ),
        ),
        migrations.AlterField(
            model_name="slastep",
            name="clock",
            field=models.CharField(
                choices=[
                    ("accept", "Accept or reject"),
                    ("first_touch", "First touch"),
                    ("touches", "Minimum touches"),
                    ("work", "Working time limit"),
                ],
                max_length=20,
                verbose_name="clock",
            ),
        ),
    ]
