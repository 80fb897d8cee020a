"""Integrations: the event outbox and the webhooks that deliver it to subscribers."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    LEAD_CREATED = "lead.created"
    LEAD_STAGE_CHANGED = "lead.stage_changed"
    LEAD_DISPOSITIONED = "lead.dispositioned"
    LEAD_MERGED = "lead.merged"
    OFFER_CREATED = "offer.created"
    OFFER_ACCEPTED = "offer.accepted"
    OFFER_REJECTED = "offer.rejected"
    OFFER_ASSIGNED = "offer.assigned"
    SLA_BREACHED = "sla.breached"
    RATIO_DRIFTED = "ratio.drifted"


class Event(models.Model):
    """The outbox: every change integrations hear about, written in the change's transaction.

    `position` is the feed's sequence number, given after commit in commit order by
    `integrations.events.events_sequence`; an event without one is not in the feed yet.
    """

    id = models.BigAutoField(primary_key=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)
    position = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        db_table = "funnel_event"  # the tables these models were born with, kept when they moved
        ordering = ["id"]
        indexes = [
            models.Index(fields=["type", "id"], name="event_type_id"),
            models.Index(fields=["type", "position"], name="event_type_position"),
            # What the sequencer looks for: few rows, however long the history.
            models.Index(
                fields=["id"], condition=models.Q(position__isnull=True), name="event_unsequenced"
            ),
        ]

    def __str__(self):
        return f"#{self.id} {self.type}"


def webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    url = models.URLField(verbose_name=_("url"), max_length=500)
    events = models.JSONField(
        verbose_name=_("events"), default=list, help_text=_("Event types; empty for all.")
    )
    secret = models.CharField(verbose_name=_("secret"), max_length=100, default=webhook_secret)
    active = models.BooleanField(verbose_name=_("active"), default=True)
    description = models.CharField(verbose_name=_("description"), max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="webhooks",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)

    class Meta:
        db_table = "funnel_webhooksubscription"
        ordering = ["id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self):
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Dead-lettered")


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
        db_table = "funnel_webhookdelivery"
        ordering = ["-id"]
        verbose_name_plural = _("webhook deliveries")
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
        db_table = "funnel_webhookattempt"
        ordering = ["at", "id"]

    def __str__(self):
        return f"attempt at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"
