"""SLA timers: due times on the team's clock, the breach ladder, and the sweep that fires it."""

import datetime
import re
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from funnel.models import HandoffPair, ReasonCode
from handoff.models import (
    BreachAction,
    Lead,
    Notification,
    Offer,
    OfferStatus,
    SlaClock,
    SlaTimer,
    StageTransition,
)
from handoff.services import breaches
from handoff.services.breaches import sla_sweep
from handoff.services.leads import lead_create, lead_transition
from handoff.services.offers import offer_accept, offer_reject, offer_route
from handoff.services.sla import agreement_propose, agreement_sign_off
from handoff.services.work import lead_disposition, touch_log
from handoff.working_time import working_add


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


# The default agreement (8 working hours to accept, warn 2 hours before) on a UTC 9-17 clock.
ROUTED = utc(2026, 11, 20, 15)  # Friday 15:00
WARNING = utc(2026, 11, 23, 13)  # Monday: 6 working hours later
DUE = utc(2026, 11, 23, 15)  # 8 working hours
ESCALATION = utc(2026, 11, 24, 11)  # due + 4 working hours
RECYCLE = utc(2026, 11, 24, 15)  # due + 8 working hours
TOUCHES_DUE = utc(2026, 11, 30, 15)  # 10 calendar days
LATER = utc(2027, 2, 1, 12)  # past every clock, the 30-day work clock included
MINUTE = datetime.timedelta(minutes=1)

ACCEPT_LABEL = "accept or reject"
FIRST_TOUCH_LABEL = "first touch"


def _offer(time_machine, email: str, at: datetime.datetime = ROUTED, stage: str = "mql") -> Offer:
    """A lead entering an offered stage at `at`, its offer routed then, as the routing task does."""
    time_machine.move_to(at, tick=False)
    lead = lead_create(actor=None, stage=stage, email=email)
    return offer_route(offer_id=Offer.objects.get(lead=lead, status=OfferStatus.PENDING).pk, now=at)


def _sweep_at(time_machine, moment: datetime.datetime, **kwargs) -> int:
    time_machine.move_to(moment, tick=False)
    return sla_sweep(now=moment, **kwargs)


def _sent(kind: str, user=None, clock: str | None = None) -> int:
    notes = Notification.objects.filter(kind=kind)
    if user is not None:
        notes = notes.filter(user=user)
    if clock is not None:
        notes = notes.filter(subject__contains=f"({clock})")
    return notes.count()


def _timer(offer: Offer, clock: str, kind: str = "breach", action: str = "") -> SlaTimer:
    timers = SlaTimer.objects.filter(offer=offer, clock=clock, kind=kind)
    return timers.get(action=action) if action else timers.get()


def _waiting(offer: Offer):
    return SlaTimer.objects.filter(offer=offer, fired_at=None, cancelled_at=None)


# --- due times ------------------------------------------------------------------------------


def test_due_times_skip_the_weekend(sla_people, time_machine):
    """Routed Friday 15:00: two working hours on Friday, six on Monday."""
    offer = _offer(time_machine, "fri@example.com")

    assert offer.accept_due_at == DUE
    assert offer.first_touch_due_at == DUE
    assert _timer(offer, SlaClock.ACCEPT, kind="warning").due_at == WARNING


def test_an_offer_routed_on_saturday_is_due_at_the_end_of_monday(sla_people, time_machine):
    offer = _offer(time_machine, "sat@example.com", at=utc(2026, 11, 21, 12))

    assert offer.accept_due_at == utc(2026, 11, 23, 17)
    assert _timer(offer, SlaClock.ACCEPT, kind="warning").due_at == utc(2026, 11, 23, 15)


def test_the_receiving_teams_time_zone_sets_the_due_times(sla_people, time_machine):
    """Friday 21:00 UTC is 16:00 in New York: one hour on Friday, seven on Monday there."""
    sales = sla_people.teams["sales"]
    sales.time_zone = "America/New_York"
    sales.save(update_fields=["time_zone"])

    offer = _offer(time_machine, "ny@example.com", at=utc(2026, 11, 20, 21))

    assert offer.accept_due_at == utc(2026, 11, 23, 21)  # Monday 16:00 in New York
    assert _timer(offer, SlaClock.ACCEPT, kind="warning").due_at == utc(2026, 11, 23, 19)


