import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from funnel.models import Role, Team
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from handoff.services.setup import handoff_setup_defaults

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def berlin_time(settings):
    """Reports count days and weeks in the installation's time zone: Berlin here."""
    settings.TIME_ZONE = "Europe/Berlin"


@pytest.fixture
def at():
    """Run a block with the clock stopped at a moment: `with at(berlin(2026, 11, 2, 10)):`."""

    def travel(moment: datetime.datetime):
        return time_machine.travel(moment, tick=False)

    return travel


@pytest.fixture
def report_people(db):
    """The default funnel, a sales manager and two reps."""
    funnel_setup_defaults()
    handoff_setup_defaults()
    sales = Team.objects.get(key="sales")
    sales.manager = UserFactory(username="report_manager", role=Role.MANAGER, team=sales)
    sales.save()
    reps = [UserFactory(username=f"report_rep_{n}", role=Role.SALES, team=sales) for n in "ab"]
    return sales.manager, reps


@pytest.fixture
def report_api(db):
    """`report_api(role)`: an API client signed in as a new user of that role."""
    from rest_framework.test import APIClient

    def make(role: str = Role.MARKETING) -> APIClient:
        client = APIClient()
        client.force_authenticate(UserFactory(role=role))
        return client

    return make


@pytest.fixture(scope="module")
def lifecycle_history(django_db_setup, django_db_blocker):
    """Lead lifecycles over four weeks of September 2026, told in test_funnel_report.py.

    Played through the services once per test module (some 1,900 queries), in a transaction
    rolled back after the module; each test still rolls its own changes back.
    """
    from django.db import transaction

    from reporting.tests.test_funnel_report import lifecycle_build

    with django_db_blocker.unblock(), transaction.atomic():
        history = lifecycle_build(lambda moment: time_machine.travel(moment, tick=False))
        yield history
        transaction.set_rollback(True)


@pytest.fixture
def lifecycle(lifecycle_history, db, berlin_time):
    """The lifecycles, for the funnel, velocity and qualifiers reports (Berlin time)."""
    return lifecycle_history
