"""The marketer's dashboard `/dashboard/` on the funnel report's hand-built history.

The history is `lifecycle_build` (reporting/tests/test_funnel_report.py, told in its module
docstring): September 2026 in Berlin time, campaigns C1 "Autumn webinar" and C2 "Pricing
ebook", sources webinar/ads, countries DE/FR/AT. The dashboard is asked for the report tests'
period, Mon 7 Sep to Sun 4 Oct 2026 (a custom period; the end day included).

Its figures must be the report functions' for the same question, and each number's link must
open the leads list (`handoff:lead-list`) with exactly that many leads: the tests follow every
link with the test client, signed in as marketing (who sees every lead), and read the list's
count.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funnel.models import HandoffPair, Role, Team
from funnel.services import handoff_target_set
from funnel.tests.factories import UserFactory
from handoff.services.leads import lead_create
from reporting.dashboard import DashboardForm, dashboard_question, dashboard_warm, period_dates
from reporting.params import FIRST_DAY, ReportQuery
from reporting.selectors.black_hole import black_hole_report
from reporting.selectors.funnel import (
    funnel_by_lead_fields,
    funnel_period_leads,
    funnel_report,
)
from reporting.selectors.handoffs import handoff_report
from reporting.selectors.reasons import hidden_gems_report
from reporting.tests.test_funnel_report import PERIOD, STAGES

PAGE = "reporting:dashboard"
ASKED = {"period": "custom", "date_from": "2026-09-07", "date_to": "2026-10-04"}
LIST_COUNT = re.compile(r'data-count="(\d+)"')


def dashboard(client: Client, **params):
    return client.get(reverse(PAGE), {**ASKED, **params})


@pytest.fixture
def marketer(db):
    client = Client()
    client.force_login(UserFactory(username="dash_marketer", role=Role.MARKETING))
    return client


def listed(client: Client, url: str) -> int:
    """How many leads the leads list says the link opens."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    found = LIST_COUNT.search(response.content.decode())
    assert found, f"no count on the leads list for {url}"
    return int(found.group(1))


def linked_figures(context) -> list[tuple[str, int, str]]:
    """Every (what, number, link) the dashboard shows, from its context."""
    out = []
    for s in context["funnel"]["stages"]:
        out.append((f"funnel {s['key']}", s["leads"]["value"], s["leads"]["url"]))
    for table in ("by_campaign", "by_source"):
        for row in context[table]:
            for cell in row["cells"]:
                if cell["url"]:
                    out.append(
                        (f"{table} {row['group']} {cell['key']}", cell["value"], cell["url"])
                    )
    for h in context["handoffs"]:
        for status, o in h["outcome"].items():
            if o["url"]:
                out.append((f"{h['key']} {status}", o["value"], o["url"]))
        for week in h["trend"]:
            if week["accepted"]["url"]:
                out.append((f"{h['key']} {week['week']}", *week["accepted"].values()))
    out.append(("black holes", context["black_holes"]["value"], context["black_holes"]["url"]))
    return out


# --- who may open it ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ADMIN, 200),
        (Role.MARKETING, 200),
        (Role.MANAGER, 200),
        (Role.INSIDE, 403),
        (Role.SALES, 403),
        (Role.INTEGRATION, 403),
    ],
)
def test_the_roles_that_read_reports_open_it_and_others_are_refused(report_people, role, status):
    client = Client()
    client.force_login(UserFactory(role=role))
    assert client.get(reverse(PAGE)).status_code == status


def test_staff_open_it_whatever_their_role(report_people):
    client = Client()
    client.force_login(UserFactory(role=Role.SALES, is_staff=True))
    assert client.get(reverse(PAGE)).status_code == 200


def test_an_anonymous_visitor_is_sent_to_sign_in(db):
    response = Client().get(reverse(PAGE))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role", "lands"),
    [
        (Role.MARKETING, "reporting:dashboard"),
        (Role.ADMIN, "handoff:queue"),
        (Role.MANAGER, "handoff:queue"),
        (Role.INSIDE, "handoff:queue"),
        (Role.SALES, "handoff:queue"),
        (Role.INTEGRATION, "handoff:queue"),
    ],
)
def test_home_sends_marketing_to_the_dashboard_and_others_to_their_queue(db, role, lands):
    client = Client()
    client.force_login(UserFactory(role=role))
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == reverse(lands)