def test_breach_rungs_count_working_hours_past_the_due_time(sla_people, time_machine):
    offer = _offer(time_machine, "rungs@example.com")

    assert _timer(offer, SlaClock.ACCEPT, action=BreachAction.REMIND).due_at == DUE
    assert _timer(offer, SlaClock.ACCEPT, action=BreachAction.ESCALATE).due_at == ESCALATION
    assert _timer(offer, SlaClock.ACCEPT, action=BreachAction.RECYCLE).due_at == RECYCLE
    assert _timer(offer, SlaClock.TOUCHES).due_at == TOUCHES_DUE
    assert _timer(offer, SlaClock.WORK).due_at == ROUTED + datetime.timedelta(days=30)


def test_a_zero_hour_rung_is_due_at_the_due_time_itself(sla_people, time_machine):
    """Routed Monday 9:00, the offer is due at 17:00 sharp: the "+0" reminder is due then too,
    not the next morning."""
    offer = _offer(time_machine, "closing@example.com", at=utc(2026, 11, 23, 9))

    assert offer.accept_due_at == utc(2026, 11, 23, 17)
    assert _timer(offer, SlaClock.ACCEPT, action=BreachAction.REMIND).due_at == offer.accept_due_at


# --- the ladder of an offer nobody accepts --------------------------------------------------


def test_nothing_fires_before_the_warning(sla_people, time_machine):
    _offer(time_machine, "early@example.com")

    assert _sweep_at(time_machine, WARNING - MINUTE) == 0

    assert set(Notification.objects.values_list("kind", flat=True)) == {"assigned"}
    assert not SlaTimer.objects.exclude(fired_at=None).exists()


def test_the_assignee_is_warned_before_the_accept_deadline(sla_people, time_machine):
    offer = _offer(time_machine, "warn@example.com")

    _sweep_at(time_machine, WARNING)

    assert _sent("sla_warning", user=offer.assignee, clock=ACCEPT_LABEL) == 1
    assert _sent("sla_breach") == 0
    assert _timer(offer, SlaClock.ACCEPT, kind="warning").fired_at == WARNING


def test_the_assignee_is_reminded_at_the_accept_deadline(sla_people, time_machine):
    offer = _offer(time_machine, "remind@example.com")
    _sweep_at(time_machine, WARNING)

    _sweep_at(time_machine, DUE)

    assert _sent("sla_breach", user=offer.assignee, clock=ACCEPT_LABEL) == 1
    assert _sent("escalation") == 0


def test_four_working_hours_late_escalates_to_the_sales_manager(sla_people, time_machine):
    offer = _offer(time_machine, "escalate@example.com")
    for moment in (WARNING, DUE, ESCALATION - MINUTE):
        _sweep_at(time_machine, moment)
    assert _sent("escalation") == 0

    _sweep_at(time_machine, ESCALATION)

    manager = sla_people.managers["sales"]
    assert _sent("escalation", user=manager, clock=ACCEPT_LABEL) == 1
    assert _sent("escalation") == 1
    offer.refresh_from_db()
    assert offer.escalated_at == ESCALATION
    assert offer.status == OfferStatus.PENDING


def test_eight_working_hours_late_recycles_the_lead(sla_people, time_machine):
    offer = _offer(time_machine, "recycle@example.com")
    for moment in (WARNING, DUE, ESCALATION, RECYCLE - MINUTE):
        _sweep_at(time_machine, moment)
    assert offer.lead.stage.key == "mql"

    _sweep_at(time_machine, RECYCLE)

    lead = Lead.objects.select_related("stage").get(pk=offer.lead_id)
    assert (lead.stage.key, lead.owner, lead.recycle_count) == ("recycle", None, 1)
    move = StageTransition.objects.filter(lead=lead).latest("id")
    assert (move.from_stage.key, move.to_stage.key) == ("mql", "recycle")
    assert move.reason.code == "sla_expired"
    assert (move.actor, move.actor_label) == (None, "system")
    assert move.handoff.key == "mql_sal"
    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    assert offer.closed_at == RECYCLE
    assert _sent("recycled", user=offer.assignee) == 1
    assert not _waiting(offer).exists()


