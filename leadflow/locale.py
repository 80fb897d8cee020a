"""Each signed-in user's own language and time zone, over what the browser asks for.

Django's LocaleMiddleware picks the language from the browser's Accept-Language (or the
language cookie); this middleware, after authentication, then switches to the language the user
chose in Preferences, if any, and to their time zone for every date and time shown. The user row
is the one `request.user` loads for the view anyway, so it costs no query of its own.
"""

from __future__ import annotations

import datetime
import functools
import zoneinfo

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone, translation

# Not places: the system's alias of its own clock and tzdata's placeholder zone.
NOT_TIME_ZONES = frozenset({"localtime", "Factory"})


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """The IANA time zones a user or a team may be given, sorted (read once per process)."""
    return tuple(sorted(zoneinfo.available_timezones() - NOT_TIME_ZONES))


def local_tz() -> zoneinfo.ZoneInfo:
    """The installation's clock (TIME_ZONE): where every report's days and weeks begin."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: datetime.date) -> datetime.datetime:
    """When `day` starts on the installation's clock."""
    return datetime.datetime.combine(day, datetime.time(), local_tz())


def user_language(user) -> str:
    """The language to speak to `user` where no browser asks (email): theirs, else the site's."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def speaking_to(user):
    """Write what `user` will read in their language: `with speaking_to(user): ...`."""
    return translation.override(user_language(user))


def user_time_zone(user) -> zoneinfo.ZoneInfo:
    """The clock `user` reads times on: the one they chose, else the site's TIME_ZONE."""
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class UserLocaleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            user = request.user if request.user.is_authenticated else None
        except DatabaseError:
            # The database is away: the view fails too, and answers the app's 503 page
            # (DatabaseUnavailableMiddleware), in the browser's language.
            user = None
        if user is not None and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        # Set for every request, as LocaleMiddleware sets the language: a thread serves the next
        # request with nothing left over from this one (a streamed response reads it after).
        if user is not None:
            timezone.activate(user_time_zone(user))
        else:
            timezone.deactivate()
        return self.get_response(request)
