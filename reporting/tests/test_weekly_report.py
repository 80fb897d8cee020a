"""The weekly feedback report of 2026-W47 on the hand-built history of reporting/tests/history.py.

W47 (16-22 November, Berlin): 5 MQL → SAL offers, 2 accepted, 2 rejected (not ICP), 1 pending:
50% against a 100% target; the 8 weeks before give a mean of 87.5% (W45 100%, W46 75%; W44's
single decision is under the watch's volume of 4). One deal won (12,000), one lost on price.
"""

import datetime
from decimal import Decimal
from email.mime.image import MIMEImage

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from funnel.models import Campaign, HandoffPair, Role, Team
from funnel.services import handoff_target_set
from funnel.tests.factories import UserFactory
from handoff.services.offers import offer_accept
from reporting.alerts import ratio_check
from reporting.models import RatioWatch, WeeklyReport
from reporting.services import ratio_watches_setup_defaults
from reporting.tests.conftest import berlin
from reporting.tests.history import CHECK_AT, WEEK, deals_close, offers_build, travel
from reporting.weekly import weekly_report_build, weekly_report_data, weekly_report_email
from reporting.weekly.charts import handoff_trend_png
from reporting.weeks import BAD_WEEK, NO_SUCH_WEEK, WEEK_NOT_OVER

both_databases = pytest.mark.both_databases


@pytest.fixture
def week_history(report_people, berlin_time):
    """The history, its deals, three campaigns, the week's alert; both handoff managers."""
    inside = Team.objects.get(key="inside")
    inside.manager = UserFactory(username="inside_manager", role=Role.MANAGER, team=inside)
    inside.save()
    UserFactory(username="vp_sales", role=Role.MANAGER, email="vp@example.com")
    ratio_watches_setup_defaults()
    RatioWatch.objects.filter(handoff__key="mql_sal").update(min_volume=4)
    offers = offers_build()
    deals_close(offers)
    for name, start in [("Autumn webinar", datetime.date(2026, 11, 20)),
                        ("Winter launch", datetime.date(2026, 11, 30)),
                        ("New year", datetime.date(2026, 12, 7))]:  # fmt: skip
        Campaign.objects.create(name=name, start=start, channel=Campaign.Channel.WEBINAR)
    with travel(CHECK_AT):
        ratio_check()
    return offers


def _build(**kwargs):
    with travel(CHECK_AT):
        return weekly_report_build(week=WEEK, **kwargs)


@both_databases
def test_the_report_gathers_the_weeks_figures(week_history):
    with travel(CHECK_AT):
        data = weekly_report_data(week=WEEK)

    assert (data["week"], data["iso_week"], data["time_zone"]) == (
        "2026-11-16", "2026-W47", "Europe/Berlin"
    )  # fmt: skip
    mql_sal = next(h for h in data["handoffs"] if h["handoff"] == "mql_sal")
    assert {k: mql_sal[k] for k in ("offered", "decided", "accepted", "rejected", "pending")} == {
        "offered": 5, "decided": 4, "accepted": 2, "rejected": 2, "pending": 1
    }  # fmt: skip
    assert (mql_sal["acceptance_rate"], mql_sal["target_rate"]) == (0.5, 1.0)
    assert mql_sal["mean_8_weeks"] == 0.875
    assert mql_sal["sla_met_rate"] == 1.0  # each decided an hour after the offer
    assert [t["value"] for t in mql_sal["trend"]][-3:] == [0.0, 1.0, 0.75]
    assert mql_sal["alert"] is True
    won, lost = data["outcomes"]["won"], data["outcomes"]["lost"]
    assert (won["count"], won["amount"], lost["count"]) == (1, 12000.0, 1)
    assert won["deals"][0]["name"] == "Buyer No. 10"
    assert (won["deals"][0]["amount"], won["deals"][0]["note"]) == (12000.0, "Three-year licence")
    assert (lost["deals"][0]["reason"], lost["deals"][0]["competitor"]) == ("Price", "Globex")
    assert [a["iso_week"] for a in data["alerts"]] == ["2026-W47"]
    assert [c["name"] for c in data["campaigns"]] == ["Winter launch"]  # starts 23 Nov - 6 Dec
    assert set(data["sections"]) == {"reasons", "reps", "black_hole", "hidden_gems"}


