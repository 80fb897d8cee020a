"""The velocity report on the lifecycles of test_funnel_report.py; every figure worked out by hand.

Percentiles interpolate as PostgreSQL's percentile_cont: of n sorted values v0..v(n-1), the p-th
sits at (n-1)·p/100. Stays that began in the period (7 Sep - 5 Oct), in hours to the lead's
next move, whenever it came ("open": no next move yet):

  stage         stays (hours)                                    n  median          p95
  inquiry       L1 3, L2 1, L4 1, L6 1, L7 10, B1 48, B2 48;     7  v3 = 3          v5 + .7·0 = 48
                17 open
  qi            L1 2, L2 4, L4 24, L6 1, L7 2; L4 again open      5  v2 = 2          4 + .8·20 = 20
  qia           L1 19, L2 43, L6 46, L7 22                       4  22 + .5·21      43 + .85·3
                                                                    = 32.5          = 45.55
  mql           L1 3, L2 5 and 2, L3 3, L5 2, L6 25, L7 24       7  v3 = 3          24 + .7·1
                                                                                    = 24.7
  sal           L1 24, L2 24, L5 498, L6 24; L3 open             4  24              24 + .85·474
                                                                                    = 426.9
  sql           L1 120, L2 432, L5 24, L6 120                    4  120             120 + .85·312
                                                                                    = 385.2
  lost          L5 open                                          0  -               -
  recycle       L2 187, L4 479; L7 open                          2  187 + .5·292    187 + .95·292
                                                                    = 333           = 464.4
  disqualified  B1, B2 open                                      0  -               -

(won has no move out, so no row.) Offers made in the period, in hours: system = offered →
routed, decision = routed → accepted or rejected, follow-up = accepted → first touch.

  qi_qia   to    system  decision  follow-up     mql_sal  to     system  decision  follow-up
  O1a      anna  1       1         1             O1b      rep_a  1       2         1
  O2a      ben   0       4                       O2b      rep_b  1       4 (rej.)
  O4a      ben   0       24 (rej.)               O2c      rep_b  0       2         2
  O4b      ben   0       (pending)               O3       rep_a  1       2
  O6a      anna  0       1                       O5b      rep_a  0       2
  O7a      ben   0       2                       O6b      rep_a  1       24        1
                                                 O7b      rep_b  0       24 (rej.)

L5's qi_qia offer (27 Aug) is before the period. Recycled in the period: L2, L4 (9 Sep), L7
(16 Sep); L2 and L4 came back (17 and 29 Sep), only L2 was accepted again (17 Sep).
"""

import pytest

from reporting.params import ReportQuery
from reporting.selectors.velocity import velocity_report
from reporting.tests.test_funnel_report import AS_OF, PERIOD, lifecycle_go_on

pytestmark = [pytest.mark.both_databases]


def stage_rows(*rows) -> list[dict]:
    keys = ("stage", "entered", "left", "still_in_stage", "median_hours", "p95_hours")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def delays(system, decision, follow_up) -> dict:
    """Each a (median, p95) pair."""
    return {
        "system_median_hours": system[0],
        "system_p95_hours": system[1],
        "decision_median_hours": decision[0],
        "decision_p95_hours": decision[1],
        "follow_up_median_hours": follow_up[0],
        "follow_up_p95_hours": follow_up[1],
    }


NONE = (None, None)


def test_time_in_stage_counts_stays_that_began_in_the_period(lifecycle):
    """A stay still open is in `still_in_stage` and not in the times."""
    assert velocity_report(query=PERIOD)["stages"] == stage_rows(
        ("inquiry", 24, 7, 17, 3.0, 48.0),
        ("qi", 6, 5, 1, 2.0, 20.0),
        ("qia", 4, 4, 0, 32.5, 45.55),
        ("mql", 7, 7, 0, 3.0, 24.7),
        ("sal", 5, 4, 1, 24.0, 426.9),
        ("sql", 4, 4, 0, 120.0, 385.2),
        ("lost", 1, 0, 1, None, None),
        ("recycle", 3, 2, 1, 333.0, 464.4),
        ("disqualified", 2, 0, 2, None, None),
    )


def test_handoff_delays_keep_the_systems_apart_from_the_peoples(lifecycle):
    """qi_qia system: 0 0 0 0 0 1 → median 0, p95 v4 + .75·1 = 0.75; decision 1 1 2 4 24 →
    2 and 4 + .8·20 = 20 (the pending O4b has none). mql_sal system 0 0 0 1 1 1 1 → 1 and 1;
    decision 2 2 2 2 4 24 24 → 2 and 24; follow-up 1 1 2 → 1 and 1 + .9·1 = 1.9."""
    qi_qia, mql_sal = velocity_report(query=PERIOD)["handoffs"]

    assert qi_qia == {
        "handoff": "qi_qia",
        "offers": 6,
        **delays((0.0, 0.75), (2.0, 20.0), (1.0, 1.0)),
        "teams": [{"team": "inside", "offers": 6, **delays((0.0, 0.75), (2.0, 20.0), (1.0, 1.0))}],
        "reps": [
            # system 0 1 → .5·1 and .95·1; decision 1 1
            {"rep": "anna", "offers": 2, **delays((0.5, 0.95), (1.0, 1.0), (1.0, 1.0))},
            # decision 2 4 24 → v1 = 4 and 4 + .9·20 = 22
            {"rep": "ben", "offers": 4, **delays((0.0, 0.0), (4.0, 22.0), NONE)},
        ],
    }
    assert mql_sal == {
        "handoff": "mql_sal",
        "offers": 7,
        **delays((1.0, 1.0), (2.0, 24.0), (1.0, 1.9)),
        "teams": [{"team": "sales", "offers": 7, **delays((1.0, 1.0), (2.0, 24.0), (1.0, 1.9))}],
        "reps": [
            # system 0 1 1 1 → 1 and 1; decision 2 2 2 24 → 2 and 2 + .85·22 = 20.7
            {"rep": "report_rep_a", "offers": 4, **delays((1.0, 1.0), (2.0, 20.7), (1.0, 1.0))},
            # system 0 0 1 → 0 and .9; decision 2 4 24 → 4 and 22
            {"rep": "report_rep_b", "offers": 3, **delays((0.0, 0.9), (4.0, 22.0), (2.0, 2.0))},
        ],
    }


