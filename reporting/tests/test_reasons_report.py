"""The reasons and hidden-gems reports on a hand-built history; every figure worked out by hand.

November 2026, Berlin time. German leads go to rep a, French ones to rep b (both sales), QIs to
the inside rep; the marketer is in marketing. Campaigns: "Autumn webinar" (source webinar) and
"Search ads" (source ads). Scoring: a /pricing visit +10, an email open +1, an unsubscribe form
-5, a webinar 0.

  lead  made                     reason move (purpose), by                   activity after
  A     MQL 02 Nov, webinar, C1  02 Nov 12:00 not_icp (reject), rep a        10 Nov +10, 12 Nov +1
  B     MQL 03 Nov, webinar, C1  03 Nov 12:00 not_icp (reject), rep b        04 Nov +1
        back to MQL 05 Nov       06 Nov 12:00 no_authority (reject), rep b   -
  C     MQL 04 Nov, ads, C2      04 Nov 12:00 no_budget (reject), rep a      20 Nov +1
  D     QI 05 Nov, ads, C2       05 Nov 12:00 not_ready (reject), inside     15 Nov -5
  E     inquiry 06 Nov, ads      06 Nov 11:00 spam (disqualify), marketer    -
  F     MQL 09 Nov, accepted     09 Nov 15:00 student (disqualify: junk), a  11 Nov 0
  G     MQL 10 Nov, accepted     10 Nov 15:00 not_now (recycle), rep b       12 Nov +10
  H     MQL 11 Nov, accepted     13 Nov 10:00 price (lost), rep a            -
  I     MQL 30 Nov 23:00         01 Dec 00:30 not_icp: after the period (in UTC, 30 Nov 23:30)

A's page visit at 11:00 on 2 Nov came before its rejection. Rejects are 5: not_icp 2 (40%), and
no_budget, no_authority, not_ready 1 each (20%); disqualifications 2: spam and student, 50% each.

Hidden gems (each lead's last reject or disqualification in the period, then activity): A (2
activities, 11 points), C (1, 1), F (1, 0), D (1, -5). B's activity came before its second
rejection; E had none; G was recycled, not rejected; H was lost.
"""

import datetime

import pytest

from funnel.models import Campaign, HandoffPair, ReasonCode, Role, Team
from funnel.tests.factories import UserFactory
from handoff.models import Lead, Offer, RoutingRule, RoutingStrategy, ScoringRule
from handoff.services.leads import lead_create, lead_transition
from handoff.services.offers import offer_accept, offer_reject, offer_route
from handoff.services.work import activity_record, lead_disposition
from reporting.params import ReportQuery
from reporting.selectors.reasons import hidden_gems_report, reasons_report
from reporting.tests.conftest import berlin

pytestmark = [pytest.mark.both_databases]

PERIOD = ReportQuery(start=datetime.date(2026, 11, 1), end=datetime.date(2026, 12, 1))
LATER = berlin(2026, 12, 2, 12)


def _query(**changes) -> ReportQuery:
    return ReportQuery(**{"start": PERIOD.start, "end": PERIOD.end, **changes})


def _reason(purpose: str, code: str) -> ReasonCode:
    return ReasonCode.objects.get(purpose=purpose, code=code)


@pytest.fixture
def people(report_people):
    _, (rep_a, rep_b) = report_people
    inside = UserFactory(
        username="report_inside_rep", role=Role.INSIDE, team=Team.objects.get(key="inside")
    )
    marketer = UserFactory(
        username="report_marketer", role=Role.MARKETING, team=Team.objects.get(key="marketing")
    )
    mql_sal = HandoffPair.objects.get(key="mql_sal")
    for position, (country, rep) in enumerate([("DE", rep_a), ("FR", rep_b)], start=1):
        RoutingRule.objects.create(
            handoff=mql_sal,
            position=position,
            name=f"{country} to {rep.username}",
            strategy=RoutingStrategy.USER,
            target_user=rep,
            countries=[country],
        )
    for name, kind, contains, points in [
        ("Pricing page", "page_visit", "/pricing", 10),
        ("Email open", "email_open", "", 1),
        ("Unsubscribed", "form", "unsubscribe", -5),
    ]:
        ScoringRule.objects.create(name=name, kind=kind, contains=contains, points=points)
    return {"a": rep_a, "b": rep_b, "inside": inside, "marketer": marketer}


