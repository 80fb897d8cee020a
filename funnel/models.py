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
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MARKETING = "marketing", _("Marketing")
    INSIDE = "inside", _("Inside qualifier")
    SALES = "sales", _("Sales rep")
    MANAGER = "manager", _("Manager")
    INTEGRATION = "integration", _("Integration")


EVERYONE = tuple(Role.values)  # every role: for endpoints any signed-in user may read


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday, as datetime.weekday() numbers them


def default_workday_start() -> datetime.time:
    return datetime.time(9, 0)


def default_workday_end() -> datetime.time:
    return datetime.time(17, 0)


class Team(models.Model):
    key = models.SlugField(
        verbose_name=_("key"),
        max_length=50,
        unique=True,
        help_text=_("Stable key used by the API."),
    )
    name = models.CharField(verbose_name=_("name"), max_length=100)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    # The team's clock: SLA terms of handoffs this team receives run on it.
    time_zone = models.CharField(verbose_name=_("time zone"), max_length=64, default="UTC")
    workday_start = models.TimeField(verbose_name=_("workday start"), default=default_workday_start)
    workday_end = models.TimeField(verbose_name=_("workday end"), default=default_workday_end)
    working_days = models.JSONField(
        verbose_name=_("working days"),
        default=default_working_days,
        help_text=_("Weekday numbers, Monday = 0."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name


class User(AbstractUser):
    role = models.CharField(
        verbose_name=_("role"), max_length=20, choices=Role.choices, default=Role.SALES
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    territory = models.ForeignKey(
        "Territory",
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    # How pages and emails speak to this user (leadflow/locale.py): a blank language follows
    # the browser on pages and LANGUAGE_CODE in email; a blank time zone is the site's.
    # db_default: rows written by code that predates these columns (old migrations) get "".
    language = models.CharField(
        verbose_name=_("language"),
        max_length=10,
        blank=True,
        default="",
        db_default="",
        choices=settings.LANGUAGES,
    )
    time_zone = models.CharField(
        verbose_name=_("time zone"), max_length=64, blank=True, default="", db_default=""
    )

    @property
    def effective_role(self) -> str:
        """Superusers act as admins, whatever their stored role."""
        return Role.ADMIN if self.is_superuser else self.role


class Territory(models.Model):
    key = models.SlugField(verbose_name=_("key"), max_length=50, unique=True)
    name = models.CharField(verbose_name=_("name"), max_length=100)
    countries = models.JSONField(
        verbose_name=_("countries"),
        default=list,
        blank=True,
        help_text=_("ISO 3166 alpha-2 codes."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("territory")
        verbose_name_plural = _("territories")

    def __str__(self):
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    RECYCLE = "recycle", _("Recycle")
    DISQUALIFIED = "disqualified", _("Disqualified")


class Stage(models.Model):
    key = models.SlugField(
        verbose_name=_("key"),
        max_length=50,
        unique=True,
        help_text=_("Stable key used by the API."),
    )
    name = models.CharField(verbose_name=_("name"), max_length=100)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="stages"
    )
    position = models.PositiveIntegerField(verbose_name=_("position"), default=0)
    kind = models.CharField(
        verbose_name=_("kind"), max_length=20, choices=StageKind.choices, default=StageKind.OPEN
    )
    entry_criteria = models.TextField(verbose_name=_("entry criteria"), blank=True)
    active = models.BooleanField(verbose_name=_("active"), default=True)

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    def __str__(self):
        return self.name


class ReasonPurpose(models.TextChoices):
    # What a reason is for (nouns, not the buttons that make the move).
    REJECT = "reject", pgettext_lazy("reason purpose", "Reject")
    DISQUALIFY = "disqualify", pgettext_lazy("reason purpose", "Disqualify")
    RECYCLE = "recycle", pgettext_lazy("reason purpose", "Recycle")
    LOST = "lost", pgettext_lazy("reason purpose", "Lost")


class StageMove(models.Model):
    """One allowed move. A move with no from-stage is an entry point for new leads."""

    from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("from stage"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="moves_out",
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("to stage"), on_delete=models.CASCADE, related_name="moves_in"
    )
    roles = models.JSONField(
        verbose_name=_("roles"),
        default=list,
        blank=True,
        help_text=_("Roles that may make the move."),
    )
    reason_purposes = models.JSONField(
        verbose_name=_("reason purposes"),
        default=list,
        blank=True,
        help_text=_("If set, the move needs a reason code of one of these purposes."),
    )

    class Meta:
        verbose_name = _("stage move")
        verbose_name_plural = _("stage moves")
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

    key = models.SlugField(verbose_name=_("key"), max_length=50, unique=True)
    name = models.CharField(verbose_name=_("name"), max_length=100)
    offered_stage = models.OneToOneField(
        Stage,
        verbose_name=_("offered stage"),
        on_delete=models.PROTECT,
        related_name="handoff_offered",
    )
    accepted_stage = models.OneToOneField(
        Stage,
        verbose_name=_("accepted stage"),
        on_delete=models.PROTECT,
        related_name="handoff_accepted",
    )
    reject_stage = models.ForeignKey(
        Stage,
        verbose_name=_("reject stage"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Where a rejected lead goes."),
    )
    sending_team = models.ForeignKey(
        Team, verbose_name=_("sending team"), on_delete=models.PROTECT, related_name="+"
    )
    receiving_team = models.ForeignKey(
        Team, verbose_name=_("receiving team"), on_delete=models.PROTECT, related_name="+"
    )
    target_rate = models.DecimalField(
        verbose_name=_("target rate"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("1.000"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("Target acceptance rate, 0 to 1 (1 = 100%)."),
    )

    class Meta:
        ordering = ["offered_stage__position"]
        verbose_name = _("handoff pair")
        verbose_name_plural = _("handoff pairs")
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
        EMAIL = "email", _("Email")
        WEBINAR = "webinar", _("Webinar")
        EVENT = "event", pgettext_lazy("campaign channel", "Event")
        PAID_SEARCH = "paid_search", _("Paid search")
        SOCIAL = "social", _("Social")
        CONTENT = "content", _("Content")
        REFERRAL = "referral", _("Referral")
        OTHER = "other", _("Other")

    name = models.CharField(verbose_name=_("name"), max_length=200, unique=True)
    channel = models.CharField(
        verbose_name=_("channel"), max_length=20, choices=Channel.choices, default=Channel.OTHER
    )
    start = models.DateField(verbose_name=_("start"), null=True, blank=True)
    end = models.DateField(verbose_name=_("end"), null=True, blank=True)
    cost = models.DecimalField(
        verbose_name=_("cost"), max_digits=12, decimal_places=2, default=Decimal(0)
    )

    class Meta:
        ordering = ["-start", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
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
    code = models.SlugField(verbose_name=_("code"), max_length=50)
    label = models.CharField(verbose_name=_("label"), max_length=200)
    purpose = models.CharField(
        verbose_name=_("purpose"), max_length=20, choices=ReasonPurpose.choices
    )
    active = models.BooleanField(verbose_name=_("active"), default=True)
    position = models.PositiveIntegerField(verbose_name=_("position"), default=0)

    class Meta:
        ordering = ["purpose", "position", "label"]
        verbose_name = _("reason code")
        verbose_name_plural = _("reason codes")
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

    handoff = models.ForeignKey(
        HandoffPair, verbose_name=_("handoff"), on_delete=models.CASCADE, related_name="targets"
    )
    rate = models.DecimalField(
        verbose_name=_("rate"),
        max_digits=4,
        decimal_places=3,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("Target acceptance rate, 0 to 1 (1 = 100%)."),
    )
    effective_from = models.DateField(
        verbose_name=_("effective from"),
        help_text=_("The first day (local time) the target holds."),
    )
    # A default, not auto_now_add: a baseline version is recorded as known since ever.
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["handoff", "-effective_from"]
        verbose_name = _("handoff target")
        verbose_name_plural = _("handoff targets")
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