def test_each_rung_fires_once_and_later_sweeps_fire_nothing(sla_people, time_machine):
    """Sweeping every minute would sweep each moment many times: each rung still fires once."""
    offer = _offer(time_machine, "once@example.com")
    rep, manager = offer.assignee, sla_people.managers["sales"]

    for moment in (WARNING, DUE, ESCALATION, RECYCLE):
        _sweep_at(time_machine, moment - MINUTE)
        _sweep_at(time_machine, moment)
        _sweep_at(time_machine, moment)
    assert _sweep_at(time_machine, LATER) == 0

    # The first-touch clock runs beside the accept clock; its escalation, due with the
    # recycle, is cancelled by it.
    assert _sent("sla_warning", user=rep, clock=ACCEPT_LABEL) == 1
    assert _sent("sla_warning", user=rep, clock=FIRST_TOUCH_LABEL) == 1
    assert _sent("sla_breach", user=rep, clock=ACCEPT_LABEL) == 1
    assert _sent("sla_breach", user=rep, clock=FIRST_TOUCH_LABEL) == 1
    assert _sent("escalation", user=manager, clock=ACCEPT_LABEL) == 1
    assert _sent("recycled", user=rep) == 1
    assert Notification.objects.count() == 7  # the six above and the "assigned" one
    fired = SlaTimer.objects.filter(offer=offer).exclude(fired_at=None)
    assert sorted(fired.values_list("clock", "kind", "action")) == [
        ("accept", "breach", "escalate"),
        ("accept", "breach", "recycle"),
        ("accept", "breach", "remind"),
        ("accept", "warning", ""),
        ("first_touch", "breach", "remind"),
        ("first_touch", "warning", ""),
    ]
    assert (
        StageTransition.objects.filter(lead_id=offer.lead_id, to_stage__key="recycle").count() == 1
    )
    assert Lead.objects.get(pk=offer.lead_id).recycle_count == 1


# --- what stops the clocks ------------------------------------------------------------------


def _accepted(time_machine, email: str) -> Offer:
    offer = _offer(time_machine, email)
    time_machine.move_to(utc(2026, 11, 23, 10), tick=False)  # Monday, before the warning
    return offer_accept(offer=offer, actor=offer.assignee)


def test_accepting_stops_the_accept_clock(sla_people, time_machine):
    offer = _accepted(time_machine, "accepted@example.com")

    for moment in (WARNING, DUE, ESCALATION, RECYCLE, RECYCLE + datetime.timedelta(days=1)):
        _sweep_at(time_machine, moment)

    lead = Lead.objects.select_related("stage").get(pk=offer.lead_id)
    assert (lead.stage.key, lead.owner, lead.recycle_count) == ("sal", offer.assignee, 0)
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.ACCEPTED
    for kind in ("sla_warning", "sla_breach", "escalation"):
        assert _sent(kind, clock=ACCEPT_LABEL) == 0
    accept_timers = SlaTimer.objects.filter(offer=offer, clock=SlaClock.ACCEPT)
    assert set(accept_timers.values_list("outcome", flat=True)) == {"accepted"}
    assert not accept_timers.exclude(fired_at=None).exists()


def test_without_a_touch_the_first_touch_reminder_still_fires(sla_people, time_machine):
    offer = _accepted(time_machine, "untouched@example.com")

    _sweep_at(time_machine, DUE)

    assert _sent("sla_breach", user=offer.assignee, clock=FIRST_TOUCH_LABEL) == 1
    assert _sent("sla_breach", clock=ACCEPT_LABEL) == 0


def test_a_touch_stops_the_first_touch_clock(sla_people, time_machine):
    offer = _accepted(time_machine, "touched@example.com")
    touch_log(lead=offer.lead, actor=offer.assignee, kind="call")

    for moment in (WARNING, DUE, RECYCLE):
        _sweep_at(time_machine, moment)

    for kind in ("sla_warning", "sla_breach", "escalation"):
        assert _sent(kind, clock=FIRST_TOUCH_LABEL) == 0
    first_touch = SlaTimer.objects.filter(offer=offer, clock=SlaClock.FIRST_TOUCH)
    assert set(first_touch.values_list("outcome", flat=True)) == {"touched"}


def test_three_touches_stop_the_touches_clock(sla_people, time_machine):
    offer = _accepted(time_machine, "three@example.com")
    for _ in range(3):
        touch_log(lead=offer.lead, actor=offer.assignee, kind="call")

    _sweep_at(time_machine, TOUCHES_DUE + MINUTE)

    assert Lead.objects.get(pk=offer.lead_id).stage.key == "sal"
    touches = _timer(offer, SlaClock.TOUCHES)
    assert (touches.fired_at, touches.outcome) == (None, "enough touches")
    assert _sent("recycled") == 0


