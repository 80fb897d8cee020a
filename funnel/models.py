"""The funnel: teams and people, stages and the moves between them, leads and their history.

A funnel is data. Stages, the moves allowed between them (and who may make each), and the
handoff pairs that sit on either side of a team boundary are rows users edit, not code.
"""

import datetime
import secrets
import uuid
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MARKETING = "marketing", "Marketing"
    INSIDE = "inside", "Inside qualifier"
    SALES = "sales", "Sales rep"
    MANAGER = "manager", "Manager"
    INTEGRATION = "integration", "Integration"


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


class Lead(models.Model):
    email = models.EmailField(max_length=254, blank=True, db_index=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    company = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2.")
    region = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=100, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=100, blank=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    # NULL, not "", for no id: the unique constraint covers only leads that have one.
    external_id = models.CharField(  # noqa: DJ001
        max_length=100, null=True, blank=True, help_text="Id in the marketing automation platform."
    )
    crm_id = models.CharField(max_length=100, blank=True)
    score = models.IntegerField(default=0)
    # Written only by funnel.services.lead_transition (and lead_create for the first stage).
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="leads")
    stage_entered_at = models.DateTimeField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_leads",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    recycle_count = models.PositiveIntegerField(default=0)
    attributes = models.JSONField(default=dict, blank=True)
    # A merged duplicate is kept, never deleted, so its history stays; it points at the survivor.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_leads"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    # A default, not auto_now_add, so imports and demo data keep their original creation time.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=Q(external_id__isnull=False),
                name="lead_unique_external_id",
            ),
            # A lead is one person: one per email among leads the MAP has not given an id.
            models.UniqueConstraint(
                fields=["email"],
                condition=Q(external_id__isnull=True) & ~Q(email=""),
                name="lead_unique_email_without_external_id",
            ),
            models.CheckConstraint(
                condition=~Q(email="") | Q(external_id__isnull=False),
                name="lead_has_email_or_external_id",
            ),
            models.CheckConstraint(
                condition=Q(email=Lower(Trim("email"))), name="lead_email_normalized"
            ),
        ]
        indexes = [
            models.Index(fields=["stage", "owner"], name="lead_stage_owner"),
            models.Index(fields=["owner", "stage"], name="lead_owner_stage"),
            models.Index(fields=["campaign"], name="lead_campaign"),
            models.Index(fields=["updated_at"], name="lead_updated_at"),
            models.Index(fields=["-score"], name="lead_score_desc"),
        ]

    def __str__(self):
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} <{self.email}>" if name else (self.email or self.external_id)


class StageTransition(models.Model):
    """One stage change of one lead. Append-only: the database refuses updates and deletes."""

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="transitions")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Who made the move when no user did: an integration's name or "system".
    actor_label = models.CharField(max_length=100, blank=True)
    handoff = models.ForeignKey(
        HandoffPair, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.ForeignKey(
        ReasonCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["lead", "at"], name="transition_lead_at"),
            models.Index(fields=["to_stage", "at"], name="transition_to_at"),
            models.Index(fields=["at"], name="transition_at"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="stage_transition_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self):
        origin = self.from_stage.key if self.from_stage_id else "new"
        return f"Lead {self.lead_id}: {origin} → {self.to_stage.key}, {self.at:%Y-%m-%d %H:%M}"


class EventType(models.TextChoices):
    LEAD_CREATED = "lead.created"
    LEAD_STAGE_CHANGED = "lead.stage_changed"
    LEAD_DISPOSITIONED = "lead.dispositioned"
    LEAD_MERGED = "lead.merged"
    OFFER_CREATED = "offer.created"
    OFFER_ACCEPTED = "offer.accepted"
    OFFER_REJECTED = "offer.rejected"
    SLA_BREACHED = "sla.breached"
    RATIO_DRIFTED = "ratio.drifted"


class Event(models.Model):
    """The outbox: every change integrations hear about, written in the change's transaction.

    `id` is the sequence number: events are numbered in commit order (see funnel.events).
    """

    id = models.BigAutoField(primary_key=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["type", "id"], name="event_type_id")]

    def __str__(self):
        return f"#{self.id} {self.type}"


def webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Event types; empty for all.")
    secret = models.CharField(max_length=100, default=webhook_secret)
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead-lettered"


class WebhookDelivery(models.Model):
    """One event to one subscriber, retried with backoff until delivered or dead-lettered."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="deliveries")
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="delivery_once_per_subscriber"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_pending_due",
            ),
        ]

    def __str__(self):
        return f"{self.event} to {self.subscription} ({self.status})"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"attempt at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"


class IdempotencyRecord(models.Model):
    """The first answer to a request sent with an Idempotency-Key, replayed to its retries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user"),
        ]

    def __str__(self):
        return f"{self.key} ({self.endpoint})"