def test_building_a_week_twice_keeps_one_snapshot(week_history):
    first, built = _build()
    second, built_again = _build()

    assert (built, built_again) == (True, False)
    assert second.pk == first.pk
    assert WeeklyReport.objects.count() == 1

    rebuilt, built = _build(rebuild=True)
    assert (rebuilt.pk, built) == (first.pk, True)
    assert WeeklyReport.objects.count() == 1


@both_databases
def test_later_edits_do_not_change_the_snapshot(week_history):
    report, _ = _build()
    pending = week_history[-1]

    # When: the pending offer of W47 is accepted a week later.
    with travel(berlin(2026, 11, 30, 10)):
        offer_accept(offer=pending, actor=pending.assignee)
        fresh = weekly_report_data(week=WEEK)
        kept, built = weekly_report_build(week=WEEK)

    # Then: today's figures moved, the snapshot did not.
    assert next(h for h in fresh["handoffs"] if h["handoff"] == "mql_sal")["accepted"] == 3
    assert built is False
    report.refresh_from_db()
    assert kept.data == report.data
    assert next(h for h in report.data["handoffs"] if h["handoff"] == "mql_sal")["accepted"] == 2


@both_databases
def test_the_email_is_html_with_inline_png_charts(week_history):
    report, _ = _build()

    with travel(CHECK_AT):
        sent = weekly_report_email(report=report)
        again = weekly_report_email(report=report)

    # The managers of the inside and sales teams, and everyone with the manager role; once.
    assert (sent, again) == (3, 0)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "inside_manager@example.com", "report_manager@example.com", "vp@example.com"
    ]  # fmt: skip
    message = mail.outbox[0]
    assert message.subject == "[Leadflow] Weekly feedback report 2026-W47"
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    assert '<img class="chart" src="cid:handoff-mql_sal.png@leadflow"' in html
    images = [a for a in message.attachments if isinstance(a, MIMEImage)]
    cids = {a["Content-ID"].strip("<>") for a in images}
    assert "handoff-mql_sal.png@leadflow" in cids
    assert all(f'src="cid:{cid}"' in html for cid in cids)
    assert all(a.get_content_type() == "image/png" for a in images)
    assert all(a.get_payload(decode=True).startswith(b"\x89PNG\r\n\x1a\n") for a in images)
    assert "50% accepted of 4 decided (target 100%, 8-week mean 87.5%)" in message.body
    # The links are absolute (SITE_URL), so they can be clicked in a mail client.
    assert f"in Leadflow at http://127.0.0.1:8000/reports/weekly/{report.pk}/" in message.body
    assert f'<a href="http://127.0.0.1:8000/reports/weekly/{report.pk}/">Open this' in html
    report.refresh_from_db()
    assert report.emailed_at is not None


def test_the_command_builds_the_week_it_is_given(week_history, capsys):
    with travel(CHECK_AT):
        call_command("weekly_report", "--week", "2026-W47")
        call_command("weekly_report", "--week", "2026-W47")

    report = WeeklyReport.objects.get()
    out = capsys.readouterr().out
    assert f"Built the weekly report 2026-W47: /reports/weekly/{report.pk}/" in out
    assert "is kept as it was" in out
    assert report.week == WEEK


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("47", BAD_WEEK.format(text="47")),
        ("2026-11-16", BAD_WEEK.format(text="2026-11-16")),
        ("2026-W54", NO_SUCH_WEEK.format(year=2026, number=54)),
        ("2026-W48", WEEK_NOT_OVER.format(label="2026-W48")),
    ],
)
def test_the_command_refuses_a_bad_week(db, berlin_time, week, message):
    with travel(CHECK_AT), pytest.raises(CommandError) as refused:
        call_command("weekly_report", "--week", week)

    assert str(refused.value) == message
    assert not WeeklyReport.objects.exists()


def test_the_beat_task_builds_last_week_once_and_emails_it_once(
    week_history, django_capture_on_commit_callbacks, monkeypatch
):
    from reporting import tasks

    enqueued = []
    monkeypatch.setattr(tasks.weekly_report_email_task, "delay_on_commit", enqueued.append)
    with travel(CHECK_AT):
        first = tasks.weekly_report_task()
        second = tasks.weekly_report_task()
        sent = [tasks.weekly_report_email_task(pk) for pk in enqueued]

    assert first == second == WeeklyReport.objects.get(week=WEEK).pk
    assert sent == [3, 0]
    assert len(mail.outbox) == 3


# --- the API -------------------------------------------------------------------------------


@pytest.fixture
def built(week_history):
    report, _ = _build()
    return report


