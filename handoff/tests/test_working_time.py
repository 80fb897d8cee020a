import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from funnel.models import Team
from handoff.working_time import working_add

BERLIN = ZoneInfo("Europe/Berlin")


def _team(**kwargs) -> Team:
    return Team(key="sales", name="Sales", time_zone="Europe/Berlin", **kwargs)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2026, 11, 23, 10), 2, at(2026, 11, 23, 12)),  # Monday, inside the day
        (at(2026, 11, 23, 16), 2, at(2026, 11, 24, 10)),  # runs over into Tuesday
        (at(2026, 11, 23, 7), 1, at(2026, 11, 23, 10)),  # before opening counts from 9:00
        (at(2026, 11, 23, 20), 8, at(2026, 11, 24, 17)),  # after closing: all of Tuesday
        (at(2026, 11, 27, 16), 2, at(2026, 11, 30, 10)),  # Friday over the weekend
        (at(2026, 11, 28, 12), 8, at(2026, 11, 30, 17)),  # Saturday: Monday's whole day
        (at(2026, 11, 23, 9), 40, at(2026, 11, 27, 17)),  # one working week
        (at(2026, 11, 23, 9), Decimal("0.5"), at(2026, 11, 23, 9, 30)),
    ],
)
def test_working_hours_skip_nights_and_weekends(start, hours, expected):
    assert working_add(start, hours, _team()) == expected


def test_the_result_is_in_utc_and_the_team_time_zone_applies():
    new_york = Team(key="us", name="US", time_zone="America/New_York")
    start = datetime.datetime(2026, 11, 23, 21, 0, tzinfo=datetime.UTC)  # 16:00 in New York

    due = working_add(start, 2, new_york)

    assert due == datetime.datetime(2026, 11, 24, 15, 0, tzinfo=datetime.UTC)  # Tue 10:00 NY
    assert due.tzinfo == datetime.UTC


def test_a_clock_across_a_daylight_saving_change_keeps_wall_hours():
    """Berlin leaves summer time on Sunday 2026-10-25; Monday 9:00 is then UTC+1."""
    due = working_add(at(2026, 10, 23, 16), 2, _team())

    assert due == at(2026, 10, 26, 10)
    assert due.utcoffset() == datetime.timedelta(0)
    assert due.astimezone(BERLIN).utcoffset() == datetime.timedelta(hours=1)


def test_custom_days_and_hours():
    weekend_shift = _team(
        working_days=[5, 6], workday_start=datetime.time(10), workday_end=datetime.time(14)
    )

    assert working_add(at(2026, 11, 23, 9), 6, weekend_shift) == at(2026, 11, 29, 12)


def test_a_team_without_working_days_is_refused():
    with pytest.raises(ValueError, match="no working days"):
        working_add(at(2026, 11, 23, 9), 1, _team(working_days=[]))
