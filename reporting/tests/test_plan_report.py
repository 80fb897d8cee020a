"""The plan (reverse waterfall) on a hand-built history; every figure worked out by hand.

The window is the two weeks before Monday 16 November 2026, Berlin time: [2 Nov, 16 Nov).

  8 inquiries made (the first at 00:30 on 2 Nov: 1 Nov in UTC, in the window all the same);
  leads 1-4 moved to QI on 3 Nov, and 2 more made as QIs (6 QIs); the inside rep accepts 1, 2, 4
  on 4 Nov and 3 on 5 Nov (4 QIAs), rejects one, leaves one pending; 1 and 2 qualified to MQL on
  5 Nov, and 2 demo requests made as MQLs (4 MQLs); sales accepts 1, 2 and the first demo on
  6 Nov (3 SALs) and rejects the other; the demo is qualified to SQL on 9 Nov and lost on 12 Nov;
  1 and 2 are won on 12 Nov (through SQL: 3 SQLs), for 20,000 and 40,000. An inquiry made at
  00:30 on 16 Nov is after the window (in UTC it would be inside).

  step         entered  moved  rate
  inquiry_qi         8      4  1/2
  qi_qia             6      4  2/3
  qia_mql            4      2  1/2
  mql_sal            4      3  3/4
  sal_sql            3      3  1
  sql_won            3      2  2/3      average won deal: 30,000

Goal 600,000 in 13 weeks: 20 deals; SQLs 20 / (2/3) = 30; SALs 30; MQLs 30 / (3/4) = 40;
QIAs 80; QIs 80 / (2/3) = 120; inquiries 240. Per week, rounded up: 2, 3, 3, 4, 7, 10, 19.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from funnel.models import HandoffPair, ReasonCode, Role, Stage, Team
from funnel.tests.factories import UserFactory
from handoff.models import Lead, Offer
from handoff.services.leads import lead_create, lead_transition
from handoff.services.offers import offer_accept, offer_reject, offer_route
from handoff.services.work import lead_disposition
from reporting.params import ReportQuery
from reporting.selectors.plan import HANDOFF_OFF_PATH, plan_report, plan_window
from reporting.tests.conftest import berlin

pytestmark = [pytest.mark.both_databases]

URL = "/api/v1/reports/plan/"
START, END = plan_window(datetime.date(2026, 11, 16), 2)
WINDOW = ReportQuery(start=START, end=END)
STAGES = ["inquiry", "qi", "qia", "mql", "sal", "sql", "won"]


def _window(end: datetime.date, weeks: int, **more) -> ReportQuery:
    start, end = plan_window(end, weeks)
    return ReportQuery(start=start, end=end, **more)


@pytest.fixture
def history(report_people, berlin_time, at):
    inside = UserFactory(
        username="report_inside_rep", role=Role.INSIDE, team=Team.objects.get(key="inside")
    )
    marketer = UserFactory(
        username="report_marketer", role=Role.MARKETING, team=Team.objects.get(key="marketing")
    )
    leads = {}

    def fresh(name):
        return Lead.objects.get(pk=leads[name].pk)

    def routed(name):
        return offer_route(offer_id=Offer.objects.get(lead=leads[name], status="pending").pk)

    def made(name, moment, stage):
        with at(moment):
            leads[name] = lead_create(actor=None, stage=stage, email=f"plan-{name}@example.com")
            return routed(name) if stage in ("qi", "mql") else None

    def decide(offer, moment, reason=None):
        with at(moment):
            if reason:
                offer_reject(offer=offer, actor=offer.assignee, reason=reason)
            else:
                offer_accept(offer=offer, actor=offer.assignee)

    offers = {}
    made("i1", berlin(2026, 11, 2, 0, 30), "inquiry")
    for n in range(2, 9):
        made(f"i{n}", berlin(2026, 11, 2, 9, n), "inquiry")
    for n in range(1, 5):
        with at(berlin(2026, 11, 3, 9, n)):
            lead_transition(lead=fresh(f"i{n}"), to="qi", actor=marketer)
            offers[f"i{n}"] = routed(f"i{n}")
    offers["q1"] = made("q1", berlin(2026, 11, 3, 10), "qi")
    offers["q2"] = made("q2", berlin(2026, 11, 3, 10, 1), "qi")
    for n, moment in [(1, (4, 10)), (2, (4, 10, 1)), (4, (4, 10, 2)), (3, (5, 9))]:
        decide(offers[f"i{n}"], berlin(2026, 11, *moment))
    decide(offers["q1"], berlin(2026, 11, 4, 11), ReasonCode.objects.get(code="not_ready"))
    for n in (1, 2):
        with at(berlin(2026, 11, 5, 10, n)):
            lead_disposition(lead=fresh(f"i{n}"), actor=inside, disposition="qualified")
            offers[f"i{n}"] = routed(f"i{n}")
    offers["d1"] = made("d1", berlin(2026, 11, 5, 11), "mql")
    offers["d2"] = made("d2", berlin(2026, 11, 5, 11, 1), "mql")
    for n, name in enumerate(["i1", "i2", "d1"]):
        decide(offers[name], berlin(2026, 11, 6, 10, n))
    decide(offers["d2"], berlin(2026, 11, 6, 11), ReasonCode.objects.get(code="not_icp"))

    def disposition(name, moment, kind, **more):
        with at(moment):
            rep = Offer.objects.get(lead=leads[name], handoff__key="mql_sal").assignee
            lead_disposition(lead=fresh(name), actor=rep, disposition=kind, **more)

    disposition("d1", berlin(2026, 11, 9, 10), "qualified")
    disposition("i1", berlin(2026, 11, 12, 14), "won", amount=Decimal(20000))
    disposition("i2", berlin(2026, 11, 12, 15), "won", amount=Decimal(40000))
    lost = ReasonCode.objects.get(purpose="lost", code="price")
    disposition("d1", berlin(2026, 11, 12, 16), "lost", reason=lost)
    made("late", berlin(2026, 11, 16, 0, 30), "inquiry")
    return leads


def _plan(rows, scenario=False):
    keys = ("scenario_per_week", "scenario_total") if scenario else ("per_week", "total")
    return {r["stage"]: (r[keys[0]], r[keys[1]]) for r in rows}


def test_the_step_rates_come_from_the_window(history):
    report = plan_report(query=WINDOW, revenue_goal=Decimal(600000), weeks=13)

    assert [(s["step"], s["entered"], s["moved"], s["rate"]) for s in report["steps"]] == [
        ("inquiry_qi", 8, 4, 0.5),
        ("qi_qia", 6, 4, 0.6667),
        ("qia_mql", 4, 2, 0.5),
        ("mql_sal", 4, 3, 0.75),
        ("sal_sql", 3, 3, 1.0),
        ("sql_won", 3, 2, 0.6667),
    ]
    assert [s["handoff"] for s in report["steps"]] == [None, "qi_qia", None, "mql_sal", None, None]
    assert all(s["plan_rate"] == s["rate"] for s in report["steps"])
    assert (report["won_deals"], report["won_amount"], report["observed_deal_size"]) == (
        2,
        60000.0,
        30000.0,
    )


def test_the_plan_works_back_from_the_goal(history):
    report = plan_report(query=WINDOW, revenue_goal=Decimal(600000), weeks=13)

    assert [r["stage"] for r in report["results"]] == STAGES
    assert _plan(report["results"]) == {
        "inquiry": (19, 240),  # 240 / 13 = 18.5
        "qi": (10, 120),
        "qia": (7, 80),
        "mql": (4, 40),
        "sal": (3, 30),
        "sql": (3, 30),
        "won": (2, 20),
    }
    assert (report["deal_size"], report["deal_size_source"]) == (30000.0, "trailing_average")
    assert (report["revenue_goal"], report["weeks"], report["notes"]) == (600000.0, 13, [])
    assert report["scenario"] is None
    assert _plan(report["results"], scenario=True) == dict.fromkeys(STAGES, (None, None))


def test_needs_are_rounded_up_once_not_step_by_step(history):
    report = plan_report(query=WINDOW, revenue_goal=Decimal(610000), weeks=13)

    # 20 1/3 deals; SQLs and SALs 30.5; MQLs 40 2/3; QIAs 81 1/3; QIs exactly 122; inquiries 244.
    # Rounding each step up would ask for 21 deals, 32 SQLs, ..., 129 QIs.
    assert _plan(report["results"]) == {
        "inquiry": (19, 244),
        "qi": (10, 122),
        "qia": (7, 82),
        "mql": (4, 41),
        "sal": (3, 31),
        "sql": (3, 31),
        "won": (2, 21),
    }


def test_a_given_deal_size_replaces_the_average(history):
    report = plan_report(
        query=WINDOW, revenue_goal=Decimal(600000), weeks=13, deal_size=Decimal(25000)
    )

    # 24 deals: SQLs 36, SALs 36, MQLs 48, QIAs 96, QIs 144, inquiries 288.
    assert _plan(report["results"]) == {
        "inquiry": (23, 288),
        "qi": (12, 144),
        "qia": (8, 96),
        "mql": (4, 48),
        "sal": (3, 36),
        "sql": (3, 36),
        "won": (2, 24),
    }
    assert (report["deal_size"], report["deal_size_source"], report["observed_deal_size"]) == (
        25000.0,
        "given",
        30000.0,
    )


def test_a_handoff_at_a_target_rate_is_planned_side_by_side(history):
    report = plan_report(
        query=WINDOW,
        revenue_goal=Decimal(600000),
        weeks=13,
        handoff="mql_sal",
        target_rate=Decimal("0.6"),
    )

    # At 60% acceptance: MQLs 30 / 0.6 = 50, QIAs 100, QIs 150, inquiries 300.
    assert _plan(report["results"], scenario=True) == {
        "inquiry": (24, 300),
        "qi": (12, 150),
        "qia": (8, 100),
        "mql": (4, 50),
        "sal": (3, 30),
        "sql": (3, 30),
        "won": (2, 20),
    }
    assert _plan(report["results"])["inquiry"] == (19, 240)
    assert report["scenario"] == {
        "handoff": "mql_sal",
        "step": "mql_sal",
        "observed_rate": 0.75,
        "configured_target_rate": 1.0,
        "target_rate": 0.6,
    }
    assert [s["scenario_rate"] for s in report["steps"]] == [0.5, 0.6667, 0.5, 0.6, 1.0, 0.6667]


def test_a_scenario_defaults_to_the_handoffs_configured_target(history):
    report = plan_report(query=WINDOW, revenue_goal=Decimal(600000), weeks=13, handoff="mql_sal")

    # At 100%: MQLs 30, QIAs 60, QIs 90, inquiries 180.
    assert _plan(report["results"], scenario=True)["mql"] == (3, 30)
    assert _plan(report["results"], scenario=True)["inquiry"] == (14, 180)
    assert report["scenario"]["target_rate"] == 1.0


def test_a_step_with_no_conversions_stops_the_plan_and_says_why(history):
    # [28 Oct, 11 Nov): 1 SQL and no win yet, so no average deal size either.
    query = _window(datetime.date(2026, 11, 11), 2)

    report = plan_report(query=query, revenue_goal=Decimal(600000), weeks=13)
    given = plan_report(
        query=query, revenue_goal=Decimal(600000), weeks=13, deal_size=Decimal(30000)
    )

    assert report["steps"][-1] == {
        "step": "sql_won",
        "from_stage": "sql",
        "to_stage": "won",
        "handoff": None,
        "entered": 1,
        "moved": 0,
        "rate": 0.0,
        "plan_rate": 0.0,
        "scenario_rate": None,
    }
    assert _plan(report["results"]) == dict.fromkeys(STAGES, (None, None))
    assert [n["code"] for n in report["notes"]] == ["no_deal_size", "no_conversions"]
    assert report["deal_size"] is None
    assert _plan(given["results"]) == {**dict.fromkeys(STAGES, (None, None)), "won": (2, 20)}
    assert [(n["code"], n["step"]) for n in given["notes"]] == [("no_conversions", "sql_won")]


def test_more_moves_than_entries_are_planned_at_one_hundred_percent(history):
    # [5 Nov, 12 Nov): one lead entered QIA (lead 3), two moved on from it (1 and 2).
    report = plan_report(
        query=_window(datetime.date(2026, 11, 12), 1), revenue_goal=Decimal(1), weeks=1
    )

    step = next(s for s in report["steps"] if s["step"] == "qia_mql")
    assert (step["entered"], step["moved"], step["rate"], step["plan_rate"]) == (1, 2, 2.0, 1.0)
    assert ("rate_above_one", "qia_mql") in [(n["code"], n["step"]) for n in report["notes"]]


def test_an_empty_window_explains_every_missing_figure(history):
    report = plan_report(
        query=_window(datetime.date(2026, 10, 1), 12), revenue_goal=Decimal(600000), weeks=13
    )

    assert _plan(report["results"]) == dict.fromkeys(STAGES, (None, None))
    assert [s["rate"] for s in report["steps"]] == [None] * 6
    assert [(n["code"], n["step"]) for n in report["notes"]] == [
        ("no_deal_size", None),
        *[("not_enough_history", s) for s in
          ("inquiry_qi", "qi_qia", "qia_mql", "mql_sal", "sal_sql", "sql_won")],
    ]  # fmt: skip
    assert (report["won_deals"], report["won_amount"], report["observed_deal_size"]) == (
        0,
        None,
        None,
    )


def test_an_as_of_plan_does_not_move_when_history_goes_on(history, at):
    as_of = ReportQuery(start=START, end=END, as_of=berlin(2026, 11, 12, 14, 30))
    # By then lead 1 was won (20,000) and lead 2 not yet: SQLs 2 (the demo, lead 1), won 1.
    before = plan_report(query=as_of, revenue_goal=Decimal(600000), weeks=13)
    assert [(s["entered"], s["moved"]) for s in before["steps"]][-2:] == [(3, 2), (2, 1)]
    # 30 deals of 20,000; SQLs 60, SALs 90, MQLs 120, QIAs 240, QIs 360, inquiries 720.
    assert _plan(before["results"]) == {
        "inquiry": (56, 720),
        "qi": (28, 360),
        "qia": (19, 240),
        "mql": (10, 120),
        "sal": (7, 90),
        "sql": (5, 60),
        "won": (3, 30),
    }

    with at(berlin(2026, 11, 14, 10)):
        lead_create(actor=None, stage="inquiry", email="plan-later@example.com")

    assert plan_report(query=as_of, revenue_goal=Decimal(600000), weeks=13) == before
    now = plan_report(query=WINDOW, revenue_goal=Decimal(600000), weeks=13)
    assert now["steps"][0]["entered"] == 9


def test_filters_narrow_the_history(history):
    # No lead has a source: a source filter leaves no history at all.
    report = plan_report(
        query=ReportQuery(start=START, end=END, source="webinar"),
        revenue_goal=Decimal(600000),
        weeks=13,
    )

    assert [s["entered"] for s in report["steps"]] == [0] * 6
    assert report["won_deals"] == 0


def test_the_report_is_a_fixed_number_of_queries(history, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        plan_report(
            query=WINDOW,
            revenue_goal=Decimal(600000),
            weeks=13,
            handoff="mql_sal",
            target_rate=Decimal("0.6"),
        )


def test_the_selector_refuses_what_it_cannot_divide_by():
    with pytest.raises(ValidationError) as refused:
        plan_report(query=WINDOW, revenue_goal=Decimal(1), weeks=0, deal_size=Decimal(0))

    assert set(refused.value.message_dict) == {"weeks", "deal_size"}


def test_a_handoff_off_the_main_path_is_refused(report_people):
    stages = {s.key: s for s in Stage.objects.all()}
    sales = Team.objects.get(key="sales")
    HandoffPair.objects.create(
        key="sal_won",
        name="Straight to won",
        offered_stage=stages["sal"],
        accepted_stage=stages["won"],
        reject_stage=stages["recycle"],
        sending_team=sales,
        receiving_team=sales,
    )

    with pytest.raises(ValidationError) as refused:
        plan_report(query=WINDOW, revenue_goal=Decimal(1), weeks=1, handoff="sal_won")

    assert refused.value.message_dict == {
        "handoff": [HANDOFF_OFF_PATH.format(key="sal_won", offered="sal", accepted="won")]
    }


# --- the API --------------------------------------------------------------------------------


def test_the_api_answers_the_envelope(history, report_api):
    response = report_api().get(
        URL,
        {
            "end": "2026-11-16",
            "trailing_weeks": 2,
            "revenue_goal": "600000",
            "weeks": 13,
            "handoff": "mql_sal",
            "target_rate": "0.6",
        },
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["start"], body["end"], body["as_of"], body["trailing_weeks"]) == (
        "2026-11-02",
        "2026-11-16",
        None,
        2,
    )
    assert body["results"][0] == {
        "stage": "inquiry",
        "name": "Inquiry",
        "per_week": 19,
        "total": 240,
        "scenario_per_week": 24,
        "scenario_total": 300,
    }
    assert body["scenario"]["target_rate"] == 0.6
    assert body["notes"] == []


def test_the_window_defaults_to_the_twelve_weeks_before_today(history, report_api, at):
    with at(berlin(2026, 11, 16, 10)):
        response = report_api().get(URL, {"revenue_goal": "600000", "weeks": 13})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["start"], body["end"], body["trailing_weeks"]) == ("2026-08-24", "2026-11-16", 12)
    assert [r["total"] for r in body["results"]] == [240, 120, 80, 40, 30, 30, 20]


def test_extreme_but_valid_input_still_answers(history, report_api):
    response = report_api().get(
        URL,
        {
            "end": "2026-11-16",
            "trailing_weeks": 104,
            "revenue_goal": "99999999999999.99",
            "deal_size": "0.01",
            "weeks": 520,
            "handoff": "qi_qia",
            "target_rate": "0.001",
        },
    )

    assert response.status_code == 200, response.json()
    assert response.json()["results"][0]["scenario_total"] > response.json()["results"][0]["total"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"weeks": 13}, "revenue_goal"),
        ({"revenue_goal": "lots", "weeks": 13}, "revenue_goal"),
        ({"revenue_goal": "-5", "weeks": 13}, "revenue_goal"),
        ({"revenue_goal": "1000"}, "weeks"),
        ({"revenue_goal": "1000", "weeks": 0}, "weeks"),
        ({"revenue_goal": "1000", "weeks": 13, "deal_size": "0"}, "deal_size"),
        ({"revenue_goal": "1000", "weeks": 13, "trailing_weeks": 0}, "trailing_weeks"),
        ({"revenue_goal": "1000", "weeks": 13, "trailing_weeks": 105}, "trailing_weeks"),
        ({"revenue_goal": "1000", "weeks": 13, "target_rate": "0.6"}, "target_rate"),
        ({"revenue_goal": "1000", "weeks": 13, "handoff": "mql_sal", "target_rate": "0"},
         "target_rate"),
        ({"revenue_goal": "1000", "weeks": 13, "handoff": "mql_sal", "target_rate": "1.5"},
         "target_rate"),
        ({"revenue_goal": "1000", "weeks": 13, "handoff": "nope"}, "handoff"),
        ({"revenue_goal": "1000", "weeks": 13, "start": "2026-11-01"}, "start"),
        ({"revenue_goal": "1000", "weeks": 13, "team": "sales"}, "team"),
        ({"revenue_goal": "1000", "weeks": 13, "end": "someday"}, "end"),
    ],
)  # fmt: skip
def test_bad_parameters_are_refused(report_api, params, field):
    response = report_api().get(URL, params)

    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
