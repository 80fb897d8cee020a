"""The black-hole report on a hand-built history; every figure worked out by hand.

Offers are routed when made, so each working-time limit (`work_due_at`) is the offer time plus
the default agreement's 30 calendar days. German leads go to rep a, French ones to rep b; QIs
to the inside rep. Berlin time (CET, +01:00, all through November and December 2026):

  lead  handoff  offered         accepted        work due        afterwards
  1     mql_sal  Mon 02 Nov 10   02 Nov 12:00    02 Dec 10:00    touched 03 Nov 09, 10 Nov 15
  6     qi_qia   Mon 02 Nov 09   02 Nov 14:24    02 Dec 09:00
  2     mql_sal  Tue 03 Nov 10   03 Nov 12:00    03 Dec 10:00
  3     mql_sal  Wed 04 Nov 10   04 Nov 10:30    04 Dec 10:00    qualified 20 Nov (closed)
  5     mql_sal  Thu 05 Nov 10   rejected 12:00
  7     mql_sal  Fri 06 Nov 10   (pending)
  8     mql_sal  Mon 09 Nov 10   09 Nov 12:00    09 Dec 10:00    touched 09 Nov 13
  4     mql_sal  Fri 20 Nov 10   20 Nov 14:00    20 Dec 10:00

Seen on Tue 15 Dec 12:00, leads 1, 6, 2 and 8 are past their limit; 4 is not yet (20 Dec).
Ages since acceptance: 1: 43 days; 6: 42 days 21.6 h = 42.9; 2: 42.0; 8: 36.0; 4: 24 days
22 h = 24.9.
"""

import datetime

import pytest

from funnel.models import HandoffPair, ReasonCode, Role, Team
from funnel.tests.factories import UserFactory
from handoff.models import Offer, RoutingRule, RoutingStrategy
from handoff.services.leads import lead_create
from handoff.services.offers import offer_accept, offer_reject, offer_route
from handoff.services.work import lead_disposition, touch_log
from reporting.api.common import MAX_SPAN
from reporting.params import ReportQuery
from reporting.selectors.black_hole import black_hole_report
from reporting.tests.conftest import berlin

pytestmark = [pytest.mark.both_databases]

NOW = berlin(2026, 12, 15, 12)
PERIOD = ReportQuery(start=datetime.date(2026, 11, 1), end=datetime.date(2026, 12, 1))
URL = "/api/v1/reports/black-hole/"


def _query(**changes) -> ReportQuery:
    return ReportQuery(**{"start": PERIOD.start, "end": PERIOD.end, **changes})


@pytest.fixture
def leads(report_people, berlin_time, at):
    """The history above; returns the leads by number."""
    _, (rep_a, rep_b) = report_people
    UserFactory(username="report_inside_rep", role=Role.INSIDE, team=Team.objects.get(key="inside"))
    for position, (country, rep) in enumerate([("DE", rep_a), ("FR", rep_b)], start=1):
        RoutingRule.objects.create(
            handoff=HandoffPair.objects.get(key="mql_sal"),
            position=position,
            name=f"{country} to {rep.username}",
            strategy=RoutingStrategy.USER,
            target_user=rep,
            countries=[country],
        )
    not_icp = ReasonCode.objects.get(purpose="reject", code="not_icp")

    def offered(n: int, moment, *, stage="mql", country="DE"):
        with at(moment):
            lead = lead_create(
                actor=None,
                stage=stage,
                email=f"bh{n}@example.com",
                company=f"Company {n}",
                country=country,
            )
            offer = offer_route(offer_id=Offer.objects.get(lead=lead).pk)
        return lead, offer

    def accepted(n: int, moment, when, **kwargs):
        lead, offer = offered(n, moment, **kwargs)
        with at(when):
            offer_accept(offer=offer, actor=offer.assignee)
        return lead

    leads = {}
    leads[1] = accepted(1, berlin(2026, 11, 2, 10), berlin(2026, 11, 2, 12))
    leads[6] = accepted(6, berlin(2026, 11, 2, 9), berlin(2026, 11, 2, 14, 24), stage="qi")
    leads[2] = accepted(2, berlin(2026, 11, 3, 10), berlin(2026, 11, 3, 12), country="FR")
    leads[3] = accepted(3, berlin(2026, 11, 4, 10), berlin(2026, 11, 4, 10, 30))
    leads[5], offer = offered(5, berlin(2026, 11, 5, 10), country="FR")
    with at(berlin(2026, 11, 5, 12)):
        offer_reject(offer=offer, actor=offer.assignee, reason=not_icp)
    leads[7], _ = offered(7, berlin(2026, 11, 6, 10))
    leads[8] = accepted(8, berlin(2026, 11, 9, 10), berlin(2026, 11, 9, 12))
    leads[4] = accepted(4, berlin(2026, 11, 20, 10), berlin(2026, 11, 20, 14))

    for n, moment, kind in [
        (1, berlin(2026, 11, 3, 9), "call"),
        (1, berlin(2026, 11, 10, 15), "email"),
        (8, berlin(2026, 11, 9, 13), "call"),
    ]:
        with at(moment):
            touch_log(lead=leads[n], actor=rep_a, kind=kind)
    with at(berlin(2026, 11, 20, 10)):
        lead_disposition(lead=leads[3], actor=rep_a, disposition="qualified")
    return leads