@both_databases
def test_the_api_lists_and_shows_reports_to_report_readers(built, client):
    client.force_login(UserFactory(username="api_bi", role=Role.INTEGRATION))

    listed = client.get(reverse("report-weekly-list"))
    shown = client.get(reverse("report-weekly-detail", args=[built.pk]))
    missing = client.get(reverse("report-weekly-detail", args=[built.pk + 1]))

    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    row = listed.json()["results"][0]
    assert (row["id"], row["week"], row["iso_week"]) == (built.pk, "2026-11-16", "2026-W47")
    assert "data" not in row
    assert row["html_url"].endswith(f"/reports/weekly/{built.pk}/")
    assert shown.status_code == 200
    assert shown.json()["data"] == built.data
    assert missing.status_code == 404


def test_the_api_refuses_sales_reps_and_strangers(built, client):
    anonymous = client.get(reverse("report-weekly-list"))
    client.force_login(UserFactory(username="api_rep", role=Role.SALES))

    assert anonymous.status_code in (401, 403)
    assert client.get(reverse("report-weekly-list")).status_code == 403
    assert client.get(reverse("report-weekly-detail", args=[built.pk])).status_code == 403


# --- the browser ---------------------------------------------------------------------------


def test_the_pages_need_a_login(built, client):
    for url in (
        reverse("reporting:weekly-list"),
        reverse("reporting:weekly-detail", args=[built.pk]),
        reverse("reporting:weekly-csv", args=[built.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_the_pages_refuse_sales_reps(built, client):
    client.force_login(UserFactory(username="page_rep", role=Role.SALES))

    assert client.get(reverse("reporting:weekly-detail", args=[built.pk])).status_code == 403
    assert client.get(reverse("reporting:weekly-csv", args=[built.pk])).status_code == 403


@both_databases
def test_a_manager_reads_the_report_with_its_charts(built, client):
    client.force_login(UserFactory(username="page_manager", role=Role.MANAGER))

    listed = client.get(reverse("reporting:weekly-list"))
    page = client.get(reverse("reporting:weekly-detail", args=[built.pk]))

    assert listed.status_code == 200
    assert "2026-W47" in listed.content.decode()
    assert page.status_code == 200
    html = page.content.decode()
    assert "Weekly feedback report · 2026-W47" in html
    assert "16\u201322 November 2026" in html
    assert 'src="data:image/png;base64,' in html
    assert "Buyer No. 10" in html
    assert "Winter launch" in html


@both_databases
def test_the_csv_download(built, client):
    client.force_login(UserFactory(username="csv_marketer", role=Role.MARKETING))

    response = client.get(reverse("reporting:weekly-csv", args=[built.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="leadflow-weekly-2026-W47.csv"' in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert "Inside → Sales (MQL → SAL),5,4,2,2,0,1,0.5,1.0,0.875,1.0,yes,,,,,,0.0,1.0,0.75" in lines
    won = next(line for line in lines if line.startswith("won,"))
    assert won.startswith("won,Buyer No. 10,Company 10,12000.0,,,report_rep_")
    assert won.endswith(",2026-11-19T15:00:00+01:00")
    assert "Inside → Sales (MQL → SAL) acceptance,0.5,1.0,0.875,4,target trend" in lines
    assert "Winter launch,Webinar,2026-11-30," in lines


def test_the_admin_links_to_the_report(built, admin_client):
    page = admin_client.get(reverse("admin:reporting_weeklyreport_changelist"))

    assert page.status_code == 200
    assert reverse("reporting:weekly-detail", args=[built.pk]) in page.content.decode()


# --- targets over time (targets) -------------------------------------------------------------


@both_databases
def test_each_week_is_shown_against_the_target_in_force_that_week(week_history):
    """60% from W46's Monday on: W47 and W46 compare with 60%, the weeks before with 100%."""
    handoff_target_set(
        handoff=HandoffPair.objects.get(key="mql_sal"),
        rate=Decimal("0.6"),
        effective_from=datetime.date(2026, 11, 9),
        actor=None,
    )
    with travel(CHECK_AT):
        data = weekly_report_data(week=WEEK)

    mql_sal = next(h for h in data["handoffs"] if h["handoff"] == "mql_sal")
    assert mql_sal["target_rate"] == 0.6
    assert [(t["week"], t["target"]) for t in mql_sal["trend"]][-3:] == [
        ("2026-10-26", 1.0),
        ("2026-11-02", 1.0),
        ("2026-11-09", 0.6),
    ]
    assert handoff_trend_png(mql_sal, week=data["week"]).startswith(b"\x89PNG")
