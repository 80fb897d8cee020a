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

import funnel.models


class Migration(migrations.Migration):
    dependencies = [
        ("funnel", "0007_user_language_time_zone"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="campaign",
            options={
                "ordering": ["-start", "name"],
                "verbose_name": "campaign",
                "verbose_name_plural": "campaigns",
            },
        ),
        migrations.AlterModelOptions(
            name="handoffpair",
            options={
                "ordering": ["offered_stage__position"],
                "verbose_name": "handoff pair",
                "verbose_name_plural": "handoff pairs",
            },
        ),
        migrations.AlterModelOptions(
            name="handofftarget",
            options={
                "ordering": ["handoff", "-effective_from"],
                "verbose_name": "handoff target",
                "verbose_name_plural": "handoff targets",
            },
        ),
        migrations.AlterModelOptions(
            name="reasoncode",
            options={
                "ordering": ["purpose", "position", "label"],
                "verbose_name": "reason code",
                "verbose_name_plural": "reason codes",
            },
        ),
        migrations.AlterModelOptions(
            name="stage",
            options={
                "ordering": ["position", "key"],
                "verbose_name": "stage",
                "verbose_name_plural": "stages",
            },
        ),
        migrations.AlterModelOptions(
            name="stagemove",
            options={"verbose_name": "stage move", "verbose_name_plural": "stage moves"},
        ),
        migrations.AlterModelOptions(
            name="team",
            options={"ordering": ["name"], "verbose_name": "team", "verbose_name_plural": "teams"},
        ),
        migrations.AlterModelOptions(
            name="territory",
            options={
                "ordering": ["name"],
                "verbose_name": "territory",
                "verbose_name_plural": "territories",
            },
        ),
        migrations.AlterField(
            model_name="campaign",
            name="channel",
            field=models.CharField(
                choices=[
                    ("email", "Email"),
                    ("webinar", "Webinar"),
                    ("event", "Event"),
                    ("paid_search", "Paid search"),
                    ("social", "Social"),
                    ("content", "Content"),
                    ("referral", "Referral"),
                    ("other", "Other"),
                ],
                default="other",
                max_length=20,
                verbose_name="channel",
            ),
        ),
        migrations.AlterField(
            model_name="campaign",
            name="cost",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0"), max_digits=12, verbose_name="cost"
            ),
        ),
        migrations.AlterField(
            model_name="campaign",
            name="end",
            field=models.DateField(blank=True, null=True, verbose_name="end"),
        ),
        migrations.AlterField(
            model_name="campaign",
            name="name",
            field=models.CharField(max_length=200, unique=True, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="campaign",
            name="start",
            field=models.DateField(blank=True, null=True, verbose_name="start"),
        ),
        migrations.AlterField(
            model_name="handoffpair",
            name="accepted_stage",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="handoff_accepted",
                to="funnel.stage",
                verbose_name="accepted stage",
            ),
        ),
        migrations.AlterField(
            model_name="handoffpair",
            name="key",
            field=models.SlugField(unique=True, verbose_name="key"),
        ),
        migrations.AlterField(
            model_name="handoffpair",
            name="name",
            field=models.CharField(max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="handoffpair",
            name="offered_stage",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="handoff_offered",
                to="funnel.stage",
                verbose_name="offered stage",
            ),
        ),
        migrations.AlterField(
            model_name="handoffpair",
            name="receiving_team",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="funnel.team",
                verbose_name="receiving team",
            ),
        ),
        migrations.AlterField(
            model_name="handoffpair",
            name="reject_stage",
            field=models.ForeignKey(
                help_text="Where a rejected lead goes.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="funnel.stage",
                verbose_name="reject stage",
            ),
        ),
        migrations.AlterField(
            model_name="handoffpair",
            name="sending_team",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="funnel.team",
                verbose_name="sending team",
            ),
        ),
        migrations.AlterField(
            model_name="handoffpair",
            name="target_rate",
            field=models.DecimalField(
                decimal_places=3,
                default=Decimal("1.000"),
                help_text="Target acceptance rate, 0 to 1 (1 = 100%).",
                max_digits=4,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("1")),
                ],
                verbose_name="target rate",
            ),
        ),
        migrations.AlterField(
            model_name="handofftarget",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="created at"
            ),
        ),
        migrations.AlterField(
            model_name="handofftarget",
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
            model_name="handofftarget",
            name="effective_from",
            field=models.DateField(
                help_text="The first day (local time) the target holds.",
                verbose_name="effective from",
            ),
        ),
        migrations.AlterField(
            model_name="handofftarget",
            name="handoff",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="targets",
                to="funnel.handoffpair",
                verbose_name="handoff",
            ),
        ),
        migrations.AlterField(
            model_name="handofftarget",
            name="rate",
            field=models.DecimalField(
                decimal_places=3,
                help_text="Target acceptance rate, 0 to 1 (1 = 100%).",
                max_digits=4,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("1")),
                ],
                verbose_name="rate",
            ),
        ),
        migrations.AlterField(
            model_name="reasoncode",
            name="active",
            field=models.BooleanField(default=True, verbose_name="active"),
        ),
        migrations.AlterField(
            model_name="reasoncode",
            name="code",
            field=models.SlugField(verbose_name="code"),
        ),
        migrations.AlterField(
            model_name="reasoncode",
            name="label",
            field=models.CharField(max_length=200, verbose_name="label"),
        ),
        migrations.AlterField(
            model_name="reasoncode",
            name="position",
            field=models.PositiveIntegerField(default=0, verbose_name="position"),
        ),
        migrations.AlterField(
            model_name="reasoncode",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("reject", "Reject"),
                    ("disqualify", "Disqualify"),
                    ("recycle", "Recycle"),
                    ("lost", "Lost"),
                ],
                max_length=20,
                verbose_name="purpose",
            ),
        ),
        migrations.AlterField(
            model_name="stage",
            name="active",
            field=models.BooleanField(default=True, verbose_name="active"),
        ),
        migrations.AlterField(
            model_name="stage",
            name="entry_criteria",
            field=models.TextField(blank=True, verbose_name="entry criteria"),
        ),
        migrations.AlterField(
            model_name="stage",
            name="key",
            field=models.SlugField(
                help_text="Stable key used by the API.", unique=True, verbose_name="key"
            ),
        ),
        migrations.AlterField(
            model_name="stage",
            name="kind",
            field=models.CharField(
                choices=[
                    ("open", "Open"),
                    ("won", "Won"),
                    ("lost", "Lost"),
                    ("recycle", "Recycle"),
                    ("disqualified", "Disqualified"),
                ],
                default="open",
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="stage",
            name="name",
            field=models.CharField(max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="stage",
            name="position",
            field=models.PositiveIntegerField(default=0, verbose_name="position"),
        ),
        migrations.AlterField(
            model_name="stage",
            name="team",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="stages",
                to="funnel.team",
                verbose_name="team",
            ),
        ),
        migrations.AlterField(
            model_name="stagemove",
            name="from_stage",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="moves_out",
                to="funnel.stage",
                verbose_name="from stage",
            ),
        ),
        migrations.AlterField(
            model_name="stagemove",
            name="reason_purposes",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="If set, the move needs a reason code of one of these purposes.",
                verbose_name="reason purposes",
            ),
        ),
        migrations.AlterField(
            model_name="stagemove",
            name="roles",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Roles that may make the move.",
                verbose_name="roles",
            ),
        ),
        migrations.AlterField(
            model_name="stagemove",
            name="to_stage",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="moves_in",
                to="funnel.stage",
                verbose_name="to stage",
            ),
        ),
        migrations.AlterField(
            model_name="team",
            name="key",
            field=models.SlugField(
                help_text="Stable key used by the API.", unique=True, verbose_name="key"
            ),
        ),
        migrations.AlterField(
            model_name="team",
            name="manager",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="managed_teams",
                to=settings.AUTH_USER_MODEL,
                verbose_name="manager",
            ),
        ),
        migrations.AlterField(
            model_name="team",
            name="name",
            field=models.CharField(max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="team",
            name="time_zone",
            field=models.CharField(default="UTC", max_length=64, verbose_name="time zone"),
        ),
        migrations.AlterField(
            model_name="team",
            name="workday_end",
            field=models.TimeField(
                default=funnel.models.default_workday_end, verbose_name="workday end"
            ),
        ),
        migrations.AlterField(
            model_name="team",
            name="workday_start",
            field=models.TimeField(
                default=funnel.models.default_workday_start, verbose_name="workday start"
            ),
        ),
        migrations.AlterField(
            model_name="team",
            name="working_days",
            field=models.JSONField(
                default=funnel.models.default_working_days,
                help_text="Weekday numbers, Monday = 0.",
                verbose_name="working days",
            ),
        ),
        migrations.AlterField(
            model_name="territory",
            name="countries",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="ISO 3166 alpha-2 codes.",
                verbose_name="countries",
            ),
        ),
        migrations.AlterField(
            model_name="territory",
            name="key",
            field=models.SlugField(unique=True, verbose_name="key"),
        ),
        migrations.AlterField(
            model_name="territory",
            name="name",
            field=models.CharField(max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="user",
            name="language",
            field=models.CharField(
                blank=True,
                choices=[("en", "English"), ("ru", "Русский")],
                db_default="",
                default="",
                max_length=10,
                verbose_name="language",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="role",
            field=models.CharField(
                choices=[
                    ("admin", "Admin"),
                    ("marketing", "Marketing"),
                    ("inside", "Inside qualifier"),
                    ("sales", "Sales rep"),
                    ("manager", "Manager"),
                    ("integration", "Integration"),
                ],
                default="sales",
                max_length=20,
                verbose_name="role",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="team",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="members",
                to="funnel.team",
                verbose_name="team",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="territory",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="members",
                to="funnel.territory",
                verbose_name="territory",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="time_zone",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=64, verbose_name="time zone"
            ),
        ),
    ]