@pytest.fixture
def history(people, berlin_time, at):
    """The history above; returns the leads and campaigns by letter."""
    webinar = Campaign.objects.create(name="Autumn webinar", channel="webinar")
    ads = Campaign.objects.create(name="Search ads", channel="paid_search")
    leads = {}

    def made(letter, moment, stage="mql", **fields):
        with at(moment):
            leads[letter] = lead_create(
                actor=None,
                stage=stage,
                email=f"gem-{letter.lower()}@example.com",
                company=f"Company {letter}",
                **fields,
            )
            offer = Offer.objects.filter(lead=leads[letter], status="pending").first()
            return offer_route(offer_id=offer.pk) if offer else None

    def rejected(offer, moment, code):
        with at(moment):
            offer_reject(offer=offer, actor=offer.assignee, reason=_reason("reject", code))

    def accepted(offer, moment):
        with at(moment):
            offer_accept(offer=offer, actor=offer.assignee)

    def active(letter, moment, kind, **detail):
        with at(moment):
            activity_record(lead=leads[letter], kind=kind, at=moment, detail=detail)

    webinar_lead = {"source": "webinar", "campaign": webinar}
    ads_lead = {"source": "ads", "campaign": ads}

    offer = made("A", berlin(2026, 11, 2, 10), country="DE", **webinar_lead)
    active("A", berlin(2026, 11, 2, 11), "page_visit", url="/pricing")
    rejected(offer, berlin(2026, 11, 2, 12), "not_icp")

    offer = made("B", berlin(2026, 11, 3, 10), country="FR", **webinar_lead)
    rejected(offer, berlin(2026, 11, 3, 12), "not_icp")
    active("B", berlin(2026, 11, 4, 9), "email_open")
    with at(berlin(2026, 11, 5, 10)):
        lead = Lead.objects.get(pk=leads["B"].pk)
        lead_transition(lead=lead, to="mql", actor=people["marketer"])
        offer = offer_route(offer_id=Offer.objects.get(lead=lead, status="pending").pk)
    rejected(offer, berlin(2026, 11, 6, 12), "no_authority")

    offer = made("C", berlin(2026, 11, 4, 10), country="DE", **ads_lead)
    rejected(offer, berlin(2026, 11, 4, 12), "no_budget")

    offer = made("D", berlin(2026, 11, 5, 10), stage="qi", **ads_lead)
    rejected(offer, berlin(2026, 11, 5, 12), "not_ready")

    made("E", berlin(2026, 11, 6, 10), stage="inquiry", source="ads")
    with at(berlin(2026, 11, 6, 11)):
        lead_transition(
            lead=leads["E"],
            to="disqualified",
            actor=people["marketer"],
            reason=_reason("disqualify", "spam"),
        )

    accepted(made("F", berlin(2026, 11, 9, 10), country="DE"), berlin(2026, 11, 9, 11))
    with at(berlin(2026, 11, 9, 15)):
        lead_disposition(
            lead=leads["F"],
            actor=people["a"],
            disposition="junk",
            reason=_reason("disqualify", "student"),
        )

    accepted(made("G", berlin(2026, 11, 10, 10), country="FR"), berlin(2026, 11, 10, 11))
    with at(berlin(2026, 11, 10, 15)):
        lead_disposition(
            lead=leads["G"],
            actor=people["b"],
            disposition="recycle",
            reason=_reason("recycle", "not_now"),
        )

    accepted(made("H", berlin(2026, 11, 11, 10), country="DE"), berlin(2026, 11, 11, 11))
    with at(berlin(2026, 11, 13, 10)):
        lead_disposition(
            lead=leads["H"], actor=people["a"], disposition="lost", reason=_reason("lost", "price")
        )

    offer = made("I", berlin(2026, 11, 30, 23), country="DE", **webinar_lead)
    rejected(offer, berlin(2026, 12, 1, 0, 30), "not_icp")

    active("A", berlin(2026, 11, 10, 9), "page_visit", url="/pricing")
    active("F", berlin(2026, 11, 11, 9), "webinar", title="Product tour")
    active("A", berlin(2026, 11, 12, 9), "email_open")
    active("G", berlin(2026, 11, 12, 10), "page_visit", url="/pricing")
    active("D", berlin(2026, 11, 15, 9), "form", form="unsubscribe")
    active("C", berlin(2026, 11, 20, 9), "email_open")
    active("I", berlin(2026, 12, 2, 9), "page_visit", url="/pricing")
    return {**leads, "webinar": webinar, "ads": ads}


