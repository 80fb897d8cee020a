"""Working-time arithmetic on a team's clock: its time zone, working days and hours.

Small and dependency-free on purpose: the business-hours libraries on PyPI are pytz-based and
unmaintained, and this needs only "add N working hours".
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from funnel.models import Team

# A year of days: a calendar with no working time at all must not loop forever.
MAX_DAYS = 400


def working_add(start: datetime.datetime, hours: Decimal | float, team: Team) -> datetime.datetime:
    """The moment `hours` of the team's working time after `start` (an aware datetime).

    Time outside working hours does not count: 2 working hours from Friday 16:00 on a 9-17,
    Monday-to-Friday clock is Monday 10:00.
    """
    if not team.working_days:
        raise ValueError(f"Team {team.key} has no working days.")
    tz = ZoneInfo(team.time_zone)
    remaining = datetime.timedelta(hours=float(hours))
    moment = start.astimezone(tz)
    for _ in range(MAX_DAYS):
        day = moment.date()
        if day.weekday() in team.working_days:
            opens = datetime.datetime.combine(day, team.workday_start, tz)
            closes = datetime.datetime.combine(day, team.workday_end, tz)
            moment = max(moment, opens)
            if moment < closes:
                if moment + remaining <= closes:
                    return (moment + remaining).astimezone(datetime.UTC)
                remaining -= closes - moment
        moment = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tz)
    raise ValueError(f"Team {team.key} has no working time within {MAX_DAYS} days.")
