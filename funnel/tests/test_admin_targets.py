"""A handoff's target changed in the admin is a new version from today, as through the API;
the handoff's page lists its versions and its history shows who changed what."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from funnel.models import HandoffPair, HandoffTarget, Team
from funnel.services import funnel_setup_defaults, handoff_target_set
from funnel.tests.admin_pages import admin_url, formset_data, post_data

pytestmark = pytest.mark.django_db

MARCH = datetime.datetime(2026, 3, 15, 12, tzinfo=datetime.UTC)


@pytest.fixture
def funnel():
    funnel_setup_defaults()


@pytest.fixture
def march():
    with time_machine.travel(MARCH, tick=False):
        yield


def _versions():
    return list(
        HandoffTarget.objects.filter(handoff__key="mql_sal")
        .order_by("effective_from")
        .values_list("effective_from", "rate", "created_by__username")
    )


def test_a_target_changed_on_the_handoff_page_is_a_version_from_today(
    admin_client, admin_user, funnel, march
):
    pair = HandoffPair.objects.get(key="mql_sal")
    data = post_data(admin_client.get(admin_url(HandoffPair, "change", pair.pk)))
    data["target_rate"] = "0.6"

    response = admin_client.post(admin_url(HandoffPair, "change", pair.pk), data)

    assert response.status_code == 302
    assert _versions() == [
        (datetime.date(2000, 1, 1), Decimal("1.000"), None),
        (datetime.date(2026, 3, 15), Decimal("0.600"), admin_user.username),
    ]
    page = admin_client.get(admin_url(HandoffPair, "change", pair.pk)).content.decode()
    assert "Targets over time" in page and "60 %" in page


def test_a_target_changed_in_the_list_or_on_the_team_page_is_a_version(admin_client, funnel, march):
    response = admin_client.get(admin_url(HandoffPair, "changelist"))
    formset = response.context["cl"].formset
    data = {"_save": "Save", **formset_data(formset)}
    form = next(f for f in formset.forms if f.instance.key == "mql_sal")
    data[form.add_prefix("target_rate")] = "0.850"
    admin_client.post(admin_url(HandoffPair, "changelist"), data)
    assert [v[:2] for v in _versions()][-1] == (datetime.date(2026, 3, 15), Decimal("0.850"))

    team = Team.objects.get(key="sales")
    data = post_data(admin_client.get(admin_url(Team, "change", team.pk)))
    (prefix,) = {k.removesuffix("-0-target_rate") for k in data if k.endswith("-0-target_rate")}
    data[f"{prefix}-0-target_rate"] = "0.7"
    admin_client.post(admin_url(Team, "change", team.pk), data)

    # The same day: that day's version now holds 70%; the rate before it is kept.
    assert [v[:2] for v in _versions()] == [
        (datetime.date(2000, 1, 1), Decimal("1.000")),
        (datetime.date(2026, 3, 15), Decimal("0.700")),
    ]


def test_the_list_shows_the_target_in_force_today_not_a_stale_copy(admin_client, funnel):
    pair = HandoffPair.objects.get(key="mql_sal")
    with time_machine.travel(MARCH, tick=False):
        handoff_target_set(
            handoff=pair, rate=Decimal("0.6"), effective_from=datetime.date(2026, 4, 1), actor=None
        )
    assert HandoffPair.objects.get(pk=pair.pk).target_rate == Decimal("1.000")

    with time_machine.travel(datetime.datetime(2026, 4, 2, 9, tzinfo=datetime.UTC), tick=False):
        page = admin_client.get(admin_url(HandoffPair, "changelist")).content.decode()

    assert "60 %" in page
    with time_machine.travel(datetime.datetime(2026, 4, 2, 9, tzinfo=datetime.UTC), tick=False):
        form = admin_client.get(admin_url(HandoffPair, "change", pair.pk)).context["adminform"]
    assert form.form.initial["target_rate"] == Decimal("0.600")


def test_the_handoff_history_lists_its_target_versions(admin_client, admin_user, funnel, march):
    pair = HandoffPair.objects.get(key="mql_sal")
    data = post_data(admin_client.get(admin_url(HandoffPair, "change", pair.pk)))
    data["target_rate"] = "0.6"
    admin_client.post(admin_url(HandoffPair, "change", pair.pk), data)

    page = admin_client.get(admin_url(HandoffPair, "history", pair.pk)).content.decode()

    assert "2026-03-15" in page and "0.600" in page and admin_user.username in page