def test_home_sends_an_anonymous_visitor_to_sign_in(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role", "shown"),
    [(Role.MARKETING, True), (Role.MANAGER, True), (Role.ADMIN, True), (Role.SALES, False),
     (Role.INSIDE, False)],
)  # fmt: skip
def test_the_nav_links_the_dashboard_for_those_who_may_read_it(report_people, role, shown):
    client = Client()
    client.force_login(UserFactory(role=role))
    page = client.get(reverse("handoff:notifications")).content.decode()
    assert (f'href="{reverse(PAGE)}"' in page) is shown


# --- the period and filters -----------------------------------------------------------------


TODAY = datetime.date(2026, 11, 18)  # a Wednesday in the fourth quarter


@pytest.mark.parametrize(
    ("period", "start"),
    [
        ("4w", datetime.date(2026, 10, 22)),
        ("13w", datetime.date(2026, 8, 20)),
        ("26w", datetime.date(2026, 5, 21)),
        ("quarter", datetime.date(2026, 10, 1)),
    ],
)
def test_each_period_ends_with_today(period, start):
    assert period_dates(period, today=TODAY) == (start, datetime.date(2026, 11, 19))


def test_a_custom_period_includes_its_last_day():
    assert period_dates(
        "custom",
        today=TODAY,
        date_from=datetime.date(2026, 9, 7),
        date_to=datetime.date(2026, 10, 4),
    ) == (datetime.date(2026, 9, 7), datetime.date(2026, 10, 5))


@pytest.mark.parametrize("period", ["4w", "13w", "26w", "quarter"])
def test_each_period_choice_shows_its_figures(report_people, marketer, period):
    response = marketer.get(reverse(PAGE), {"period": period})
    assert response.status_code == 200
    query = response.context["query"]
    assert (query.start, query.end) == period_dates(period, today=datetime.date.today())
    assert [s["key"] for s in response.context["funnel"]["stages"]] == STAGES


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "fortnight"}, "period"),
        ({"period": "custom"}, "date_from"),
        ({"period": "custom", "date_from": "2026-09-07"}, "date_to"),
        ({"period": "custom", "date_from": "2026-09-07", "date_to": "2026-09-01"}, "date_to"),
        ({"period": "custom", "date_from": "2020-01-01", "date_to": "2026-01-01"}, "date_to"),
        ({"period": "custom", "date_from": "7 Sep", "date_to": "2026-10-04"}, "date_from"),
        ({"period": "custom", "date_from": "0001-01-01", "date_to": "2026-10-04"}, "date_from"),
        ({"campaign": "999999"}, "campaign"),
        ({"campaign": "webinar"}, "campaign"),
        ({"team": "nobody"}, "team"),
        ({"country": "D1"}, "country"),
        ({"country": "DEU"}, "country"),
        ({"mode": "forever"}, "mode"),
        ({"sort": "-email"}, "sort"),
        ({"source": "x" * 101}, "source"),
    ],
)
def test_bad_parameters_are_shown_on_the_form_not_a_500(report_people, marketer, params, field):
    response = marketer.get(reverse(PAGE), params)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    page = response.content.decode()
    assert 'role="alert"' in page
    assert "funnel-table" not in page  # no figures for a question that cannot be asked
    for value in params.values():  # what the user typed is kept in the form
        if len(value) < 20 and field not in ("campaign", "team", "period", "mode", "sort"):
            assert f'value="{value}"' in page


# --- figures are the reports' ---------------------------------------------------------------


def _query(**filters) -> ReportQuery:
    return ReportQuery(start=PERIOD.start, end=PERIOD.end, **filters)


FILTERS = [
    {},
    {"campaign": "C1"},
    {"source": "ADS"},
    {"team": "sales"},
    {"country": "fr"},
]


def _params(lifecycle, filters: dict) -> tuple[dict, dict]:
    """The dashboard's parameters and the report query's filters for a filter case."""
    params, query = {}, {}
    for key, value in filters.items():
        if key == "campaign":
            params[key] = lifecycle.campaigns[value].pk
            query[key] = lifecycle.campaigns[value].pk
        elif key == "country":
            params[key], query[key] = value, value.upper()
        else:
            params[key], query[key] = value, value
    return params, query


