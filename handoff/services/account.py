"""The signed-in user's own settings: time away (which routing reads) and, with it on one page,
how each kind of notification reaches them."""

from __future__ import annotations

import datetime

from django.db import transaction

from funnel.models import User
from handoff.models import RepProfile
from handoff.services.notifications import notification_deliveries_update


@transaction.atomic
def rep_away_update(
    *, user: User, away_from: datetime.date | None, away_until: datetime.date | None
) -> RepProfile | None:
    """Set the user's time away, from `away_from` (None: now) to `away_until`, their last day
    (None: open-ended); both None ends it. Routing skips them meanwhile. The form checks the
    dates."""
    profile = RepProfile.objects.select_for_update().filter(user=user).first()
    if profile is None and away_from is None and away_until is None:
        return None  # never away, and nothing to end: no profile needed
    if profile is None:
        profile, _ = RepProfile.objects.get_or_create(user=user)
    if (profile.away_from, profile.away_until) != (away_from, away_until):
        profile.away_from, profile.away_until = away_from, away_until
        profile.save(update_fields=["away_from", "away_until"])
    return profile


@transaction.atomic
def preferences_update(
    *,
    user: User,
    away_from: datetime.date | None,
    away_until: datetime.date | None,
    deliveries: dict[str, str],
) -> RepProfile | None:
    """Save the preferences page: time away and each kind's delivery, together or not at all."""
    notification_deliveries_update(user=user, deliveries=deliveries)
    return rep_away_update(user=user, away_from=away_from, away_until=away_until)