def _row(leads, n, owner, stage, handoff, accepted, due, age, last_touch, touches):
    return {
        "lead_id": leads[n].pk,
        "email": f"bh{n}@example.com",
        "company": f"Company {n}",
        "owner": owner,
        "stage": stage,
        "handoff": handoff,
        "accepted_at": accepted,
        "work_due_at": due,
        "age_days": age,
        "last_touch_at": last_touch,
        "touches": touches,
    }


def test_accepted_leads_past_their_working_time_limit_oldest_first(leads, at):
    with at(NOW):
        report = black_hole_report(query=PERIOD)

    assert report["results"] == [
        _row(leads, 1, "report_rep_a", "sal", "mql_sal", "2026-11-02T12:00:00+01:00",
             "2026-12-02T10:00:00+01:00", 43.0, "2026-11-10T15:00:00+01:00", 2),
        _row(leads, 6, "report_inside_rep", "qia", "qi_qia", "2026-11-02T14:24:00+01:00",
             "2026-12-02T09:00:00+01:00", 42.9, None, 0),
        _row(leads, 2, "report_rep_b", "sal", "mql_sal", "2026-11-03T12:00:00+01:00",
             "2026-12-03T10:00:00+01:00", 42.0, None, 0),
        _row(leads, 8, "report_rep_a", "sal", "mql_sal", "2026-11-09T12:00:00+01:00",
             "2026-12-09T10:00:00+01:00", 36.0, "2026-11-09T13:00:00+01:00", 1),
    ]  # fmt: skip
    assert report["total"] == 4


def test_counts_by_owner_most_first(leads, at):
    with at(NOW):
        report = black_hole_report(query=PERIOD)

    assert report["by_owner"] == [
        {"owner": "report_rep_a", "count": 2, "oldest_age_days": 43.0},
        {"owner": "report_inside_rep", "count": 1, "oldest_age_days": 42.9},
        {"owner": "report_rep_b", "count": 1, "oldest_age_days": 42.0},
    ]


def test_days_replaces_the_agreements_limit(leads, at):
    with at(NOW):
        # Accepted before 5 Nov 12:00: leads 1, 6 and 2 (3 is closed).
        forty = black_hole_report(query=PERIOD, days=40)
        # Before 25 Nov 12:00: lead 4 too, though its limit (20 Dec) has not passed.
        twenty = black_hole_report(query=PERIOD, days=20)

    assert [r["lead_id"] for r in forty["results"]] == [leads[n].pk for n in (1, 6, 2)]
    assert [r["lead_id"] for r in twenty["results"]] == [leads[n].pk for n in (1, 6, 2, 8, 4)]
    assert twenty["results"][-1]["age_days"] == 24.9
    assert (forty["total"], twenty["total"]) == (3, 5)


def test_the_list_is_capped_and_the_total_counts_all(leads, at):
    with at(NOW):
        report = black_hole_report(query=PERIOD, limit=2)

    assert [r["lead_id"] for r in report["results"]] == [leads[1].pk, leads[6].pk]
    assert report["total"] == 4
    assert sum(o["count"] for o in report["by_owner"]) == 4


