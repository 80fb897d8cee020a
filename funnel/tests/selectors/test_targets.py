"""A handoff's target over time: the version in force on a day, as recorded by a moment.

The history below (today is Sunday 15 March 2026 in UTC):

  recorded          rate  effective from
  (known since ever) 1.0  2000-01-01   the pair's own rate, recorded by its first dated change
  2026-01-10 09:00   0.8  2026-01-01   a correction, set after the day it takes effect
  2026-03-15 12:00   0.6  2026-03-15   today
  2026-03-15 12:00   0.9  2026-07-01   next quarter
"""

import datetime
from decimal import Decimal

import pytest
import time_machine

from funnel.models import HandoffPair, HandoffTarget
from funnel.selectors import handoff_targets, target_in_force, targets_by_day
from funnel.services import handoff_target_set

UTC = datetime.UTC
D = datetime.date
TODAY = datetime.datetime(2026, 3, 15, 12, tzinfo=UTC)


@pytest.fixture
def pair(funnel):
    return HandoffPair.objects.get(key="mql_sal")


@pytest.fixture
def history(pair):
    with time_machine.travel(datetime.datetime(2026, 1, 10, 9, tzinfo=UTC), tick=False):
        handoff_target_set(
            handoff=pair, rate=Decimal("0.8"), effective_from=D(2026, 1, 1), actor=None
        )
    with time_machine.travel(TODAY, tick=False):
        handoff_target_set(
            handoff=pair, rate=Decimal("0.6"), effective_from=D(2026, 3, 15), actor=None
        )
        handoff_target_set(
            handoff=pair, rate=Decimal("0.9"), effective_from=D(2026, 7, 1), actor=None
        )
    return pair


@pytest.mark.parametrize(
    ("day", "as_of", "expected"),
    [
        (D(1999, 12, 31), None, "1.000"),  # before any version: the pair's own rate
        (D(2025, 12, 31), None, "1.000"),
        (D(2026, 1, 1), None, "0.800"),  # the first day of a version
        (D(2026, 3, 14), None, "0.800"),
        (D(2026, 3, 15), None, "0.600"),
        (D(2026, 6, 30), None, "0.600"),
        (D(2026, 7, 1), None, "0.900"),  # next quarter's, set today
        (D(2030, 1, 1), None, "0.900"),
        # As recorded by a moment: the correction of 1 January was not known on 5 January.
        (D(2026, 1, 5), datetime.datetime(2026, 1, 5, tzinfo=UTC), "1.000"),
        (D(2026, 1, 5), datetime.datetime(2026, 1, 10, 9, tzinfo=UTC), "0.800"),
        (D(2026, 3, 15), datetime.datetime(2026, 3, 15, 11, tzinfo=UTC), "0.800"),
        (D(2026, 7, 1), datetime.datetime(2026, 3, 15, 11, tzinfo=UTC), "0.800"),
        (D(2026, 7, 1), TODAY, "0.900"),
    ],
)
def test_the_target_in_force_is_the_latest_version_by_that_day(history, day, as_of, expected):
    assert target_in_force(handoff=history, day=day, as_of=as_of) == Decimal(expected)
    by_day = targets_by_day(days=[day], as_of=as_of)
    assert by_day[history.pk][day] == Decimal(expected)


def test_a_pair_never_changed_holds_its_own_rate(pair):
    HandoffPair.objects.filter(pk=pair.pk).update(target_rate=Decimal("0.7"))
    pair.refresh_from_db()

    assert target_in_force(handoff=pair, day=D(2026, 3, 15)) == Decimal("0.7")
    assert targets_by_day(days=[D(2026, 3, 15)])[pair.pk] == {D(2026, 3, 15): Decimal("0.7")}


def test_targets_by_day_answers_every_pair_and_day_in_one_query(history, django_assert_num_queries):
    days = [D(2025, 6, 1), D(2026, 2, 1), D(2026, 3, 15), D(2026, 8, 1)]

    with django_assert_num_queries(1):
        targets = targets_by_day(days=days)

    assert set(targets) == set(HandoffPair.objects.values_list("pk", flat=True))
    assert [targets[history.pk][day] for day in days] == [
        Decimal("1.000"), Decimal("0.800"), Decimal("0.600"), Decimal("0.900"),
    ]  # fmt: skip
    other = HandoffPair.objects.exclude(pk=history.pk).first()
    assert set(targets[other.pk].values()) == {other.target_rate}


def test_the_versions_are_listed_newest_effective_first(history):
    versions = handoff_targets(handoff=history)

    assert [(v.effective_from, v.rate) for v in versions] == [
        (D(2026, 7, 1), Decimal("0.900")),
        (D(2026, 3, 15), Decimal("0.600")),
        (D(2026, 1, 1), Decimal("0.800")),
        (D(2000, 1, 1), Decimal("1.000")),
    ]
    assert HandoffTarget.objects.filter(handoff=history).count() == 4
