"""Weeks as reports count them: Monday to Sunday in the installation's time zone (TIME_ZONE),
named by ISO week ("2026-W47")."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leadflow.locale import local_tz
from reporting.params import week_start

ISO_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)

# Plain (English) strings, translated as they are raised.
BAD_WEEK = gettext_noop("Give the week as an ISO week such as 2026-W47, not '{text}'.")
NO_SUCH_WEEK = gettext_noop("{year} has no week {number}: ISO years have 52 or 53 weeks.")
WEEK_NOT_OVER = gettext_noop("The week {label} is not over yet: only complete weeks are reported.")


class WeekError(ValueError):
    pass


def week_parse(text: str) -> datetime.date:
    """The Monday of an ISO week written as "2026-W47" (or "2026W47")."""
    match = ISO_WEEK.match(text or "")
    if not match:
        raise WeekError(_(BAD_WEEK).format(text=text))
    year, number = int(match[1]), int(match[2])
    try:
        return datetime.date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise WeekError(_(NO_SUCH_WEEK).format(year=year, number=number)) from exc


def week_label(monday: datetime.date) -> str:
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}"


def week_today(now: datetime.datetime | None = None) -> datetime.date:
    """Today in the installation's time zone."""
    return timezone.localtime(now or timezone.now(), local_tz()).date()


def week_last_complete(now: datetime.datetime | None = None) -> datetime.date:
    """The Monday of the last week that has ended (Monday to Sunday, local time)."""
    return week_start(week_today(now)) - datetime.timedelta(days=7)


def week_check_complete(monday: datetime.date, now: datetime.datetime | None = None) -> None:
    """Refuse a week that has not ended yet: its figures would still move."""
    if monday > week_last_complete(now):
        raise WeekError(_(WEEK_NOT_OVER).format(label=week_label(monday)))


def week_shift(monday: datetime.date, weeks: int) -> datetime.date:
    return monday + datetime.timedelta(weeks=weeks)