def test_too_few_touches_recycle_the_lead_when_the_touches_clock_runs_out(sla_people, time_machine):
    offer = _accepted(time_machine, "two@example.com")
    for _ in range(2):
        touch_log(lead=offer.lead, actor=offer.assignee, kind="call")
    _sweep_at(time_machine, TOUCHES_DUE - MINUTE)
    assert Lead.objects.get(pk=offer.lead_id).stage.key == "sal"

    _sweep_at(time_machine, TOUCHES_DUE)

    lead = Lead.objects.select_related("stage").get(pk=offer.lead_id)
    assert (lead.stage.key, lead.owner, lead.recycle_count) == ("recycle", None, 1)
    assert StageTransition.objects.filter(lead=lead).latest("id").reason.code == "sla_expired"
    offer.refresh_from_db()
    assert (offer.status, offer.closed_at) == (OfferStatus.ACCEPTED, TOUCHES_DUE)
    assert not _waiting(offer).exists()


def test_a_qualified_disposition_closes_the_offer_and_its_clocks(sla_people, time_machine):
    offer = _accepted(time_machine, "qualified@example.com")

    lead_disposition(lead=offer.lead, actor=offer.assignee, disposition="qualified")

    offer.refresh_from_db()
    assert offer.closed_at is not None
    assert not _waiting(offer).exists()
    assert _sweep_at(time_machine, LATER) == 0
    assert Lead.objects.get(pk=offer.lead_id).stage.key == "sql"
    assert set(Notification.objects.values_list("kind", flat=True)) == {"assigned"}


# --- offers that end before their clocks ----------------------------------------------------


def test_a_rejected_offers_timers_never_fire(sla_people, time_machine):
    offer = _offer(time_machine, "rejected@example.com")
    not_icp = ReasonCode.objects.get(purpose="reject", code="not_icp")
    offer_reject(offer=offer, actor=offer.assignee, reason=not_icp)

    assert _sweep_at(time_machine, LATER) == 0

    assert not SlaTimer.objects.exclude(fired_at=None).exists()
    assert set(SlaTimer.objects.values_list("outcome", flat=True)) == {"rejected"}
    assert set(Notification.objects.values_list("kind", flat=True)) == {"assigned"}
    assert (
        StageTransition.objects.filter(lead_id=offer.lead_id, to_stage__key="recycle").count() == 1
    )
    assert Lead.objects.get(pk=offer.lead_id).recycle_count == 1


def test_a_withdrawn_offers_timers_never_fire(sla_people, time_machine):
    """Marketing moves a qualified inquiry straight to MQL: the inside team's offer is withdrawn."""
    offer = _offer(time_machine, "withdrawn@example.com", stage="qi")
    assert (offer.handoff.key, offer.assignee) == ("qi_qia", sla_people.inside_rep)

    lead_transition(lead=offer.lead, to="mql", actor=sla_people.marketer)

    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    assert _sweep_at(time_machine, LATER) == 0
    assert not SlaTimer.objects.exclude(fired_at=None).exists()
    assert set(SlaTimer.objects.values_list("outcome", flat=True)) == {"offer withdrawn"}
    assert set(Notification.objects.values_list("kind", flat=True)) == {"assigned"}


# --- re-routing -----------------------------------------------------------------------------


def _reroute_agreement(people) -> None:
    """Version 2 of MQL → SAL: re-route at the accept deadline, recycle 8 hours later."""
    pair = HandoffPair.objects.get(key="mql_sal")
    agreement = agreement_propose(
        handoff=pair,
        actor=people.managers["sales"],
        steps=[
            (SlaClock.ACCEPT, 0, BreachAction.REROUTE),
            (SlaClock.ACCEPT, 8, BreachAction.RECYCLE),
        ],
        accept_within_hours=Decimal(8),
        first_touch_within_hours=Decimal(8),
        warn_before_hours=Decimal(0),
    )
    agreement_sign_off(agreement=agreement, actor=people.managers["inside"])
    agreement_sign_off(agreement=agreement, actor=people.managers["sales"])


def test_an_offer_past_due_is_rerouted_to_another_rep_with_fresh_clocks(sla_people, time_machine):
    _reroute_agreement(sla_people)
    rep_a, rep_b = sla_people.reps
    offer = _offer(time_machine, "reroute@example.com")
    assert (offer.agreement.version, offer.assignee) == (2, rep_a)

    _sweep_at(time_machine, DUE)

    offer.refresh_from_db()
    assert (offer.status, offer.assignee, offer.routed_at) == (OfferStatus.PENDING, rep_b, DUE)
    assert len(offer.routing) == 2
    assert {"user": rep_a.username, "why": "excluded"} in offer.routing[-1]["skipped"]
    assert offer.routing[-1]["assignee"] == rep_b.username
    sales = sla_people.teams["sales"]
    assert offer.accept_due_at == working_add(DUE, 8, sales) == RECYCLE
    assert _sent("rerouted", user=rep_a) == 1
    assert _sent("assigned", user=rep_b) == 1
    assert Lead.objects.get(pk=offer.lead_id).stage.key == "mql"


