"""Reads of the signed-in user's own things: their notifications, how each kind reaches them,
their time away. (The selectors of the account pages, beside handoff/selectors.py.)"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from funnel.models import User
from handoff.models import Notification, NotificationDelivery, NotificationPreference

# The badge stops counting here: "99+" says enough.
UNREAD_SHOWN_MAX = 99


@dataclass(frozen=True)
class Account:
    """What the header and the preferences page show of a user, read in one query."""

    today: datetime.date
    unread: int = 0
    away_from: datetime.date | None = None
    away_until: datetime.date | None = None

    @property
    def unread_label(self) -> str:
        return f"{UNREAD_SHOWN_MAX}+" if self.unread > UNREAD_SHOWN_MAX else str(self.unread)

    @property
    def away_now(self) -> bool:
        """Away today, as routing reads it (handoff.services.routing._unavailable)."""
        if not (self.away_from or self.away_until):
            return False
        return (self.away_from is None or self.away_from <= self.today) and (
            self.away_until is None or self.today <= self.away_until
        )

    @property
    def away_ahead(self) -> bool:
        """Time away is set and starts after today."""
        return bool(self.away_from and self.away_from > self.today)

    @property
    def away_over(self) -> bool:
        """Nothing set, or the last day away has passed: the dates no longer mean anything."""
        return not (self.away_now or self.away_ahead)


def local_today(time_zone: str | None) -> datetime.date:
    """Today where the user's team works (as routing counts days), else in TIME_ZONE."""
    if time_zone:
        return timezone.localdate(timezone=ZoneInfo(time_zone))
    return timezone.localdate()


def account_get(*, user: User) -> Account:
    """The user's unread count, time away and today, in one query by primary and foreign keys
    (the count by the notification_user_unread index); nothing to read for an anonymous one."""
    if not user.is_authenticated:
        return Account(today=local_today(None))
    unread = (
        Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(unread=Coalesce(Subquery(unread), 0))
        .values("unread", "team__time_zone", "rep_profile__away_from", "rep_profile__away_until")
        .get()
    )
    return Account(
        today=local_today(row["team__time_zone"]),
        unread=row["unread"],
        away_from=row["rep_profile__away_from"],
        away_until=row["rep_profile__away_until"],
    )


def notification_list(*, user: User):
    """The user's notifications, newest first (the notification_user_newest index)."""
    return (
        Notification.objects.filter(user=user)
        .only("id", "kind", "subject", "body", "created_at", "read_at", "lead_id")
        .order_by("-created_at", "-id")
    )


def notification_deliveries(*, user: User) -> dict[str, str]:
    """How the user takes each kind of notification: {kind: delivery}, every kind present."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return {kind: chosen.get(kind, NotificationDelivery.EMAIL) for kind in Notification.Kind.values}
