"""The handoffs report on a hand-built history; every figure worked out by hand.

The sales team's clock is the default (UTC, 9-17, Monday to Friday); the report counts weeks in
Berlin time. Offers (mql_sal), as offered, decided and first touched (Berlin time):

  lead  offered            decided                hours  touched        note
  1     Mon 02 Nov 10:00   accepted Mon 12:00     2      Mon 13:00 (3h)
  2     Mon 02 Nov 11:00   rejected Mon 15:00     4
  3     Tue 03 Nov 09:00   accepted Wed 10:00     25                    after its due time
  4     Wed 04 Nov 10:00   (pending)
  5     Sun 08 Nov 23:30   accepted Mon 01:30     2                     Sunday night: week of 2 Nov
  6     Mon 09 Nov 00:30   rejected Mon 06:30     6                     (23:30 UTC) week of 9 Nov
"""

import datetime
from decimal import Decimal

import pytest

from funnel.models import HandoffPair, ReasonCode
from funnel.services import handoff_target_set
from handoff.models import Offer
from handoff.services.leads import lead_create
from handoff.services.offers import offer_accept, offer_assign, offer_reject, offer_route
from handoff.services.work import touch_log
from reporting.params import ReportQuery
from reporting.selectors.handoffs import handoff_report
from reporting.selectors.velocity import velocity_report
from reporting.tests.conftest import berlin

pytestmark = [pytest.mark.both_databases]

HISTORY = [
    # offered, decision, decided at, first touch
    (berlin(2026, 11, 2, 10), "accept", berlin(2026, 11, 2, 12), berlin(2026, 11, 2, 13)),
    (berlin(2026, 11, 2, 11), "reject", berlin(2026, 11, 2, 15), None),
    (berlin(2026, 11, 3, 9), "accept", berlin(2026, 11, 4, 10), None),
    (berlin(2026, 11, 4, 10), None, None, None),
    (berlin(2026, 11, 8, 23, 30), "accept", berlin(2026, 11, 9, 1, 30), None),
    (berlin(2026, 11, 9, 0, 30), "reject", berlin(2026, 11, 9, 6, 30), None),
]
PERIOD = ReportQuery(start=datetime.date(2026, 11, 2), end=datetime.date(2026, 11, 16))


@pytest.fixture
def history(report_people, berlin_time, at):
    reason = ReasonCode.objects.get(purpose="reject", code="not_icp")
    offers = []
    for n, (offered, decision, decided, touched) in enumerate(HISTORY, start=1):
        with at(offered):
            lead = lead_create(actor=None, stage="mql", email=f"lead{n}@example.com")
            offer = offer_route(offer_id=Offer.objects.get(lead=lead).pk)
        if decision:
            with at(decided):
                if decision == "accept":
                    offer_accept(offer=offer, actor=offer.assignee)
                else:
                    offer_reject(offer=offer, actor=offer.assignee, reason=reason)
        if touched:
            with at(touched):
                touch_log(lead=lead, actor=offer.assignee, kind="call", outcome="connected")
        offers.append(offer)
    return offers


def _row(rows, handoff):
    return next(r for r in rows if r["handoff"] == handoff)


def test_the_period_totals_per_handoff(history):
    rows = handoff_report(query=PERIOD)

    assert _row(rows, "mql_sal") == {
        "handoff": "mql_sal",
        "offered_stage": "mql",
        "accepted_stage": "sal",
        "offered": 6,
        "accepted": 3,
        "rejected": 2,
        "expired": 0,
        "withdrawn": 0,
        "pending": 1,
        "acceptance_rate": 0.6,  # 3 of 5 decided
        "target_rate": 1.0,
        "median_hours_to_decision": 4.0,  # of 2, 2, 4, 6, 25
        "p95_hours_to_decision": 21.2,  # 6 + 0.8 x (25 - 6)
        "median_hours_to_first_touch": 3.0,
        "p95_hours_to_first_touch": 3.0,
        "sla_met_rate": 0.8,  # lead 3 was decided after its due time
    }