def test_rerouting_replaces_the_old_timers(sla_people, time_machine):
    _reroute_agreement(sla_people)
    offer = _offer(time_machine, "fresh@example.com")

    _sweep_at(time_machine, DUE)

    timers = SlaTimer.objects.filter(offer=offer)
    assert sorted(timers.values_list("action", "due_at", "outcome")) == [
        ("recycle", RECYCLE, "re-routed"),  # the first routing's, cancelled
        ("recycle", working_add(RECYCLE, 8, sla_people.teams["sales"]), ""),
        ("reroute", DUE, f"re-routed from {sla_people.reps[0]} to {sla_people.reps[1]}"),
        ("reroute", RECYCLE, ""),
    ]


# --- several sweeps, and a sweep that dies --------------------------------------------------


def _due_offers(time_machine, count: int) -> list[Offer]:
    return [_offer(time_machine, f"lead{n}@example.com") for n in range(count)]


def _sweep_statements(time_machine, offers: int, emails: str) -> tuple[int, int]:
    """Statements of one sweep firing every rung of `offers` offers (warnings, reminders,
    escalations, recycles), and the number of timers it handled."""
    for n in range(offers):
        _offer(time_machine, f"{emails}{n}@example.com")
    time_machine.move_to(RECYCLE, tick=False)
    with CaptureQueriesContext(connection) as queries:
        handled = sla_sweep(now=RECYCLE)
    return len(queries), handled


def test_a_sweep_acts_in_sets_whatever_is_due(sla_people, time_machine):
    """Three times the due timers cost the same statements: the sweep claims, acts and writes
    each kind of row once per batch, never once per timer."""
    few, few_handled = _sweep_statements(time_machine, 3, "few")
    many, many_handled = _sweep_statements(time_machine, 9, "many")
    assert (few_handled, many_handled) == (3 * 7, 9 * 7)
    assert many == few
    assert StageTransition.objects.filter(to_stage__key="recycle").count() == 12
    assert _sent("recycled") == 12 and _sent("escalation") > 0


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_fire_each_timer_once(sla_people, sla_enqueues, time_machine):
    """Two workers sweep the same 280 due timers of 40 offers, in batches of 5, at the same time."""
    offered = _due_offers(time_machine, 40)
    time_machine.move_to(RECYCLE, tick=False)
    start = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def sweep(i: int) -> None:
        try:
            start.wait()
            outcomes[i] = sla_sweep(now=RECYCLE, batch_size=5)
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert all(isinstance(o, int) for o in outcomes), outcomes
    due = SlaTimer.objects.filter(due_at__lte=RECYCLE)
    assert due.count() == 40 * 7
    assert not due.filter(fired_at=None, cancelled_at=None).exists()
    assert not due.exclude(fired_at=None).exclude(cancelled_at=None).exists()
    fired = due.exclude(fired_at=None)
    assert set(fired.values_list("fired_at", flat=True)) == {RECYCLE}
    assert fired.filter(kind="warning").count() == 80
    assert fired.filter(action=BreachAction.REMIND).count() == 80
    assert fired.filter(action=BreachAction.RECYCLE).count() == 40
    assert _sent("sla_warning") == 80
    assert _sent("sla_breach") == 80
    assert _sent("escalation") == fired.filter(action=BreachAction.ESCALATE).count()
    assert _sent("recycled") == 40
    recycles = StageTransition.objects.filter(to_stage__key="recycle")
    assert sorted(recycles.values_list("lead_id", flat=True)) == sorted(o.lead_id for o in offered)
    assert set(Lead.objects.values_list("recycle_count", flat=True)) == {1}