@pytest.mark.both_databases
@pytest.mark.parametrize("mode", ["period", "cohort"])
@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_the_funnel_is_the_funnel_reports(lifecycle, marketer, mode, filters):
    params, lookups = _params(lifecycle, filters)
    response = dashboard(marketer, mode=mode, **params)
    assert response.status_code == 200
    query = _query(**lookups)
    assert response.context["query"] == query
    report = funnel_report(query=query, mode=mode)[0]
    shown = response.context["funnel"]
    assert [(s["key"], s["entered"], s["to_next"], s["to_won"]) for s in shown["stages"]] == [
        (s["stage"], s["entered"], s["to_next"], s["to_won"]) for s in report["stages"]
    ]
    assert shown["revenue"]["value"] == Decimal(report["revenue_won"])
    if mode == "period":
        leads = funnel_period_leads(query=query)
        assert [s["leads"]["value"] for s in shown["stages"]] == [
            leads.get((None, key), 0) for key in STAGES
        ]
    else:  # a cohort's stage counts are leads already
        assert [s["leads"]["value"] for s in shown["stages"]] == [
            s["entered"] for s in report["stages"]
        ]


@pytest.mark.both_databases
@pytest.mark.parametrize("mode", ["period", "cohort"])
def test_by_campaign_and_by_source_are_the_reports_groups_with_names(lifecycle, marketer, mode):
    response = dashboard(marketer, mode=mode)
    for table, group_by in (("by_campaign", "campaign"), ("by_source", "source")):
        report = {r["group"]: r for r in funnel_report(query=PERIOD, mode=mode, group_by=group_by)}
        shown = response.context[table]
        assert {r["group"] for r in shown} == set(report)
        for row in shown:
            assert row["revenue"]["value"] == Decimal(report[row["group"]]["revenue_won"])
            first = report[row["group"]]["stages"][0]
            assert row["conversion"] == first["to_won"]
    names = {r["group"]: r["name"] for r in response.context["by_campaign"]}
    c1, c2 = lifecycle.campaigns["C1"], lifecycle.campaigns["C2"]
    assert names[c1.pk] == "Autumn webinar" and names[c2.pk] == "Pricing ebook"
    page = response.content.decode()
    assert "Autumn webinar" in page and "Pricing ebook" in page
    assert response.context["by_campaign"][-1]["group"] is None  # no campaign: last


@pytest.mark.both_databases
def test_the_handoffs_are_the_handoff_reports(lifecycle, marketer):
    response = dashboard(marketer)
    report = {r["handoff"]: r for r in handoff_report(query=PERIOD, leads=True)}
    for h in response.context["handoffs"]:
        row = report[h["key"]]
        assert h["acceptance_rate"] == row["acceptance_rate"]
        assert h["target"] == row["target_rate"]
        for status, o in h["outcome"].items():
            assert o["offers"] == row[status]
            assert o["value"] == row["leads"][status]
    # The trend: the 8 weeks to the period's end (Mon 10 Aug to the week of Mon 28 Sep).
    weeks = response.context["weeks"]
    assert weeks[0] == datetime.date(2026, 8, 10) and weeks[-1] == datetime.date(2026, 9, 28)
    trend = ReportQuery(start=weeks[0], end=datetime.date(2026, 10, 5))
    weekly = {(r["handoff"], r["week"]): r for r in handoff_report(query=trend, interval="week")}
    for h in response.context["handoffs"]:
        for week in h["trend"]:
            row = weekly.get((h["key"], week["week"].isoformat()), {})
            assert week["rate"] == row.get("acceptance_rate")
            assert week["target"] == row.get("target_rate", week["target"])


@pytest.mark.both_databases
def test_the_black_hole_and_gems_are_their_reports(lifecycle, marketer):
    response = dashboard(marketer)
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    holes = black_hole_report(query=ReportQuery(start=FIRST_DAY, end=tomorrow))
    assert response.context["black_holes"]["value"] == holes["total"] > 0
    gems = hidden_gems_report(query=PERIOD, limit=5)
    assert response.context["gems"] == gems