def test_the_period_selects_by_acceptance_date(leads, at):
    with at(NOW):
        report = black_hole_report(query=_query(end=datetime.date(2026, 11, 9)))

    assert [r["lead_id"] for r in report["results"]] == [leads[n].pk for n in (1, 6, 2)]


def test_filters_narrow_the_leads(leads, at):
    cases = [
        ({"owner": "report_rep_a"}, (1, 8)),
        ({"team": "inside"}, (6,)),
        ({"country": "fr"}, (2,)),
        ({"team": "marketing"}, ()),
    ]
    for filters, expected in cases:
        with at(NOW):
            report = black_hole_report(query=_query(**filters))

        assert [r["lead_id"] for r in report["results"]] == [leads[n].pk for n in expected]
        assert report["total"] == len(expected)


def test_a_handoff_narrows_the_leads(leads, at):
    with at(NOW):
        report = black_hole_report(query=PERIOD, handoff="qi_qia")

    assert [r["lead_id"] for r in report["results"]] == [leads[6].pk]


def test_an_empty_period_has_no_black_holes(leads, at):
    with at(NOW):
        report = black_hole_report(
            query=_query(start=datetime.date(2026, 10, 1), end=datetime.date(2026, 11, 1))
        )

    assert report == {"results": [], "total": 0, "by_owner": []}


def test_an_as_of_report_does_not_move_when_history_goes_on(leads, report_people, at):
    _, (rep_a, _) = report_people
    inside_rep = Offer.objects.get(lead=leads[6]).assignee
    as_of = _query(as_of=berlin(2026, 12, 3, 9, 30))
    # Then: 1 and 6 were past their limits (2 Dec 10:00 and 09:00); 2's was an hour away.
    # Ages: 30 days 21.5 h = 30.9 and 30 days 19.1 h = 30.8.
    before = black_hole_report(query=as_of)
    assert [(r["lead_id"], r["age_days"], r["touches"]) for r in before["results"]] == [
        (leads[1].pk, 30.9, 2),
        (leads[6].pk, 30.8, 0),
    ]

    with at(berlin(2026, 12, 16, 10)):
        recycle = ReasonCode.objects.get(purpose="recycle", code="not_now")
        lead_disposition(lead=leads[1], actor=rep_a, disposition="recycle", reason=recycle)
        # Logged today about a call on 1 Dec: not known on 3 Dec.
        touch_log(lead=leads[6], actor=inside_rep, kind="call", at=berlin(2026, 12, 1, 10))

    assert black_hole_report(query=as_of) == before
    with at(berlin(2026, 12, 16, 12)):
        today = black_hole_report(query=PERIOD)
    assert [r["lead_id"] for r in today["results"]] == [leads[n].pk for n in (6, 2, 8)]
    assert (today["results"][0]["touches"], today["results"][0]["last_touch_at"]) == (
        1,
        "2026-12-01T10:00:00+01:00",
    )


def test_the_report_is_a_fixed_number_of_queries(leads, at, django_assert_max_num_queries):
    with at(NOW), django_assert_max_num_queries(2):
        black_hole_report(query=PERIOD)


# --- the API --------------------------------------------------------------------------------


def test_the_api_answers_the_envelope(leads, report_api):
    response = report_api().get(URL, {"as_of": NOW.isoformat(), "limit": 2})

    assert response.status_code == 200, response.json()
    body = response.json()
    # No period given: acceptances of the three years up to the day of as-of.
    end = datetime.date(2026, 12, 16)
    assert (body["start"], body["end"]) == ((end - MAX_SPAN).isoformat(), end.isoformat())
    assert body["as_of"] == NOW.isoformat()
    assert (body["total"], body["limit"], body["days"]) == (4, 2, None)
    assert [r["lead_id"] for r in body["results"]] == [leads[1].pk, leads[6].pk]
    assert body["by_owner"][0] == {"owner": "report_rep_a", "count": 2, "oldest_age_days": 43.0}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"days": -1}, "days"),
        ({"days": "soon"}, "days"),
        ({"start": "2026-12-01", "end": "2026-11-01"}, "end"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"country": "Germany"}, "country"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_are_refused(report_api, params, field):
    response = report_api().get(URL, params)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_sales_reps_may_not_read_reports(report_api):
    assert report_api(Role.SALES).get(URL).status_code == 403
