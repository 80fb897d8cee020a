"""Drift alerts on the hand-built history of reporting/tests/history.py; figures by hand.

The week checked is 2026-W47: 2 of 4 decisions accepted, 50%. The 8 weeks before it hold W45
(100%, 4 decisions), W46 (75%, 4) and W44 (0%, but 1 decision: under the default watch's
min volume of 4, set below, so left out). Baseline = (100% + 75%) / 2 = 87.5%.
"""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from funnel.models import HandoffPair, Role, Stage, Team
from funnel.services import handoff_target_set
from funnel.tests.factories import UserFactory
from handoff.models import Notification
from handoff.services.notifications import notification_email
from integrations.models import Event, EventType
from reporting.alerts import ratio_alert_raise, ratio_check, ratio_figures_all
from reporting.models import RatioAlert, RatioWatch
from reporting.services import ratio_watches_setup_defaults
from reporting.tests.history import CHECK_AT, WEEK, offers_build, travel
from reporting.weeks import BAD_WEEK, WEEK_NOT_OVER, WeekError

both_databases = pytest.mark.both_databases


@pytest.fixture
def watched(report_people, berlin_time):
    """The default watches, the MQL → SAL one asking for 4 decisions a week; both managers."""
    inside = Team.objects.get(key="inside")
    inside.manager = UserFactory(username="inside_manager", role=Role.MANAGER, team=inside)
    inside.save()
    ratio_watches_setup_defaults()
    RatioWatch.objects.filter(handoff__key="mql_sal").update(min_volume=4)
    return RatioWatch.objects.get(handoff__key="mql_sal")


@pytest.fixture
def history(watched):
    return offers_build()


@pytest.fixture
def outbox(monkeypatch):
    """Emails and webhooks enqueued after commit, recorded; `outbox.deliver()` sends the emails
    as the worker would."""
    from handoff.tasks import notification_email_task
    from integrations.tasks import webhook_dispatch_task

    class Outbox:
        emails: list[int] = []
        webhooks: list[int] = []

        def deliver(self):
            for pk in self.emails:
                notification_email(notification_id=pk)

    box = Outbox()
    box.emails, box.webhooks = [], []

    def later(queue):
        return lambda pk: transaction.on_commit(lambda: queue.append(pk))

    monkeypatch.setattr(notification_email_task, "delay_on_commit", later(box.emails))
    monkeypatch.setattr(webhook_dispatch_task, "delay_on_commit", later(box.webhooks))
    return box


def _figures(watch):
    (figures,) = ratio_figures_all(week=WEEK, watches=[watch])
    return figures


@both_databases
def test_a_drifting_ratio_raises_one_alert_once(
    history, watched, outbox, django_capture_on_commit_callbacks
):
    # When: the Monday check runs, and runs again.
    with travel(CHECK_AT), django_capture_on_commit_callbacks(execute=True):
        first = ratio_check()
        second = ratio_check()
    outbox.deliver()

    # Then: one alert, one email per owning manager, one ratio.drifted event.
    assert [a.watch for a in first] == [watched]
    assert second == []
    alert = RatioAlert.objects.get()
    assert (alert.week, alert.value, alert.volume) == (WEEK, 0.5, 4)
    assert (alert.target, alert.baseline, alert.reasons) == (1.0, 0.875, ["target", "trend"])
    assert sorted(m.to[0] for m in mail.outbox) == [
        "inside_manager@example.com",
        "report_manager@example.com",
    ]
    assert mail.outbox[0].subject == (
        "[Leadflow] Inside → Sales (MQL → SAL) acceptance drifted: 50% in 2026-W47"
    )
    assert "target 100% (50 points below); 8-week mean 87.5% (37.5 points below)" in (
        mail.outbox[0].body
    )
    event = Event.objects.get(type=EventType.RATIO_DRIFTED)
    assert event.data == {
        "id": alert.pk,
        "watch": watched.pk,
        "ratio": "Inside → Sales (MQL → SAL) acceptance",
        "kind": "acceptance",
        "handoff": "mql_sal",
        "from_stage": None,
        "to_stage": None,
        "week": "2026-11-16",
        "iso_week": "2026-W47",
        "value": 0.5,
        "target": 1.0,
        "baseline": 0.875,
        "volume": 4,
        "threshold": 0.15,
        "reasons": ["target", "trend"],
    }
    assert outbox.webhooks == [event.pk]
    assert Notification.objects.filter(kind=Notification.Kind.ESCALATION).count() == 2


