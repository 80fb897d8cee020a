"""Setting a handoff's target from a day: a new version; the pair keeps today's target."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from funnel.models import HandoffPair, HandoffTarget, Role
from funnel.selectors import target_in_force
from funnel.services import (
    TARGET_RATE_OUT_OF_RANGE,
    handoff_pair_update,
    handoff_target_set,
)
from funnel.tests.factories import UserFactory

D = datetime.date
NOW = datetime.datetime(2026, 3, 15, 12, tzinfo=datetime.UTC)


@pytest.fixture
def pair(funnel):
    with time_machine.travel(NOW, tick=False):
        yield HandoffPair.objects.get(key="mql_sal")


def _versions(pair):
    return list(
        HandoffTarget.objects.filter(handoff=pair)
        .order_by("effective_from")
        .values_list("effective_from", "rate")
    )


def test_a_change_today_keeps_the_rate_before_it_as_a_version(pair):
    marketer = UserFactory(role=Role.MARKETING)

    version = handoff_target_set(
        handoff=pair, rate=Decimal("0.6"), effective_from=D(2026, 3, 15), actor=marketer
    )

    assert (version.rate, version.created_by) == (Decimal("0.6"), marketer)
    assert _versions(pair) == [(D(2000, 1, 1), Decimal("1.000")), (D(2026, 3, 15), Decimal("0.6"))]
    pair.refresh_from_db()
    assert pair.target_rate == Decimal("0.600")  # today's target, for every reader of the pair


def test_a_target_from_next_quarter_leaves_today_alone(pair):
    handoff_target_set(handoff=pair, rate=Decimal("0.6"), effective_from=D(2026, 4, 1), actor=None)

    pair.refresh_from_db()
    assert pair.target_rate == Decimal("1.000")
    assert target_in_force(handoff=pair, day=D(2026, 4, 1)) == Decimal("0.6")


def test_a_second_change_for_the_same_day_replaces_that_versions_rate(pair):
    handoff_target_set(handoff=pair, rate=Decimal("0.6"), effective_from=D(2026, 4, 1), actor=None)
    again = handoff_target_set(
        handoff=pair, rate=Decimal("0.65"), effective_from=D(2026, 4, 1), actor=None
    )

    assert _versions(pair) == [(D(2000, 1, 1), Decimal("1.000")), (D(2026, 4, 1), Decimal("0.65"))]
    assert again.rate == Decimal("0.65")


def test_a_day_in_the_past_corrects_those_weeks_and_not_today(pair):
    handoff_target_set(handoff=pair, rate=Decimal("0.6"), effective_from=D(2026, 3, 15), actor=None)
    handoff_target_set(handoff=pair, rate=Decimal("0.8"), effective_from=D(2026, 1, 1), actor=None)

    assert target_in_force(handoff=pair, day=D(2026, 2, 1)) == Decimal("0.8")
    assert target_in_force(handoff=pair, day=D(2025, 12, 31)) == Decimal("1.000")
    pair.refresh_from_db()
    assert pair.target_rate == Decimal("0.600")


@pytest.mark.parametrize(
    ("rate", "day", "field"),
    [
        (Decimal("1.5"), D(2026, 4, 1), "rate"),
        (Decimal("-0.1"), D(2026, 4, 1), "rate"),
        (Decimal("0.1234"), D(2026, 4, 1), "rate"),
        (Decimal("NaN"), D(2026, 4, 1), "rate"),
        (Decimal("0.5"), D(1999, 12, 31), "effective_from"),  # before targets had dates
        (Decimal("0.5"), D(2032, 1, 1), "effective_from"),  # beyond five years ahead
    ],
)
def test_bad_input_is_refused_and_changes_nothing(pair, rate, day, field):
    with pytest.raises(ValidationError) as refused:
        handoff_target_set(handoff=pair, rate=rate, effective_from=day, actor=None)

    assert set(refused.value.message_dict) == {field}
    if field == "rate":
        assert refused.value.message_dict["rate"] == [TARGET_RATE_OUT_OF_RANGE]
    assert _versions(pair) == []
    pair.refresh_from_db()
    assert pair.target_rate == Decimal("1.000")


def test_the_handoff_update_sets_a_version_effective_today(pair):
    handoff_pair_update(handoff=pair, actor=None, target_rate=Decimal("0.6"))

    assert _versions(pair) == [(D(2000, 1, 1), Decimal("1.000")), (D(2026, 3, 15), Decimal("0.6"))]
    assert HandoffPair.objects.get(pk=pair.pk).target_rate == Decimal("0.600")


def test_the_handoff_update_takes_a_day_and_names_its_errors_as_its_fields(pair):
    handoff_pair_update(
        handoff=pair, actor=None, target_rate=Decimal("0.6"), target_effective_from=D(2026, 7, 1)
    )
    assert _versions(pair)[-1] == (D(2026, 7, 1), Decimal("0.6"))

    with pytest.raises(ValidationError) as refused:
        handoff_pair_update(
            handoff=pair,
            actor=None,
            target_rate=Decimal("0.5"),
            target_effective_from=D(1990, 1, 1),
        )
    assert set(refused.value.message_dict) == {"target_effective_from"}


def test_setting_the_target_already_in_force_today_writes_nothing(pair):
    handoff_pair_update(handoff=pair, actor=None, target_rate=Decimal("1"))

    assert _versions(pair) == []