def test_a_handoff_with_no_offers_has_zeros_and_no_rates(history):
    row = _row(handoff_report(query=PERIOD), "qi_qia")

    assert (row["offered"], row["pending"]) == (0, 0)
    assert row["acceptance_rate"] is None
    assert row["median_hours_to_decision"] is None
    assert row["sla_met_rate"] is None


def test_weeks_follow_the_installations_time_zone(history):
    rows = handoff_report(query=PERIOD, interval="week")

    assert [(r["week"], r["handoff"]) for r in rows] == [
        ("2026-11-02", "mql_sal"),
        ("2026-11-09", "mql_sal"),
    ]
    first, second = rows
    assert (first["offered"], first["accepted"], first["rejected"], first["pending"]) == (
        5,
        3,
        1,
        1,
    )
    assert first["acceptance_rate"] == 0.75
    assert first["median_hours_to_decision"] == 3.0  # of 2, 2, 4, 25
    assert first["p95_hours_to_decision"] == 21.85  # 4 + 0.85 x (25 - 4)
    assert first["sla_met_rate"] == 0.75
    assert (second["offered"], second["rejected"], second["acceptance_rate"]) == (1, 1, 0.0)
    assert (second["median_hours_to_decision"], second["median_hours_to_first_touch"]) == (
        6.0,
        None,
    )


def test_filters_narrow_the_offers(history):
    rep = history[0].assignee

    rows = handoff_report(
        query=PERIOD.__class__(start=PERIOD.start, end=PERIOD.end, owner=rep.username)
    )

    mine = [o for o in history if o.assignee_id == rep.pk]
    assert _row(rows, "mql_sal")["offered"] == len(mine)


def test_an_as_of_report_does_not_move_when_history_goes_on(history, at):
    as_of = ReportQuery(start=PERIOD.start, end=PERIOD.end, as_of=berlin(2026, 11, 4, 9, 30))
    before = handoff_report(query=as_of)
    row = _row(before, "mql_sal")
    # Offers 1-3 existed then; 3 was still undecided.
    assert (row["offered"], row["accepted"], row["rejected"], row["pending"]) == (3, 1, 1, 1)
    assert row["acceptance_rate"] == 0.5

    with at(berlin(2026, 11, 20, 10)):
        offer_accept(offer=history[3], actor=history[3].assignee)

    assert handoff_report(query=as_of) == before


def test_the_report_is_a_fixed_number_of_queries(history, django_assert_max_num_queries):
    # The session's settings (PostgreSQL), the counts, both durations' percentiles, the pairs,
    # their targets.
    with django_assert_max_num_queries(5):
        handoff_report(query=PERIOD)
    with django_assert_max_num_queries(5):
        handoff_report(query=PERIOD, interval="week")


def test_a_touch_logged_after_the_as_of_moment_is_not_known_then(history, at):
    """A call logged on Friday, dated Wednesday 11:00, was not known on Wednesday at noon."""
    as_of = ReportQuery(start=PERIOD.start, end=PERIOD.end, as_of=berlin(2026, 11, 4, 12))
    before = handoff_report(query=as_of)
    # Offer 1's touch (3 h after it was offered) is the only one known then.
    assert _row(before, "mql_sal")["median_hours_to_first_touch"] == 3.0

    with at(berlin(2026, 11, 6, 10)):
        touch_log(
            lead=history[2].lead,
            actor=history[2].assignee,
            kind="call",
            outcome="connected",
            at=berlin(2026, 11, 4, 11),
        )

    assert handoff_report(query=as_of) == before
    # Today the call is known, with its own date.
    today = _row(handoff_report(query=PERIOD), "mql_sal")
    assert today["p95_hours_to_first_touch"] > 3.0