@both_databases
def test_a_check_that_lost_the_race_raises_nothing(history, watched, outbox):
    """The unique (watch, week) row decides: a check finding it already there does nothing."""
    figures = _figures(watched)
    RatioAlert.objects.create(watch=watched, week=WEEK, value=0.5, volume=4)

    assert ratio_alert_raise(figures=figures) is None
    assert RatioAlert.objects.count() == 1
    assert not Event.objects.filter(type=EventType.RATIO_DRIFTED).exists()
    assert not Notification.objects.filter(kind=Notification.Kind.ESCALATION).exists()


@both_databases
def test_no_alert_under_the_minimum_volume(history, watched, outbox):
    RatioWatch.objects.filter(pk=watched.pk).update(min_volume=5)  # W47 has 4 decisions

    with travel(CHECK_AT):
        assert ratio_check() == []

    assert not RatioAlert.objects.exists()
    assert not Event.objects.filter(type=EventType.RATIO_DRIFTED).exists()


@both_databases
@pytest.mark.parametrize(
    ("target_rate", "threshold", "reasons"),
    [
        ("1.0", "0.15", ["target", "trend"]),  # 50 points from target, 37.5 from the mean
        ("1.0", "0.40", ["target"]),  # 50 > 40 from target; 37.5 from the mean is within
        ("0.5", "0.15", ["trend"]),  # on target; 37.5 > 15 from the mean
        ("0.6", "0.40", []),  # 10 from target, 37.5 from the mean: both within 40
        ("0.65", "0.15", ["trend"]),  # exactly 15 from target is not beyond it
    ],
)
def test_drift_from_the_target_and_from_the_8_week_mean(
    history, watched, target_rate, threshold, reasons
):
    HandoffPair.objects.filter(key="mql_sal").update(target_rate=Decimal(target_rate))
    RatioWatch.objects.filter(pk=watched.pk).update(threshold=Decimal(threshold))
    watched.refresh_from_db()

    figures = _figures(watched)

    assert (figures.value, figures.volume) == (0.5, 4)
    assert figures.target == float(target_rate)
    assert figures.baseline == 0.875  # (100% + 75%) / 2; W44's single decision left out
    assert figures.reasons == reasons


@both_databases
def test_the_trend_is_the_8_weeks_before(history, watched):
    figures = _figures(watched)

    assert [(t["week"], t["value"], t["volume"]) for t in figures.trend] == [
        ("2026-09-21", None, 0),
        ("2026-09-28", None, 0),
        ("2026-10-05", None, 0),
        ("2026-10-12", None, 0),
        ("2026-10-19", None, 0),
        ("2026-10-26", 0.0, 1),
        ("2026-11-02", 1.0, 4),
        ("2026-11-09", 0.75, 4),
    ]


@both_databases
def test_a_watched_conversion_counts_entries_by_week(history, watched):
    """MQL → SAL as a conversion: W47 had 5 entries into MQL (one still pending), 2 reached SAL
    (40%); W45 4 of 4, W46 3 of 4, W44 0 of 1 (under the volume, left out): mean 87.5%."""
    conversion = RatioWatch.objects.create(
        name="MQL to SAL", kind=RatioWatch.Kind.CONVERSION, target=Decimal("0.5"), min_volume=4,
        from_stage=Stage.objects.get(key="mql"), to_stage=Stage.objects.get(key="sal"),
    )  # fmt: skip

    figures = _figures(conversion)

    assert (figures.value, figures.volume, figures.target) == (0.4, 5, 0.5)
    assert figures.baseline == 0.875
    assert figures.reasons == ["trend"]  # 10 points under target, 47.5 under the mean