@pytest.mark.both_databases
def test_period_figures_are_named_entries_and_ratios_and_cohort_ones_conversions(
    lifecycle, marketer
):
    period = dashboard(marketer).content.decode()
    assert "Ratio of entries" in period and "Conversion" not in period
    # qia's entries ratio passes 100% (L5 entered qia before the period): named a ratio.
    qia = next(s for s in dashboard(marketer).context["funnel"]["stages"] if s["key"] == "qia")
    assert qia["to_next"] > 1
    cohort = dashboard(marketer, mode="cohort").content.decode()
    assert "Conversion to next" in cohort and "Ratio of entries" not in cohort


# --- each number opens exactly its leads ----------------------------------------------------


@pytest.mark.both_databases
@pytest.mark.parametrize("mode", ["period", "cohort"])
@pytest.mark.parametrize(
    "filters", [{}, {"campaign": "C2"}, {"source": "Webinar"}, {"country": "de"}], ids=str
)
def test_every_number_opens_a_leads_list_of_that_many_leads(lifecycle, marketer, mode, filters):
    params, _ = _params(lifecycle, filters)
    response = dashboard(marketer, mode=mode, **params)
    figures = linked_figures(response.context)
    assert len(figures) > 30
    assert any(n > 1 for _, n, _ in figures)
    wrong = [(what, n, listed(marketer, url), url) for what, n, url in figures
             if listed(marketer, url) != n]  # fmt: skip
    assert wrong == []


@pytest.mark.both_databases
def test_with_a_team_filter_lead_figures_follow_the_holders_team(lifecycle, marketer):
    """The funnel's team is the holder's; the list's `holder_team` is the same rule. Handoff
    figures count offers by their assignee's team, which the list cannot select: unlinked."""
    response = dashboard(marketer, team="sales")
    for what, n, url in linked_figures(response.context):
        assert listed(marketer, url) == n, what
    assert all(o["url"] is None for h in response.context["handoffs"] for o in h["outcomes"])
    assert "cannot select" in response.content.decode()


@pytest.mark.both_databases
def test_the_page_links_the_numbers_it_shows(lifecycle, marketer):
    """The links in the page are those of the figures: a campaign's MQL count opens its MQLs."""
    response = dashboard(marketer)
    page = response.content.decode()
    c1 = next(
        r for r in response.context["by_campaign"] if r["group"] == lifecycle.campaigns["C1"].pk
    )
    mql = next(c for c in c1["cells"] if c["key"] == "mql")
    anchor = re.search(
        rf'<tr data-group="{c1["group"]}">.*?<a href="([^"]+)" data-figure="mql">(\d+)</a>',
        page,
        re.S,
    )
    # L1, L2, L5 and L6 (L2 entered twice: one lead; five entries).
    assert anchor and int(anchor.group(2)) == mql["value"] == 4 and mql["entries"] == 5
    assert listed(marketer, unescape(anchor.group(1))) == 4


# --- sorting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "key"),
    [("name", lambda r: r["name"].casefold()), ("-revenue", lambda r: -r["revenue"]["value"]),
     ("-first", lambda r: -r["cells"][0]["value"]), ("won", lambda r: r["cells"][-1]["value"])],
)  # fmt: skip
def test_the_group_tables_sort_by_a_column_with_no_group_last(lifecycle, marketer, sort, key):
    response = dashboard(marketer, sort=sort)
    for table in ("by_campaign", "by_source"):
        rows = response.context[table]
        named = [r for r in rows if r["group"] is not None]
        assert named == sorted(named, key=key)
        assert rows[-1]["group"] is None
    headers = response.context["group_tables"][0]["headers"]
    current = [h for h in headers if h["current"]]
    assert len(current) == 1  # the header sorted by says so (and flips when clicked again)


# --- targets in force each week -------------------------------------------------------------