def _r(purpose, reason, label, group, count, share, **more):
    return {
        "purpose": purpose,
        "reason": reason,
        "label": label,
        "group": group,
        "count": count,
        **more,
        "share": share,
    }


NOT_ICP = ("reject", "not_icp", "Not our ideal customer profile")
NO_BUDGET = ("reject", "no_budget", "No budget")
NO_AUTHORITY = ("reject", "no_authority", "Wrong contact, no authority")
NOT_READY = ("reject", "not_ready", "Not ready to buy")
SPAM = ("disqualify", "spam", "Spam or fake")
STUDENT = ("disqualify", "student", "Student or job seeker")
NOT_NOW = ("recycle", "not_now", "Interested, not now")
PRICE = ("lost", "price", "Price")


# --- reasons --------------------------------------------------------------------------------


def test_reasons_by_count_and_share_within_their_purpose(history):
    report = reasons_report(query=PERIOD)

    assert report["by_reason"] == [
        _r(*NOT_ICP, None, 2, 0.4),
        _r(*NO_BUDGET, None, 1, 0.2),  # ties in the funnel's order of reasons
        _r(*NO_AUTHORITY, None, 1, 0.2),
        _r(*NOT_READY, None, 1, 0.2),
        _r(*SPAM, None, 1, 0.5),
        _r(*STUDENT, None, 1, 0.5),
        _r(*NOT_NOW, None, 1, 1.0),
        _r(*PRICE, None, 1, 1.0),
    ]


def test_reasons_per_handoff(history):
    report = reasons_report(query=PERIOD)

    # Dispositions and marketing's own moves go through no handoff.
    assert report["by_handoff"] == [
        _r(*NOT_ICP, "mql_sal", 2, 0.5),
        _r(*NO_BUDGET, "mql_sal", 1, 0.25),
        _r(*NO_AUTHORITY, "mql_sal", 1, 0.25),
        _r(*NOT_READY, "qi_qia", 1, 1.0),
        _r(*SPAM, None, 1, 0.5),
        _r(*STUDENT, None, 1, 0.5),
        _r(*NOT_NOW, None, 1, 1.0),
        _r(*PRICE, None, 1, 1.0),
    ]


def test_reasons_per_team_of_whoever_gave_them(history):
    report = reasons_report(query=PERIOD)

    assert report["by_team"] == [
        _r(*NOT_READY, "inside", 1, 1.0),
        _r(*SPAM, "marketing", 1, 1.0),
        _r(*NOT_ICP, "sales", 2, 0.5),
        _r(*NO_BUDGET, "sales", 1, 0.25),
        _r(*NO_AUTHORITY, "sales", 1, 0.25),
        _r(*STUDENT, "sales", 1, 1.0),
        _r(*NOT_NOW, "sales", 1, 1.0),
        _r(*PRICE, "sales", 1, 1.0),
    ]


def test_reasons_per_source_and_campaign_of_the_lead(history):
    report = reasons_report(query=PERIOD)
    webinar, ads = history["webinar"].pk, history["ads"].pk

    assert report["by_source"] == [
        _r(*NO_BUDGET, "ads", 1, 0.5),
        _r(*NOT_READY, "ads", 1, 0.5),
        _r(*SPAM, "ads", 1, 1.0),
        _r(*NOT_ICP, "webinar", 2, 0.6667),
        _r(*NO_AUTHORITY, "webinar", 1, 0.3333),
        _r(*STUDENT, None, 1, 1.0),
        _r(*NOT_NOW, None, 1, 1.0),
        _r(*PRICE, None, 1, 1.0),
    ]
    assert report["by_campaign"] == [
        _r(*NOT_ICP, webinar, 2, 0.6667, group_name="Autumn webinar"),
        _r(*NO_AUTHORITY, webinar, 1, 0.3333, group_name="Autumn webinar"),
        _r(*NO_BUDGET, ads, 1, 0.5, group_name="Search ads"),
        _r(*NOT_READY, ads, 1, 0.5, group_name="Search ads"),
        _r(*SPAM, None, 1, 0.5, group_name=None),
        _r(*STUDENT, None, 1, 0.5, group_name=None),
        _r(*NOT_NOW, None, 1, 1.0, group_name=None),
        _r(*PRICE, None, 1, 1.0, group_name=None),
    ]