def test_an_unfinished_week_is_refused(history):
    with travel(CHECK_AT), pytest.raises(WeekError, match="2026-W48 is not over yet"):
        ratio_check(week=WEEK.replace(day=23))


def test_the_command_checks_the_week_it_is_given(history, watched, outbox, capsys):
    with travel(CHECK_AT):
        call_command("check_ratios", "--week", "2026-W47")
        call_command("check_ratios", "--week", "2026-w47")

    out = capsys.readouterr().out
    assert "2026-W47: Inside → Sales (MQL → SAL) acceptance was 50% in 2026-W47" in out
    assert "2026-W47: no new alert." in out
    assert RatioAlert.objects.count() == 1


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("2026-47", BAD_WEEK.format(text="2026-47")),
        ("2026-W48", WEEK_NOT_OVER.format(label="2026-W48")),
    ],
)
def test_the_command_refuses_a_bad_week(db, berlin_time, week, message):
    with travel(CHECK_AT), pytest.raises(CommandError) as refused:
        call_command("check_ratios", "--week", week)

    assert str(refused.value) == message


def test_default_watches_are_installed_once_and_never_overwritten(report_people):
    assert ratio_watches_setup_defaults() == {"ratio watches": 2}
    RatioWatch.objects.filter(handoff__key="qi_qia").update(threshold=Decimal("0.3"), active=False)

    assert ratio_watches_setup_defaults() == {"ratio watches": 0}
    watch = RatioWatch.objects.get(handoff__key="qi_qia")
    assert (watch.threshold, watch.active) == (Decimal("0.300"), False)
    assert RatioWatch.objects.count() == 2


def test_setup_funnel_installs_the_watches(db, capsys):
    call_command("setup_funnel")

    assert "2 ratio watches" in capsys.readouterr().out
    assert set(RatioWatch.objects.values_list("handoff__key", flat=True)) == {"qi_qia", "mql_sal"}


@both_databases
def test_the_api_lists_alerts_for_report_readers(history, watched, client):
    with travel(CHECK_AT):
        ratio_check()
    url = reverse("report-alerts")

    client.force_login(UserFactory(username="api_marketer", role=Role.MARKETING))
    listed = client.get(url, {"week": "2026-W47"})
    other_week = client.get(url, {"week": "2026-W46"})
    bad = client.get(url, {"week": "last week"})
    client.force_login(UserFactory(username="api_rep", role=Role.SALES))
    refused = client.get(url)

    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    assert listed.json()["results"][0]["value"] == 0.5
    assert listed.json()["results"][0]["iso_week"] == "2026-W47"
    assert other_week.json()["count"] == 0
    assert bad.status_code == 400
    assert refused.status_code == 403


def test_the_admin_lists_alerts(history, watched, admin_client):
    with travel(CHECK_AT):
        ratio_check()

    page = admin_client.get(reverse("admin:reporting_ratioalert_changelist"))

    assert page.status_code == 200
    assert "2026-W47" in page.content.decode()
    assert admin_client.get(reverse("admin:reporting_ratiowatch_changelist")).status_code == 200


# --- targets over time (targets) -------------------------------------------------------------


@both_databases
@pytest.mark.parametrize(
    ("effective_from", "target", "reasons"),
    [
        (WEEK + datetime.timedelta(days=7), 1.0, ["target", "trend"]),  # the week after: not yet
        (WEEK + datetime.timedelta(days=6), 0.5, ["trend"]),  # its Sunday: in force that week
        (WEEK - datetime.timedelta(days=30), 0.5, ["trend"]),
    ],
)
def test_a_week_is_compared_with_the_target_in_force_that_week(
    history, watched, effective_from, target, reasons
):
    handoff_target_set(
        handoff=HandoffPair.objects.get(key="mql_sal"),
        rate=Decimal("0.5"),
        effective_from=effective_from,
        actor=None,
    )

    figures = _figures(watched)

    assert (figures.value, figures.target, figures.reasons) == (0.5, target, reasons)