@pytest.mark.both_databases
def test_the_trend_compares_each_week_with_the_target_in_force_then(lifecycle, marketer):
    """A target of 60% from Mon 21 Sep (the targets' service): the weeks before keep 100%, and
    the line steps down."""
    pair = HandoffPair.objects.get(key="mql_sal")
    pair.target_rate = Decimal("1.000")
    pair.save(update_fields=["target_rate"])
    handoff_target_set(
        handoff=pair, rate=Decimal("0.6"), effective_from=datetime.date(2026, 9, 21), actor=None
    )
    response = dashboard(marketer)
    handoff = next(h for h in response.context["handoffs"] if h["key"] == "mql_sal")
    targets = {w["week"]: w["target"] for w in handoff["trend"]}
    assert targets[datetime.date(2026, 9, 14)] == 1.0
    assert targets[datetime.date(2026, 9, 21)] == targets[datetime.date(2026, 9, 28)] == 0.6
    assert handoff["target"] == 0.6  # in force at the period's end
    # The chart's step line goes down in the week the target changed.
    path = re.search(r'<path d="([^"]+)"', str(handoff["chart"])).group(1)
    assert len(set(re.findall(r"V([\d.]+)", path))) == 2


# --- the reports' distinct-lead companions --------------------------------------------------


@pytest.mark.both_databases
def test_period_leads_count_a_lead_entering_twice_once(lifecycle):
    """L2 entered mql twice (9 and 17 Sep): 7 entries, 6 leads."""
    entries = {s["stage"]: s["entered"] for s in funnel_report(query=PERIOD)[0]["stages"]}
    leads = funnel_period_leads(query=PERIOD)
    assert entries["mql"] == 7 and leads[(None, "mql")] == 6
    assert entries["inquiry"] == leads[(None, "inquiry")] == 24
    by_campaign = funnel_period_leads(query=PERIOD, group_by="campaign")
    assert by_campaign[(lifecycle.campaigns["C1"].pk, "mql")] == 4  # L1, L2, L5, L6


@pytest.mark.both_databases
@pytest.mark.parametrize("mode", ["period", "cohort"])
@pytest.mark.parametrize("filters", [{}, {"country": "FR"}, {"source": "ads"}, {"team": "sales"}])
def test_the_funnel_by_lead_fields_is_the_funnel_of_each_group(lifecycle, mode, filters):
    query = _query(**filters)
    together = funnel_by_lead_fields(query=query, mode=mode)
    for group_by in (None, "campaign", "source"):
        assert together[group_by]["rows"] == funnel_report(
            query=query, mode=mode, group_by=group_by
        )
        leads = funnel_period_leads(query=query, group_by=group_by) if mode == "period" else None
        assert together[group_by]["leads"] == leads
    if not filters:  # the fixture's history reaches every group, revenue included
        assert len(together["campaign"]["rows"]) > 2 and len(together["source"]["rows"]) > 2
        assert together[None]["rows"][0]["revenue_won"] != "0.00"


HOURS = ("median_hours_to_decision", "p95_hours_to_decision", "median_hours_to_first_touch",
         "p95_hours_to_first_touch")  # fmt: skip


@pytest.mark.both_databases
@pytest.mark.parametrize("interval", [None, "week"])
def test_the_handoff_report_without_durations_is_the_report_without_its_hours(
    lifecycle, interval, django_assert_max_num_queries
):
    full = handoff_report(query=PERIOD, interval=interval)
    assert any(row["median_hours_to_decision"] is not None for row in full)
    with django_assert_max_num_queries(4):  # one pass fewer than the report's
        counts = handoff_report(query=PERIOD, interval=interval, durations=False)
    assert counts == [{**row, **dict.fromkeys(HOURS)} for row in full]


@pytest.mark.both_databases
def test_handoff_leads_count_a_lead_offered_twice_once(lifecycle):
    """L2 was offered to sales twice: rejected on 9 Sep, accepted on 17 Sep."""
    offers = next(r for r in handoff_report(query=PERIOD, leads=True) if r["handoff"] == "mql_sal")
    leads = offers.pop("leads")
    assert offers["offered"] == 7 and leads["offered"] == 6
    assert (leads["accepted"], leads["rejected"]) == (offers["accepted"], offers["rejected"])
    assert leads["pending"] == offers["pending"]
    assert offers == next(r for r in handoff_report(query=PERIOD) if r["handoff"] == "mql_sal")
    weekly = handoff_report(query=PERIOD, interval="week", leads=True)
    week = next(r for r in weekly if (r["handoff"], r["week"]) == ("mql_sal", "2026-09-07"))
    assert week["leads"]["offered"] == 3  # L1, L5, L2


