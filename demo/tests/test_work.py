"""What the demo leaves its logins, and the weekly reports it builds; the demo logins."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo import seed, work
from demo.logins import DEMO_USERS
from demo.management.commands import demo_users
from funnel.models import Role, Team, User
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from handoff.models import Lead, Notification, Offer, OfferStatus
from reporting.models import WeeklyReport
from reporting.weeks import week_label, week_last_complete, week_shift


@pytest.fixture
def logins(db):
    """The demo's rep and qualifier, made before the demo (as `make run` does)."""
    funnel_setup_defaults()
    teams = {team.key: team for team in Team.objects.all()}
    return {
        "rep": UserFactory(username="rep", role=Role.SALES, team=teams["sales"]),
        "qualifier": UserFactory(username="qualifier", role=Role.INSIDE, team=teams["inside"]),
    }


def _pending(user: User, handoff: str) -> list[Offer]:
    return list(
        Offer.objects.filter(
            assignee=user, status=OfferStatus.PENDING, handoff__key=handoff, routed_at__isnull=False
        )
    )


def test_each_demo_login_has_offers_waiting_and_leads_in_work(logins):
    result = seed.demo_seed(leads=300, weeks=8, seed=5, reports=0)

    assert result.logins == {
        "qualifier": {"qi": work.WAITING, "qia": work.WORKING},
        "rep": {"mql": work.WAITING, "sal": work.WORKING, "sql": work.QUALIFIED},
    }
    rep, qualifier = logins["rep"], logins["qualifier"]
    now = timezone.now()
    waiting = _pending(rep, "mql_sal")
    assert len(waiting) >= work.WAITING
    assert all(offer.accept_due_at > now for offer in waiting[: work.WAITING])
    assert len(_pending(qualifier, "qi_qia")) >= work.WAITING
    held = Lead.objects.filter(owner=rep)
    assert held.filter(stage__key="sal").count() >= work.WORKING
    assert held.filter(stage__key="sql").count() >= work.QUALIFIED
    assert Lead.objects.filter(owner=qualifier, stage__key="qia").count() >= work.WORKING
    # One of the leads the rep works is past its first-touch deadline: the console shows it.
    assert Offer.objects.filter(
        assignee=rep, status=OfferStatus.ACCEPTED, closed_at=None, first_touch_at=None,
        first_touch_due_at__lt=now,
    ).exists()  # fmt: skip
    # Each came through the services: the rep was told, and the lead count did not grow.
    assert rep.notifications.filter(kind=Notification.Kind.ASSIGNED).count() >= work.WAITING
    assert Lead.objects.count() == 300


def test_the_last_complete_weeks_get_their_weekly_reports(db):
    result = seed.demo_seed(leads=200, weeks=8, seed=5)

    last = week_last_complete()
    weeks = [week_shift(last, -back) for back in range(work.REPORT_WEEKS - 1, -1, -1)]
    assert result.reports == [week_label(week) for week in weeks]
    assert list(WeeklyReport.objects.order_by("week").values_list("week", flat=True)) == weeks
    assert WeeklyReport.objects.get(week=last).data["sections"]["reps"]["rows"]


def test_no_report_for_a_week_before_the_demo_began(db):
    result = seed.demo_seed(leads=50, weeks=1, seed=5)

    assert result.reports == [week_label(week_last_complete())]


def test_the_command_says_what_the_logins_got_and_which_reports(logins):
    out = io.StringIO()

    call_command("seed_demo", leads=200, weeks=4, seed=3, reports=2, stdout=out)

    text = out.getvalue()
    assert "Work for the demo login rep: 4 in MQL, 3 in SAL, 2 in SQL." in text
    assert "Work for the demo login qualifier: 4 in QI, 3 in QIA." in text
    assert f"Weekly reports built: {week_label(week_shift(week_last_complete(), -1))}, " in text
    assert WeeklyReport.objects.count() == 2


def test_demo_managers_are_not_staff(db, tmp_path, monkeypatch):
    """Managers work in the console, where the admin would refuse a staff user without
    permissions; the admin and the marketer are staff."""
    monkeypatch.setattr(demo_users, "VAR_DIR", tmp_path)
    funnel_setup_defaults()

    call_command("demo_users", stdout=io.StringIO())

    staff = set(User.objects.filter(is_staff=True).values_list("username", flat=True))
    assert staff == {"admin", "marketer"}
    managers = User.objects.filter(role=Role.MANAGER)
    assert set(managers.values_list("username", "team__key")) == {
        ("manager", "sales"), ("inside_manager", "inside")
    }  # fmt: skip
    assert set(Team.objects.values_list("key", "manager__username")) >= {
        ("sales", "manager"), ("inside", "inside_manager")
    }  # fmt: skip
    assert User.objects.count() == len(DEMO_USERS)