def test_filters_narrow_the_reasons(history):
    def by_reason(**filters):
        rows = reasons_report(query=_query(**filters))["by_reason"]
        return [(r["reason"], r["count"], r["share"]) for r in rows]

    assert by_reason(source="Webinar") == [("not_icp", 2, 0.6667), ("no_authority", 1, 0.3333)]
    assert by_reason(campaign=history["webinar"].pk) == by_reason(source="webinar")
    assert by_reason(owner="report_rep_a") == [
        ("not_icp", 1, 0.5),
        ("no_budget", 1, 0.5),
        ("student", 1, 1.0),
        ("price", 1, 1.0),
    ]
    assert by_reason(team="inside") == [("not_ready", 1, 1.0)]
    assert by_reason(country="FR") == [
        ("not_icp", 1, 0.5),
        ("no_authority", 1, 0.5),
        ("not_now", 1, 1.0),
    ]


def test_a_purpose_narrows_the_reasons(history):
    report = reasons_report(query=PERIOD, purpose="disqualify")

    assert report["by_reason"] == [_r(*SPAM, None, 1, 0.5), _r(*STUDENT, None, 1, 0.5)]
    assert [r["group"] for r in report["by_team"]] == ["marketing", "sales"]


def test_an_empty_period_has_empty_breakdowns(history):
    report = reasons_report(
        query=_query(start=datetime.date(2026, 10, 1), end=datetime.date(2026, 11, 1))
    )

    assert report == {
        "by_reason": [],
        "by_handoff": [],
        "by_team": [],
        "by_source": [],
        "by_campaign": [],
    }


def test_a_merged_duplicates_reasons_are_left_out(history, people, at):
    from handoff.services.merge import lead_merge

    with at(LATER):
        survivor = lead_create(actor=None, stage="inquiry", email="gem-a-again@example.com")
        lead_merge(survivor=survivor, duplicate=history["A"], actor=people["marketer"])

    rows = reasons_report(query=PERIOD)["by_reason"]
    assert [(r["reason"], r["count"], r["share"]) for r in rows if r["purpose"] == "reject"] == [
        ("not_icp", 1, 0.25),
        ("no_budget", 1, 0.25),
        ("no_authority", 1, 0.25),
        ("not_ready", 1, 0.25),
    ]


# --- hidden gems ----------------------------------------------------------------------------


def _gem(history, letter, stage, reason, handoff, at, by, team, activities, points, last):
    purpose, code, label = reason
    return {
        "lead_id": history[letter].pk,
        "email": f"gem-{letter.lower()}@example.com",
        "company": f"Company {letter}",
        "stage": stage,
        "purpose": purpose,
        "reason": code,
        "label": label,
        "handoff": handoff,
        "rejected_at": at,
        "rejected_by": by,
        "team": team,
        "activity_since": activities,
        "points_since": points,
        "last_activity_at": last,
    }


def test_hidden_gems_are_rejected_leads_active_afterwards(history, at):
    with at(LATER):
        report = hidden_gems_report(query=PERIOD)

    assert report["results"] == [
        _gem(history, "A", "recycle", NOT_ICP, "mql_sal", "2026-11-02T12:00:00+01:00",
             "report_rep_a", "sales", 2, 11, "2026-11-12T09:00:00+01:00"),
        _gem(history, "C", "recycle", NO_BUDGET, "mql_sal", "2026-11-04T12:00:00+01:00",
             "report_rep_a", "sales", 1, 1, "2026-11-20T09:00:00+01:00"),
        _gem(history, "F", "disqualified", STUDENT, None, "2026-11-09T15:00:00+01:00",
             "report_rep_a", "sales", 1, 0, "2026-11-11T09:00:00+01:00"),
        _gem(history, "D", "recycle", NOT_READY, "qi_qia", "2026-11-05T12:00:00+01:00",
             "report_inside_rep", "inside", 1, -5, "2026-11-15T09:00:00+01:00"),
    ]  # fmt: skip
    assert report["total"] == 4


def test_hidden_gems_are_capped_and_filtered(history, at):
    with at(LATER):
        capped = hidden_gems_report(query=PERIOD, limit=1)
        inside = hidden_gems_report(query=_query(team="inside"))
        empty = hidden_gems_report(
            query=_query(start=datetime.date(2026, 10, 1), end=datetime.date(2026, 11, 1))
        )

    assert ([g["lead_id"] for g in capped["results"]], capped["total"]) == ([history["A"].pk], 4)
    assert ([g["lead_id"] for g in inside["results"]], inside["total"]) == ([history["D"].pk], 1)
    assert empty == {"results": [], "total": 0}