def _someone_waits_for_a_row_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_recycle_and_another_sweeps_timer_of_the_same_offer_do_not_deadlock(
    sla_people, sla_enqueues, time_machine, monkeypatch
):
    """The recycle and the first-touch escalation of an offer fall due together. One sweep takes
    the recycle, which cancels the offer's other timers, while a second sweep holds the other."""
    # Given an offer whose last two rungs are due, each sweep stopping before it fires one
    offer = _offer(time_machine, "pair@example.com")
    _sweep_at(time_machine, RECYCLE - MINUTE)
    real_fire = breaches.timer_fire
    picked = {name: threading.Event() for name in ("first", "second")}
    go = {name: threading.Event() for name in ("first", "second")}
    outcomes: dict[str, object] = {}

    def fire_when_told(**kwargs):
        name = threading.current_thread().name
        picked[name].set()
        go[name].wait(timeout=30)
        return real_fire(**kwargs)

    def sweep() -> None:
        try:
            outcomes[threading.current_thread().name] = sla_sweep(now=RECYCLE, batch_size=1)
        except Exception as exc:
            outcomes[threading.current_thread().name] = exc
        finally:
            connection.close()

    monkeypatch.setattr(breaches, "timer_fire", fire_when_told)
    first = threading.Thread(target=sweep, name="first")
    first.start()
    assert picked["first"].wait(timeout=10)
    second = threading.Thread(target=sweep, name="second")
    second.start()
    deadline = time.monotonic() + 10
    while not picked["second"].is_set() and second.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)

    # When the first fires its timer, then (if it has one) the second
    go["first"].set()
    if picked["second"].is_set():
        deadline = time.monotonic() + 10
        while first.is_alive() and not _someone_waits_for_a_row_lock():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        go["second"].set()
    first.join(timeout=30)
    second.join(timeout=30)

    # Then neither sweep fails, and the lead is recycled once
    assert all(isinstance(o, int) for o in outcomes.values()), outcomes
    assert not _waiting(offer).filter(due_at__lte=RECYCLE).exists()
    assert Lead.objects.get(pk=offer.lead_id).recycle_count == 1
    assert StageTransition.objects.filter(to_stage__key="recycle").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_sweep_leaves_an_offer_someone_is_acting_on_to_the_next_sweep(
    sla_people, sla_enqueues, time_machine
):
    offer = _offer(time_machine, "busy@example.com")
    time_machine.move_to(WARNING, tick=False)
    locked, release = threading.Event(), threading.Event()

    def act_on_the_offer() -> None:
        try:
            with transaction.atomic():
                Offer.objects.select_for_update().get(pk=offer.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=act_on_the_offer)
    holder.start()
    assert locked.wait(timeout=10)
    try:
        assert sla_sweep(now=WARNING) == 0  # no wait for the lock: nothing taken
    finally:
        release.set()
        holder.join(timeout=30)

    assert sla_sweep(now=WARNING) == 2
    assert _sent("sla_warning", user=offer.assignee) == 2


@pytest.mark.django_db(transaction=True)
def test_a_sweep_killed_mid_batch_loses_and_repeats_nothing(
    sla_people, sla_enqueues, time_machine, monkeypatch
):
    # Given 10 offers at their accept deadline: 20 warnings, then 20 reminders, due
    offered = _due_offers(time_machine, 10)
    time_machine.move_to(DUE, tick=False)
    real_remind = breaches.offer_remind
    calls = []

    def remind_then_die(**kwargs):
        calls.append(kwargs["offer"].pk)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return real_remind(**kwargs)

    monkeypatch.setattr(breaches, "offer_remind", remind_then_die)

    # When the sweep dies on the third reminder, in its fifth batch of 5
    with pytest.raises(RuntimeError, match=re.escape("worker killed")):
        sla_sweep(now=DUE, batch_size=5)

    # Then the four batches of warnings stay done, and nothing of the fifth remains
    fired = SlaTimer.objects.exclude(fired_at=None)
    assert fired.count() == 20
    assert set(fired.values_list("kind", flat=True)) == {"warning"}
    assert _sent("sla_warning") == 20
    assert _sent("sla_breach") == 0
    reminders = SlaTimer.objects.filter(action=BreachAction.REMIND)
    assert reminders.filter(fired_at=None, cancelled_at=None).count() == 20

    # When the next sweep runs without the fault
    monkeypatch.setattr(breaches, "offer_remind", real_remind)
    assert sla_sweep(now=DUE, batch_size=5) == 20

    # Then every timer due fired once, with one notification each
    due = SlaTimer.objects.filter(due_at__lte=DUE)
    assert due.count() == due.exclude(fired_at=None).count() == 40
    for offer in offered:
        sent = Notification.objects.filter(offer=offer)
        assert sent.filter(kind="sla_warning").count() == 2, offer
        assert sent.filter(kind="sla_breach").count() == 2, offer
    assert _sent("sla_warning") == _sent("sla_breach") == 20
