"""The funnel's definition and its people: teams, users, territories, stages, moves, handoffs.

A funnel is data. Stages, the moves allowed between them (and who may make each), and the
handoff pairs that sit on either side of a team boundary are rows users edit, not code.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MARKETING = "marketing", "Marketing"
    INSIDE = "inside", "Inside qualifier"
    SALES = "sales", "Sales rep"
    MANAGER = "manager", "Manager"
    INTEGRATION = "integration", "Integration"


EVERYONE = tuple(Role.values)  # every role: for endpoints any signed-in user may read


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday, as datetime.weekday() numbers them


def default_workday_start() -> datetime.time:
    return datetime.time(9, 0)


def default_workday_end() -> datetime.time:
    return datetime.time(17, 0)


class Team(models.Model):
    key = models.SlugField(max_length=50, unique=True, help_text="Stable key used by the API.")
    name = models.CharField(max_length=100)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    # The team's clock: SLA terms of handoffs this team receives run on it.
    time_zone = models.CharField(max_length=64, default="UTC")
    workday_start = models.TimeField(default=default_workday_start)
    workday_end = models.TimeField(default=default_workday_end)
    working_days = models.JSONField(
        default=default_working_days, help_text="Weekday numbers, Monday = 0."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.SALES)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    territory = models.ForeignKey(
        "Territory", null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )

    @property
    def effective_role(self) -> str:
        """Superusers act as admins, whatever their stored role."""
        return Role.ADMIN if self.is_superuser else self.role


class Territory(models.Model):
    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    countries = models.JSONField(default=list, blank=True, help_text="ISO 3166 alpha-2 codes.")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "territories"

    def __str__(self):
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    RECYCLE = "recycle", "Recycle"
    DISQUALIFIED = "disqualified", "Disqualified"


class Stage(models.Model):
    key = models.SlugField(max_length=50, unique=True, help_text="Stable key used by the API.")
    name = models.CharField(max_length=100)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="stages")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=StageKind.choices, default=StageKind.OPEN)
    entry_criteria = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "key"]

    def __str__(self):
        return self.name


class ReasonPurpose(models.TextChoices):
    REJECT = "reject", "Reject"
    DISQUALIFY = "disqualify", "Disqualify"
    RECYCLE = "recycle", "Recycle"
    LOST = "lost", "Lost"


class StageMove(models.Model):
    """One allowed move. A move with no from-stage is an entry point for new leads."""

    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.CASCADE, related_name="moves_out"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="moves_in")
    roles = models.JSONField(default=list, blank=True, help_text="Roles that may make the move.")
    reason_purposes = models.JSONField(
        default=list,
        blank=True,
        help_text="If set, the move needs a reason code of one of these purposes.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_stage", "to_stage"],
                condition=Q(from_stage__isnull=False),
                name="stagemove_unique_pair",
            ),
            models.UniqueConstraint(
                fields=["to_stage"],
                condition=Q(from_stage__isnull=True),
                name="stagemove_unique_entry",
            ),
        ]

    def __str__(self):
        return f"{self.from_stage or '(new lead)'} → {self.to_stage}"


class HandoffPair(models.Model):
    """A handoff between teams: the sender offers into one stage, the receiver accepts into another.

    Keeping two stages makes acceptance a measured event; `target_rate` is the design parameter.
    """

    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    offered_stage = models.OneToOneField(
        Stage, on_delete=models.PROTECT, related_name="handoff_offered"
    )
    accepted_stage = models.OneToOneField(
        Stage, on_delete=models.PROTECT, related_name="handoff_accepted"
    )
    reject_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="+", help_text="Where a rejected lead goes."
    )
    sending_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    receiving_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    target_rate = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("1.000"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text="Target acceptance rate, 0 to 1 (1 = 100%).",
    )

    class Meta:
        ordering = ["offered_stage__position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_rate__gte=0) & Q(target_rate__lte=1),
                name="handoffpair_target_rate_fraction",
            ),
            models.CheckConstraint(
                condition=~Q(offered_stage=models.F("accepted_stage")),
                name="handoffpair_distinct_stages",
            ),
        ]

    def __str__(self):
        return self.name


class Campaign(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBINAR = "webinar", "Webinar"
        EVENT = "event", "Event"
        PAID_SEARCH = "paid_search", "Paid search"
        SOCIAL = "social", "Social"
        CONTENT = "content", "Content"
        REFERRAL = "referral", "Referral"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.OTHER)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))

    class Meta:
        ordering = ["-start", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True)
                | Q(start__isnull=True)
                | Q(end__gte=models.F("start")),
                name="campaign_end_after_start",
            ),
            models.CheckConstraint(condition=Q(cost__gte=0), name="campaign_cost_not_negative"),
        ]

    def __str__(self):
        return self.name


class ReasonCode(models.Model):
    code = models.SlugField(max_length=50)
    label = models.CharField(max_length=200)
    purpose = models.CharField(max_length=20, choices=ReasonPurpose.choices)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["purpose", "position", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "code"], name="reasoncode_unique_per_purpose"
            ),
        ]

    def __str__(self):
        return f"{self.label} ({self.get_purpose_display()})"


# A version of a handoff's target "since ever": what a pair's own target_rate was before its
# targets had dates (the data migration and a pair's first dated change record it from then).
TARGETS_SINCE = datetime.date(2000, 1, 1)
TARGETS_KNOWN_SINCE = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


class HandoffTarget(models.Model):
    """A handoff's target acceptance rate from a day on: a change of target is a new version.

    The target in force on a day is the version with the latest `effective_from` on or before
    it (funnel.selectors.target_in_force); `created_at` is when the version was recorded, so an
    as-of report reads the targets known then.
    """

    handoff = models.ForeignKey(HandoffPair, on_delete=models.CASCADE, related_name="targets")
    rate = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text="Target acceptance rate, 0 to 1 (1 = 100%).",
    )
    effective_from = models.DateField(help_text="The first day (local time) the target holds.")
    # A default, not auto_now_add: a baseline version is recorded as known since ever.
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["handoff", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["handoff", "effective_from"], name="handofftarget_unique_day"
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=1), name="handofftarget_rate_fraction"
            ),
        ]

    def __str__(self):
        percent = f"{(self.rate * 100).normalize():f}%"
        return f"{self.handoff}: {percent} from {self.effective_from.isoformat()}"
