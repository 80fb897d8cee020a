"""The signed-in user's own settings: time away (which routing reads) and, with it on one page,
how each kind of notification reaches them and the language and time zone they read in."""

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


def user_locale_update(*, user: User, language: str, time_zone: str) -> None:
    """Set the language and time zone pages and emails use for `user` (leadflow/locale.py);
    blank is the browser's language and the site's TIME_ZONE. The form checks the values.
    Updates `user` itself too, so the rest of the request reads them."""
    if (user.language, user.time_zone) == (language, time_zone):
        return
    user.language, user.time_zone = language, time_zone
    user.save(update_fields=["language", "time_zone"])


@transaction.atomic
def preferences_update(
    *,
    user: User,
    away_from: datetime.date | None,
    away_until: datetime.date | None,
    deliveries: dict[str, str],
    language: str | None = None,
    time_zone: str | None = None,
) -> RepProfile | None:
    """Save the preferences page: time away, each kind's delivery, and the language and time
    zone, together or not at all. A language or time zone of None is left as it is."""
    notification_deliveries_update(user=user, deliveries=deliveries)
    if language is not None or time_zone is not None:
        user_locale_update(
            user=user,
            language=user.language if language is None else language,
            time_zone=user.time_zone if time_zone is None else time_zone,
        )
    return rep_away_update(user=user, away_from=away_from, away_until=away_until)
