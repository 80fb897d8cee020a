"""Closed-loop reporting: watched ratios, their drift alerts, and weekly report snapshots.

The reports themselves are computed from history on demand (reporting.selectors); only what
must not move later is stored: alerts raised and weekly reports sent.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funnel.models import HandoffPair, Stage


class RatioWatch(models.Model):
    """A ratio whose drift raises alerts: a handoff's acceptance rate, or a stage-to-stage one."""

    class Kind(models.TextChoices):
        ACCEPTANCE = "acceptance", _("Handoff acceptance rate")
        CONVERSION = "conversion", _("Stage-to-stage conversion")

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    handoff = models.ForeignKey(
        HandoffPair, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    to_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target = models.DecimalField(
        max_digits=4, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("For conversions; a handoff's target is its target rate."),
    )  # fmt: skip
    threshold = models.DecimalField(
        max_digits=4, decimal_places=3, default=Decimal("0.15"),
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal(1))],
        help_text=_(
            "How far (as a fraction, 0.15 = 15 points) the week may depart before an alert."
        ),
    )  # fmt: skip
    min_volume = models.PositiveIntegerField(
        default=10, help_text=_("Weeks with fewer decisions (or entries) raise no alert.")
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="acceptance", handoff__isnull=False))
                | (Q(kind="conversion", from_stage__isnull=False, to_stage__isnull=False)),
                name="ratiowatch_defines_its_ratio",
            ),
        ]

    def __str__(self):
        return self.name


class RatioAlert(models.Model):
    """One ratio that drifted in one week. Raised once per ratio per week."""

    watch = models.ForeignKey(RatioWatch, on_delete=models.CASCADE, related_name="alerts")
    week = models.DateField(help_text=_("Monday of the week, in the installation's time zone."))
    value = models.FloatField()
    volume = models.PositiveIntegerField()
    target = models.FloatField(null=True, blank=True)
    baseline = models.FloatField(null=True, blank=True, help_text=_("Trailing 8-week mean."))
    reasons = models.JSONField(default=list, help_text=_('"target" and/or "trend".'))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-week", "watch"]
        constraints = [
            models.UniqueConstraint(fields=["watch", "week"], name="alert_once_per_ratio_week"),
        ]

    def __str__(self):
        return f"{self.watch} in the week of {self.week}: {self.value:.0%}"


class WeeklyReport(models.Model):
    """The weekly feedback report of one week, kept as built so later edits do not rewrite it."""

    week = models.DateField(unique=True, help_text=_("Monday of the week reported on."))
    data = models.JSONField()
    html = models.TextField()
    built_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week"]

    def __str__(self):
        year, number, _day = self.week.isocalendar()
        return f"Weekly report {year}-W{number:02d}"
