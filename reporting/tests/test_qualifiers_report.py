"""The qualifiers' scorecard on the lifecycles of test_funnel_report.py, worked out by hand.

QIA → MQL moves in the period (7 Sep - 5 Oct) and what followed, to today:

  qualifier  lead  MQL           sales offer                  SQL      won
  anna       L1    Tue 08 Sep    accepted by rep_a 08 Sep     09 Sep   1,000 (14 Sep)
  anna       L5    Tue 08 Sep    accepted by rep_a 08 Sep     29 Sep   lost (30 Sep)
  anna       L6    Wed 30 Sep    accepted by rep_a 01 Oct     02 Oct   2,000 (07 Oct)
  ben        L2    Wed 09 Sep    rejected by rep_b 09 Sep     -        -
  ben        L7    Tue 15 Sep    rejected by rep_b 16 Sep     -        -

L2 reached SQL and was won, but after marketing sent it to MQL again on 17 Sep: a new cycle, not
ben's. L3 went straight to MQL (a demo request): no qualifier.

  qualifier  mqls  decided  accepted  rate  reached_sql  revenue_won
  anna       3     3        3         1.0   3            3,000
  ben        2     2        0         0.0   0            0
"""

import pytest

from funnel.models import Role
from reporting.params import ReportQuery
from reporting.selectors.qualifiers import qualifiers_report
from reporting.tests.test_funnel_report import AS_OF, PERIOD, lifecycle_go_on

pytestmark = [pytest.mark.both_databases]


def scorecard(qualifier, team, mqls, decided, accepted, rate, reached_sql, revenue) -> dict:
    return {
        "qualifier": qualifier,
        "team": team,
        "mqls": mqls,
        "decided": decided,
        "accepted": accepted,
        "acceptance_rate": rate,
        "reached_sql": reached_sql,
        "revenue_won": revenue,
    }


ANNA = scorecard("anna", "inside", 3, 3, 3, 1.0, 3, "3000.00")
BEN = scorecard("ben", "inside", 2, 2, 0, 0.0, 0, "0.00")


def test_each_qualifier_is_scored_on_the_mqls_they_passed(lifecycle):
    assert qualifiers_report(query=PERIOD) == [ANNA, BEN]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"owner": "anna"}, [ANNA]),
        ({"team": "inside"}, [ANNA, BEN]),
        ({"team": "sales"}, []),
        ({"country": "de"}, [ANNA]),
        # C2: only L7 (ben); L3 had no qualifier.
        ({"campaign": "C2"}, [scorecard("ben", "inside", 1, 1, 0, 0.0, 0, "0.00")]),
    ],
)
def test_filters_select_qualifiers_and_leads(lifecycle, filters, expected):
    if "campaign" in filters:
        filters = {"campaign": lifecycle.campaigns[filters["campaign"]].pk}

    rows = qualifiers_report(query=ReportQuery(start=PERIOD.start, end=PERIOD.end, **filters))

    assert rows == expected


def test_an_as_of_scorecard_does_not_move_when_history_goes_on(lifecycle, at):
    """As of Wed 16 Sep 10:00: anna had passed L1 and L5, both accepted, L1 in SQL and won;
    ben had passed L2 (rejected) and L7, whose offer rep_b rejected only at 10:30."""
    query = ReportQuery(start=PERIOD.start, end=PERIOD.end, as_of=AS_OF)
    before = qualifiers_report(query=query)
    assert before == [
        scorecard("anna", "inside", 2, 2, 2, 1.0, 1, "1000.00"),
        scorecard("ben", "inside", 2, 1, 0, 0.0, 0, "0.00"),
    ]

    lifecycle_go_on(lifecycle, at)

    assert qualifiers_report(query=query) == before
    # Marketing sent L7 back to MQL: rep_b's acceptance is not ben's.
    assert qualifiers_report(query=PERIOD) == [ANNA, BEN]


def test_the_scorecard_is_a_fixed_number_of_queries(lifecycle, django_assert_max_num_queries):
    # The handoffs, the session's settings (PostgreSQL), the scorecard.
    with django_assert_max_num_queries(3):
        qualifiers_report(query=PERIOD)


def test_the_qualifiers_endpoint_answers_the_scorecard(lifecycle, report_api):
    client = report_api(Role.MANAGER)

    response = client.get(
        "/api/v1/reports/qualifiers/", {"start": "2026-09-07", "end": "2026-10-05", "owner": "ben"}
    )

    assert response.status_code == 200
    assert response.json()["results"] == [BEN]