def test_as_of_reports_do_not_move_when_history_goes_on(history, people, at):
    as_of = _query(as_of=berlin(2026, 11, 16))
    reasons_before = reasons_report(query=as_of)
    gems_before = hidden_gems_report(query=as_of)
    # By 16 Nov: every reason above was given; C's activity (20 Nov) had not happened yet.
    assert reasons_before == reasons_report(query=PERIOD)
    assert [
        (g["lead_id"], g["activity_since"], g["points_since"]) for g in gems_before["results"]
    ] == [
        (history["A"].pk, 2, 11),
        (history["F"].pk, 1, 0),
        (history["D"].pk, 1, -5),
    ]

    with at(berlin(2026, 11, 25, 10)):
        lead = lead_create(actor=None, stage="mql", email="gem-j@example.com", country="DE")
        offer = offer_route(offer_id=Offer.objects.get(lead=lead).pk)
    with at(berlin(2026, 11, 25, 12)):
        offer_reject(offer=offer, actor=offer.assignee, reason=_reason("reject", "not_icp"))
        # Imported today, about a visit on 14 Nov: not known on 16 Nov.
        activity_record(
            lead=history["E"],
            kind="page_visit",
            at=berlin(2026, 11, 14),
            detail={"url": "/pricing"},
        )

    assert reasons_report(query=as_of) == reasons_before
    assert hidden_gems_report(query=as_of) == gems_before
    assert reasons_report(query=PERIOD)["by_reason"][0]["count"] == 3  # not_icp
    with at(LATER):
        now = hidden_gems_report(query=PERIOD)
    assert [(g["lead_id"], g["points_since"]) for g in now["results"]][:2] == [
        (history["A"].pk, 11),
        (history["E"].pk, 10),
    ]


def test_the_reports_are_a_fixed_number_of_queries(history, at, django_assert_max_num_queries):
    # The session's settings (PostgreSQL), the reason codes, every breakdown, campaign names.
    with django_assert_max_num_queries(4):
        reasons_report(query=PERIOD)
    with at(LATER), django_assert_max_num_queries(2):
        hidden_gems_report(query=PERIOD)


# --- the API --------------------------------------------------------------------------------


def test_the_reasons_api_answers_the_envelope(history, report_api):
    response = report_api().get(
        "/api/v1/reports/reasons/", {"start": "2026-11-01", "end": "2026-12-01", "purpose": "lost"}
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["start"], body["end"], body["as_of"], body["purpose"]) == (
        "2026-11-01",
        "2026-12-01",
        None,
        "lost",
    )
    assert body["results"]["by_reason"] == [_r(*PRICE, None, 1, 1.0)]
    assert body["results"]["by_team"] == [_r(*PRICE, "sales", 1, 1.0)]


def test_the_hidden_gems_api_answers_the_envelope(history, report_api):
    response = report_api(Role.MANAGER).get(
        "/api/v1/reports/hidden-gems/",
        {"start": "2026-11-01", "end": "2026-12-01", "as_of": LATER.isoformat(), "limit": 2},
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["total"], body["limit"]) == (4, 2)
    assert [g["lead_id"] for g in body["results"]] == [history["A"].pk, history["C"].pk]


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("reasons", {"end": "2026-12-01"}, "start"),
        ("reasons", {"start": "2026-11-01", "end": "2026-11-01"}, "end"),
        ("reasons", {"start": "2026-11-01", "end": "2030-11-01"}, "end"),
        ("reasons", {"start": "2026-11-01", "end": "2026-12-01", "purpose": "won"}, "purpose"),
        ("reasons", {"start": "2026-11-01", "end": "2026-12-01", "campaign": "x"}, "campaign"),
        ("hidden-gems", {"start": "2026-11-01", "end": "2026-12-01", "limit": 0}, "limit"),
        ("hidden-gems", {"start": "2026-11-01", "end": "2026-12-01", "days": 3}, "days"),
    ],
)
def test_bad_parameters_are_refused(report_api, url, params, field):
    response = report_api().get(f"/api/v1/reports/{url}/", params)

    assert response.status_code == 400
    assert field in response.json()["errors"]