def test_recycled_leads_coming_back_are_counted(lifecycle):
    assert velocity_report(query=PERIOD)["recycled"] == {
        "recycled": 3,  # L2 L4 L7
        "re_entered": 2,  # L2 to mql, L4 to qi
        "accepted_again": 1,  # L2
    }


def test_filters_narrow_stays_offers_and_recycled_leads(lifecycle):
    """rep_b holds L2 and was offered O2b, O2c and O7b; L2 is the one recycled lead rep_b holds.
    L2's stays: inquiry 1, qi 4, qia 43, mql 5 and 2, sal 24, sql 432, recycle 187."""
    query = ReportQuery(start=PERIOD.start, end=PERIOD.end, owner="report_rep_b")

    report = velocity_report(query=query)

    stays = {row["stage"]: (row["entered"], row["median_hours"]) for row in report["stages"]}
    assert stays == {
        "inquiry": (1, 1.0),
        "qi": (1, 4.0),
        "qia": (1, 43.0),
        "mql": (2, 3.5),
        "sal": (1, 24.0),
        "sql": (1, 432.0),
        "lost": (0, None),
        "recycle": (1, 187.0),
        "disqualified": (0, None),
    }
    qi_qia, mql_sal = report["handoffs"]
    assert (qi_qia["offers"], qi_qia["reps"]) == (0, [])
    assert mql_sal["offers"] == 3
    assert report["recycled"] == {"recycled": 1, "re_entered": 1, "accepted_again": 1}


def test_an_as_of_report_censors_what_came_later_and_does_not_move(lifecycle, at):
    """As of Wed 16 Sep 10:00: L7's mql stay (rejected at 10:30) and L5's sal stay (left on
    29 Sep) were still open; O7b was pending; L7 was not recycled yet and nobody had come back.

      mql  L1 3, L2 5, L3 3, L5 2; L7 open → median 3, p95 3 + .85·2 = 4.7
      sal  L1 24; L3 and L5 open
      mql_sal offers O1b O2b O3 O5b O7b: system 1 1 1 0 0 → 1 and 1; decision 2 4 2 2 → 2 and
           2 + .85·2 = 3.7; follow-up O1b 1
    """
    query = ReportQuery(start=PERIOD.start, end=PERIOD.end, as_of=AS_OF)
    before = velocity_report(query=query)

    stages = {row["stage"]: row for row in before["stages"]}
    assert stages["mql"] == stage_rows(("mql", 5, 4, 1, 3.0, 4.7))[0]
    assert stages["sal"] == stage_rows(("sal", 3, 1, 2, 24.0, 24.0))[0]
    mql_sal = before["handoffs"][1]
    assert mql_sal["offers"] == 5
    assert {k: v for k, v in mql_sal.items() if k.endswith("_hours")} == delays(
        (1.0, 1.0), (2.0, 3.7), (1.0, 1.0)
    )
    assert before["recycled"] == {"recycled": 2, "re_entered": 0, "accepted_again": 0}

    lifecycle_go_on(lifecycle, at)

    assert velocity_report(query=query) == before
    # Without as-of, L7's new cycle counts: it came back and was accepted again.
    assert velocity_report(query=PERIOD)["recycled"] == {
        "recycled": 3,
        "re_entered": 3,
        "accepted_again": 2,
    }


def test_the_velocity_report_is_a_fixed_number_of_queries(lifecycle, django_assert_max_num_queries):
    # The session's settings (PostgreSQL), stages, stays counted and timed, offers counted,
    # offer percentiles (one union), handoffs, recycled leads.
    with django_assert_max_num_queries(7):
        velocity_report(query=PERIOD)
    with django_assert_max_num_queries(7):
        velocity_report(query=ReportQuery(start=PERIOD.start, end=PERIOD.end, team="sales"))


def test_the_velocity_endpoint_answers_the_report(lifecycle, report_api):
    response = report_api().get(
        "/api/v1/reports/velocity/",
        {"start": "2026-09-07", "end": "2026-10-05", "as_of": "2026-09-16T10:00:00+02:00"},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["start"], body["end"], body["as_of"]) == (
        "2026-09-07",
        "2026-10-05",
        "2026-09-16T10:00:00+02:00",
    )
    query = ReportQuery(start=PERIOD.start, end=PERIOD.end, as_of=AS_OF)
    assert body["results"] == velocity_report(query=query)