# --- cost -----------------------------------------------------------------------------------


@pytest.mark.both_databases
def test_the_page_is_a_fixed_number_of_queries_whatever_the_leads(lifecycle, marketer, at):
    # The session and user; the form's campaigns and teams; per report its statements (and
    # the funnel's path each time): the funnel three times (overall, by campaign, by source)
    # and the distinct leads once, the handoffs and their leads for the period and for the
    # trend with their targets, black hole, gems, alerts, campaign names. 48 on PostgreSQL in
    # period mode, 52 in cohort mode (its session settings); SQLite has no session statements.
    pin = 52
    with CaptureQueriesContext(connection) as before:
        assert dashboard(marketer, mode="period").status_code == 200
    with at(datetime.datetime(2026, 9, 15, 10, tzinfo=datetime.UTC)):
        for n in range(12):
            lead_create(
                actor=None, stage="inquiry", email=f"more{n}@example.com", country="DE",
                source=f"src{n}", campaign=lifecycle.campaigns["C1"],
            )  # fmt: skip
    cache.clear()  # the figures computed again, not the ones kept (dashboard_figures)
    with CaptureQueriesContext(connection) as after:
        assert dashboard(marketer, mode="period").status_code == 200
    assert len(after) == len(before) <= pin
    with CaptureQueriesContext(connection) as cohort:
        assert dashboard(marketer, mode="cohort").status_code == 200
    assert len(cohort) <= pin


def test_figures_are_kept_until_the_configuration_changes(lifecycle, marketer, at):
    with CaptureQueriesContext(connection) as computed:
        first = dashboard(marketer)
    with CaptureQueriesContext(connection) as kept:
        again = dashboard(marketer)
    # The session, the form's choices and the audit trail's newest id: no report runs again.
    assert len(kept) < 10 < len(computed)
    assert linked_figures(again.context) == linked_figures(first.context)
    assert "figures as of" in again.text

    # A new lead shows once the kept figures expire; a configuration change shows at once.
    with at(datetime.datetime(2026, 9, 15, 10, tzinfo=datetime.UTC)):
        lead_create(actor=None, stage="inquiry", email="late@example.com", country="DE")
    assert linked_figures(dashboard(marketer).context) == linked_figures(first.context)
    pair = HandoffPair.objects.get(key="mql_sal")
    handoff_target_set(
        handoff=pair, rate=Decimal("0.6"), effective_from=datetime.date(2026, 9, 1), actor=None
    )
    with CaptureQueriesContext(connection) as changed:
        after_change = dashboard(marketer)
    assert len(changed) == len(computed)  # computed again, new lead included

    def inquiries(response):
        return next(
            s["entered"] for s in response.context["funnel"]["stages"] if s["key"] == "inquiry"
        )

    assert inquiries(after_change) == inquiries(first) + 1


def test_the_landing_figures_are_ready_before_anyone_asks(lifecycle, marketer):
    assert dashboard_warm() == 2  # the default question, in English and in Russian
    with CaptureQueriesContext(connection) as landing:
        response = marketer.get(reverse(PAGE))
    assert response.status_code == 200
    assert len(landing) < 10  # the session, the form's choices, the audit trail's newest id


def test_the_page_says_its_server_time(report_people, marketer):
    timing = marketer.get(reverse(PAGE)).headers["Server-Timing"]
    assert re.fullmatch(r"figures;dur=\d+, page;dur=\d+", timing)


def test_a_dashboard_question_is_built_from_the_form(report_people):
    team = Team.objects.get(key="sales")
    form = DashboardForm({**ASKED, "team": "sales", "country": "de", "source": " Ads "})
    assert form.is_valid(), form.errors
    question = dashboard_question(form.cleaned_data)
    assert question.query == ReportQuery(
        start=datetime.date(2026, 9, 7), end=datetime.date(2026, 10, 5), team=team.key,
        country="DE", source="Ads",
    )  # fmt: skip
    assert (question.mode, question.sort) == ("period", "-revenue")