def test_a_reassignment_after_the_as_of_moment_keeps_the_owner_it_had_then(
    history, report_people, at
):
    """Offer 4 waited with one rep on Wednesday; the manager gave it to the other on Friday."""
    manager, reps = report_people
    pending = history[3]
    first = pending.assignee
    other = next(rep for rep in reps if rep != first)
    as_of = {"start": PERIOD.start, "end": PERIOD.end, "as_of": berlin(2026, 11, 4, 12)}
    mine = [o for o in history[:4] if o.assignee_id == first.pk]

    def by(rep) -> dict:
        return _row(handoff_report(query=ReportQuery(**as_of, owner=rep.username)), "mql_sal")

    before = {rep.pk: by(rep) for rep in reps}
    assert (before[first.pk]["offered"], before[first.pk]["pending"]) == (len(mine), 1)
    velocity_before = velocity_report(query=ReportQuery(**as_of))

    with at(berlin(2026, 11, 6, 10)):
        offer_assign(offer=pending, actor=manager, assignee=other)

    assert {rep.pk: by(rep) for rep in reps} == before
    assert velocity_report(query=ReportQuery(**as_of)) == velocity_before
    # Today the offer is the other rep's.
    today = ReportQuery(start=PERIOD.start, end=PERIOD.end, owner=other.username)
    assert _row(handoff_report(query=today), "mql_sal")["pending"] == 1


# --- targets over time: a week compares with the target in force that week -----------------

TODAY = berlin(2026, 12, 9, 10)  # a Wednesday, a month after the history


@pytest.fixture
def target_cut(history, at):
    """The marketer changes mql_sal's target from 100% to 60% effective today, and one more
    offer is made this week."""
    with at(TODAY):
        handoff_target_set(
            handoff=HandoffPair.objects.get(key="mql_sal"),
            rate=Decimal("0.6"),
            effective_from=TODAY.date(),
            actor=None,
        )
        lead = lead_create(actor=None, stage="mql", email="this-week@example.com")
        offer_route(offer_id=Offer.objects.get(lead=lead).pk)


THIS_WEEK = ReportQuery(start=datetime.date(2026, 12, 7), end=datetime.date(2026, 12, 14))


def test_this_week_compares_with_the_new_target_and_last_month_with_the_old(target_cut, at):
    with at(TODAY):
        assert _row(handoff_report(query=THIS_WEEK), "mql_sal")["target_rate"] == 0.6
        assert _row(handoff_report(query=PERIOD), "mql_sal")["target_rate"] == 1.0
        weekly = handoff_report(
            query=ReportQuery(start=PERIOD.start, end=THIS_WEEK.end), interval="week"
        )

    assert [(r["week"], r["target_rate"]) for r in weekly if r["handoff"] == "mql_sal"] == [
        ("2026-11-02", 1.0),
        ("2026-11-09", 1.0),
        ("2026-12-07", 0.6),
    ]


def test_an_as_of_report_from_before_the_change_shows_the_target_as_it_was(target_cut, at):
    before = ReportQuery(start=THIS_WEEK.start, end=THIS_WEEK.end, as_of=berlin(2026, 12, 9, 9))
    last_month = ReportQuery(start=PERIOD.start, end=PERIOD.end, as_of=berlin(2026, 11, 4, 9))

    with at(TODAY):
        assert _row(handoff_report(query=before), "mql_sal")["target_rate"] == 1.0
        assert _row(handoff_report(query=last_month), "mql_sal")["target_rate"] == 1.0
        after = ReportQuery(start=THIS_WEEK.start, end=THIS_WEEK.end, as_of=TODAY)
        assert _row(handoff_report(query=after), "mql_sal")["target_rate"] == 0.6


def test_a_target_from_next_month_leaves_this_weeks_alone(history, at):
    with at(TODAY):
        handoff_target_set(
            handoff=HandoffPair.objects.get(key="mql_sal"),
            rate=Decimal("0.6"),
            effective_from=datetime.date(2027, 1, 1),
            actor=None,
        )
        assert _row(handoff_report(query=THIS_WEEK), "mql_sal")["target_rate"] == 1.0
        # The week the new target starts compares with it.
        january = ReportQuery(start=datetime.date(2027, 1, 4), end=datetime.date(2027, 1, 11))
    with at(berlin(2027, 1, 12, 10)):
        assert _row(handoff_report(query=january), "mql_sal")["target_rate"] == 0.6
