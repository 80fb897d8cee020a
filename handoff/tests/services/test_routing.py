import datetime
import itertools
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from funnel.models import Campaign, HandoffPair, Role, Team
from funnel.tests.factories import TeamFactory, UserFactory
from handoff.models import (
    Lead,
    Notification,
    Offer,
    RotationState,
    RoutingRule,
    RoutingStrategy,
    SlaTimer,
    StageTransition,
)
from handoff.services.leads import lead_create
from handoff.services.offers import offer_route
from handoff.services.routing import routing_decide
from handoff.services.sla import agreement_current
from handoff.tests.factories import RepProfileFactory, RoutingRuleFactory
from handoff.working_time import working_add

_emails = itertools.count()


def _new_offer(**fields) -> Offer:
    """A lead created straight at MQL, and the pending, unrouted MQL → SAL offer it opens."""
    fields.setdefault("email", f"lead{next(_emails)}@example.com")
    lead = lead_create(actor=None, stage="mql", **fields)
    return Offer.objects.get(lead=lead)


def _route_new(now: datetime.datetime | None = None, **fields) -> Offer:
    return offer_route(offer_id=_new_offer(**fields).pk, now=now)


def _mql_offers(count: int) -> list[int]:
    """Ids of `count` pending, unrouted MQL → SAL offers, as `lead_create` at MQL leaves them.

    Written in three bulk inserts: the fairness tests route thousands of offers, and
    `lead_create` per lead would double their runtime without testing anything more.
    """
    handoff = HandoffPair.objects.select_related("offered_stage").get(key="mql_sal")
    stage, now = handoff.offered_stage, timezone.now()
    leads = Lead.objects.bulk_create(
        Lead(
            email=f"lead{next(_emails)}@example.com",
            stage=stage,
            stage_entered_at=now,
            team_id=stage.team_id,
        )
        for _ in range(count)
    )
    moves = StageTransition.objects.bulk_create(
        StageTransition(lead=lead, to_stage=stage, at=now, actor_label="system") for lead in leads
    )
    agreement = agreement_current(handoff)
    offers = Offer.objects.bulk_create(
        Offer(handoff=handoff, lead=lead, offered_at=now, transition=move, agreement=agreement)
        for lead, move in zip(leads, moves, strict=True)
    )
    return [offer.pk for offer in offers]


def _route_many(count: int) -> list[int]:
    """Route `count` new offers, oldest first; the assignee ids, in routing order."""
    return [offer_route(offer_id=offer_id).assignee_id for offer_id in _mql_offers(count)]


def _decision(offer: Offer) -> dict:
    return offer.routing[-1]


def _sales_today() -> datetime.date:
    return timezone.now().astimezone(ZoneInfo(Team.objects.get(key="sales").time_zone)).date()


def _away(rep, **profile) -> None:
    """`rep` is on leave from yesterday to tomorrow."""
    today = _sales_today()
    RepProfileFactory(
        user=rep,
        away_from=today - datetime.timedelta(days=1),
        away_until=today + datetime.timedelta(days=1),
        **profile,
    )


def _give(rep, count: int = 1) -> None:
    """Route `count` offers to `rep` by a named-user rule, leaving every rotation untouched."""
    rule = RoutingRuleFactory(
        name=f"to {rep.username}", position=0, strategy=RoutingStrategy.USER, target_user=rep
    )
    for _ in range(count):
        _route_new()
    rule.active = False
    rule.save(update_fields=["active"])


def _assigned(rule: RoutingRule) -> dict[int, int]:
    return dict(RotationState.objects.filter(rule=rule).values_list("user_id", "assigned"))


# --- rule types ---------------------------------------------------------------------------


def test_a_named_user_rule_assigns_the_offer_to_that_user(sales_team):
    _, _, (_, rep_b) = sales_team
    rule = RoutingRuleFactory(name="to b", strategy=RoutingStrategy.USER, target_user=rep_b)

    offer = _route_new()

    assert (offer.assignee, offer.queue, offer.rule) == (rep_b, None, rule)
    decision = _decision(offer)
    assert (decision["strategy"], decision["assignee"], decision["fallback"]) == (
        "user",
        "rep_b",
        False,
    )
    assert list(Notification.objects.filter(offer=offer).values_list("user", "kind")) == [
        (rep_b.pk, Notification.Kind.ASSIGNED)
    ]


def test_a_team_queue_rule_queues_the_offer_and_tells_the_team_manager(sales_team):
    enterprise = TeamFactory(key="enterprise")
    boss = UserFactory(username="enterprise_boss", role=Role.MANAGER, team=enterprise)
    enterprise.manager = boss
    enterprise.save()
    rule = RoutingRuleFactory(
        name="enterprise queue", strategy=RoutingStrategy.QUEUE, target_team=enterprise
    )

    offer = _route_new()

    assert (offer.queue, offer.assignee, offer.assigned_at, offer.rule) == (
        enterprise,
        None,
        None,
        rule,
    )
    decision = _decision(offer)
    assert (decision["strategy"], decision["queue"], decision["fallback"]) == (
        "queue",
        "enterprise",
        False,
    )
    assert list(Notification.objects.filter(offer=offer).values_list("user", "kind")) == [
        (boss.pk, Notification.Kind.QUEUED)
    ]


def test_weighted_round_robin_gives_each_rep_leads_in_proportion_to_weight(
    sales_team, routing_default_rule
):
    _, _, (rep_a, rep_b) = sales_team
    RepProfileFactory(user=rep_a, weight=2)

    assignees = _route_many(6)

    assert Counter(assignees) == {rep_a.pk: 4, rep_b.pk: 2}
    assert _assigned(routing_default_rule) == {rep_a.pk: 4, rep_b.pk: 2}


def test_least_open_round_robin_picks_the_rep_with_fewest_pending_offers(
    sales_team, routing_default_rule
):
    # Given rep_a, first in rotation order, holds two pending offers and rep_b one
    _, _, (rep_a, rep_b) = sales_team
    _give(rep_a, 2)
    _give(rep_b, 1)
    routing_default_rule.strategy = RoutingStrategy.LEAST_OPEN
    routing_default_rule.save()

    # When a new offer is routed
    offer = _route_new()

    # Then rep_b gets it, and the decision shows why
    assert offer.assignee == rep_b
    decision = _decision(offer)
    assert decision["strategy"] == "least_open"
    assert {c["user"]: c["open_offers"] for c in decision["candidates"]} == {
        "rep_a": 2,
        "rep_b": 1,
    }


# --- priorities and conditions ------------------------------------------------------------


def test_rules_are_tried_in_position_order_not_creation_order(sales_team, routing_default_rule):
    _, _, (rep_a, rep_b) = sales_team
    RoutingRuleFactory(name="second", position=20, strategy=RoutingStrategy.USER, target_user=rep_a)
    first = RoutingRuleFactory(
        name="first", position=10, strategy=RoutingStrategy.USER, target_user=rep_b
    )

    offer = _route_new()

    assert (offer.rule, offer.assignee) == (first, rep_b)


def test_the_first_matching_rule_wins_and_the_rules_tried_are_recorded(
    sales_team, routing_default_rule
):
    _, _, (rep_a, rep_b) = sales_team
    RoutingRuleFactory(
        name="germany",
        position=10,
        countries=["DE"],
        strategy=RoutingStrategy.USER,
        target_user=rep_a,
    )
    france = RoutingRuleFactory(
        name="france",
        position=20,
        countries=["FR"],
        strategy=RoutingStrategy.USER,
        target_user=rep_b,
    )

    offer = _route_new(country="FR")

    assert (offer.rule, offer.assignee) == (france, rep_b)
    assert _decision(offer)["rules_checked"] == [
        {"rule": "germany", "matched": False},
        {"rule": "france", "matched": True},
    ]
    assert _decision(offer)["rule"] == {"id": france.pk, "name": "france"}


def test_an_inactive_rule_is_ignored(sales_team, routing_default_rule):
    _, _, (_, rep_b) = sales_team
    RoutingRuleFactory(name="off", active=False, strategy=RoutingStrategy.USER, target_user=rep_b)

    offer = _route_new()

    assert offer.rule == routing_default_rule
    assert _decision(offer)["rules_checked"] == [
        {"rule": routing_default_rule.name, "matched": True}
    ]


CONDITIONS = [
    pytest.param({"countries": ["DE", "AT"]}, {"country": "at"}, True, id="country-listed"),
    pytest.param({"countries": ["DE", "AT"]}, {"country": "FR"}, False, id="country-other"),
    pytest.param({"countries": ["DE"]}, {}, False, id="country-unknown"),
    pytest.param({"regions": ["EMEA"]}, {"region": "emea"}, True, id="region-listed"),
    pytest.param({"regions": ["EMEA"]}, {"region": "APAC"}, False, id="region-other"),
    pytest.param({"industries": ["Software"]}, {"industry": "software"}, True, id="industry"),
    pytest.param({"industries": ["Software"]}, {"industry": "Retail"}, False, id="industry-other"),
    pytest.param({"employees_min": 50, "employees_max": 500}, {"employees": 50}, True,
                 id="employees-low-bound"),
    pytest.param({"employees_min": 50, "employees_max": 500}, {"employees": 500}, True,
                 id="employees-high-bound"),
    pytest.param({"employees_min": 50, "employees_max": 500}, {"employees": 49}, False,
                 id="employees-below"),
    pytest.param({"employees_min": 50, "employees_max": 500}, {"employees": 501}, False,
                 id="employees-above"),
    pytest.param({"employees_min": 50}, {}, False, id="employees-unknown"),
    pytest.param({"score_min": 60}, {"score": 60}, True, id="score-at-min"),
    pytest.param({"score_min": 60}, {"score": 59}, False, id="score-below-min"),
    pytest.param({"score_max": 20}, {"score": 20}, True, id="score-at-max"),
    pytest.param({"score_max": 20}, {"score": 21}, False, id="score-above-max"),
    pytest.param({"sources": ["Webinar"]}, {"source": "webinar"}, True, id="source-listed"),
    pytest.param({"sources": ["Webinar"]}, {"source": "paid_search"}, False, id="source-other"),
    pytest.param({"campaigns": ["Spring"]}, {"campaign": "Spring"}, True, id="campaign-listed"),
    pytest.param({"campaigns": ["Spring"]}, {"campaign": "Autumn"}, False, id="campaign-other"),
    pytest.param({"campaigns": ["Spring"]}, {}, False, id="campaign-none"),
]  # fmt: skip


@pytest.mark.parametrize(("conditions", "lead_fields", "matched"), CONDITIONS)
def test_a_rule_routes_only_leads_that_meet_its_conditions(
    sales_team, routing_default_rule, conditions, lead_fields, matched
):
    _, _, (_, rep_b) = sales_team
    conditions, lead_fields = dict(conditions), dict(lead_fields)
    campaigns = [Campaign.objects.create(name=n) for n in conditions.pop("campaigns", [])]
    if "campaign" in lead_fields:
        lead_fields["campaign"], _ = Campaign.objects.get_or_create(name=lead_fields["campaign"])
    rule = RoutingRuleFactory(
        name="narrow", strategy=RoutingStrategy.USER, target_user=rep_b, **conditions
    )
    rule.campaigns.set(campaigns)

    offer = _route_new(**lead_fields)

    assert _decision(offer)["rules_checked"][0] == {"rule": "narrow", "matched": matched}
    assert offer.rule == (rule if matched else routing_default_rule)


# --- fallback -----------------------------------------------------------------------------


def test_an_offer_no_rule_matches_waits_in_the_receiving_team_queue(
    sales_team, routing_default_rule
):
    team, manager, _ = sales_team
    routing_default_rule.countries = ["DE"]
    routing_default_rule.save()

    offer = _route_new(country="FR")

    assert (offer.queue, offer.assignee, offer.rule) == (team, None, None)
    decision = _decision(offer)
    assert (decision["fallback"], decision["queue"], decision["rule"]) == (True, "sales", None)
    assert decision["rules_checked"] == [{"rule": routing_default_rule.name, "matched": False}]
    assert list(Notification.objects.filter(offer=offer).values_list("user", "kind")) == [
        (manager.pk, Notification.Kind.QUEUED)
    ]


def test_a_round_robin_rule_whose_members_are_all_capped_falls_through_to_the_next_rule(
    sales_team, routing_default_rule
):
    _, _, (rep_a, _) = sales_team
    enterprise = TeamFactory(key="enterprise")
    RepProfileFactory(user=UserFactory(username="ent_rep", team=enterprise), max_open_offers=0)
    RoutingRuleFactory(name="enterprise", target_team=enterprise)

    offer = _route_new()

    assert (offer.rule, offer.assignee) == (routing_default_rule, rep_a)
    decision = _decision(offer)
    assert decision["rules_checked"] == [
        {"rule": "enterprise", "matched": True},
        {"rule": routing_default_rule.name, "matched": True},
    ]
    assert {"user": "ent_rep", "why": "at_open_cap"} in decision["skipped"]


def test_a_round_robin_rule_whose_members_are_all_away_falls_back_to_the_queue(
    sales_team, routing_default_rule
):
    team, _, reps = sales_team
    for rep in reps:
        _away(rep)

    offer = _route_new()

    assert (offer.queue, offer.assignee, offer.rule) == (team, None, None)
    decision = _decision(offer)
    assert decision["fallback"] is True
    assert decision["skipped"] == [
        {"user": "rep_a", "why": "absent"},
        {"user": "rep_b", "why": "absent"},
    ]
    assert not RotationState.objects.exists()


# --- skipped reps -------------------------------------------------------------------------


def _deactivate(rep) -> None:
    rep.is_active = False
    rep.save(update_fields=["is_active"])


def _away_today_only(rep) -> None:
    today = _sales_today()
    RepProfileFactory(user=rep, away_from=today, away_until=today)


def _away_open_ended(rep) -> None:
    RepProfileFactory(user=rep, away_from=_sales_today() - datetime.timedelta(days=3))


def _at_open_cap(rep) -> None:
    RepProfileFactory(user=rep, max_open_offers=2)
    _give(rep, 2)


def _at_daily_cap(rep) -> None:
    RepProfileFactory(user=rep, max_offers_per_day=1)
    _give(rep, 1)


def _out_of_rotation(rep) -> None:
    RepProfileFactory(user=rep, accepts_routing=False)


@pytest.mark.parametrize(
    ("make_unavailable", "why"),
    [
        pytest.param(_deactivate, "inactive", id="inactive"),
        pytest.param(_away, "absent", id="away"),
        pytest.param(_away_today_only, "absent", id="away-today-only"),
        pytest.param(_away_open_ended, "absent", id="away-open-ended"),
        pytest.param(_at_open_cap, "at_open_cap", id="open-cap"),
        pytest.param(_at_daily_cap, "at_daily_cap", id="daily-cap"),
        pytest.param(_out_of_rotation, "not_in_rotation", id="not-in-rotation"),
    ],
)
def test_round_robin_skips_an_unavailable_rep_and_records_why(
    sales_team, routing_default_rule, make_unavailable, why
):
    # Given rep_a, who would be next in the rotation, cannot take a lead
    _, _, (rep_a, rep_b) = sales_team
    make_unavailable(rep_a)

    # When an offer is routed
    offer = _route_new()

    # Then rep_b gets it, and the decision says why rep_a did not
    assert offer.assignee == rep_b
    assert _decision(offer)["skipped"] == [{"user": "rep_a", "why": why}]


@pytest.mark.parametrize(
    ("away_from", "away_until"),
    [
        pytest.param(-10, -1, id="leave-ended-yesterday"),
        pytest.param(1, 10, id="leave-starts-tomorrow"),
    ],
)
def test_a_rep_whose_leave_does_not_cover_today_is_not_skipped(
    sales_team, routing_default_rule, away_from, away_until
):
    _, _, (rep_a, _) = sales_team
    today = _sales_today()
    RepProfileFactory(
        user=rep_a,
        away_from=today + datetime.timedelta(days=away_from),
        away_until=today + datetime.timedelta(days=away_until),
    )

    offer = _route_new()

    assert offer.assignee == rep_a
    assert _decision(offer)["skipped"] == []


@pytest.mark.parametrize(
    ("away_from", "away_until"),
    [pytest.param(None, 3, id="away-until-friday"), pytest.param(-2, None, id="away-open-ended")],
)
def test_either_leave_date_alone_is_enough_to_be_absent(
    sales_team, routing_default_rule, away_from, away_until
):
    _, _, (rep_a, rep_b) = sales_team
    today = _sales_today()
    RepProfileFactory(
        user=rep_a,
        away_from=None if away_from is None else today + datetime.timedelta(days=away_from),
        away_until=None if away_until is None else today + datetime.timedelta(days=away_until),
    )

    offer = _route_new()

    assert offer.assignee == rep_b
    assert _decision(offer)["skipped"] == [{"user": "rep_a", "why": "absent"}]


def test_the_open_cap_counts_only_pending_offers(sales_team, routing_default_rule):
    _, _, (rep_a, _) = sales_team
    RepProfileFactory(user=rep_a, max_open_offers=1)
    _give(rep_a)
    Offer.objects.filter(assignee=rep_a).update(status="accepted")

    offer = _route_new()

    assert offer.assignee == rep_a


def test_the_daily_cap_counts_only_offers_assigned_today(sales_team, routing_default_rule):
    _, _, (rep_a, _) = sales_team
    RepProfileFactory(user=rep_a, max_offers_per_day=1)
    _give(rep_a)

    offer = _route_new(now=timezone.now() + datetime.timedelta(days=1))

    assert offer.assignee == rep_a


def test_a_named_user_rule_whose_user_is_away_is_skipped_for_the_next_rule(
    sales_team, routing_default_rule
):
    _, _, (rep_a, rep_b) = sales_team
    _away(rep_a)
    RoutingRuleFactory(name="to a", strategy=RoutingStrategy.USER, target_user=rep_a)

    offer = _route_new()

    assert (offer.rule, offer.assignee) == (routing_default_rule, rep_b)
    decision = _decision(offer)
    assert decision["skipped"][0] == {"user": "rep_a", "why": "absent", "rule": "to a"}
    assert decision["rules_checked"] == [
        {"rule": "to a", "matched": True},
        {"rule": routing_default_rule.name, "matched": True},
    ]


def test_a_named_user_rule_whose_user_is_inactive_is_skipped_for_the_next_rule(
    sales_team, routing_default_rule
):
    _, _, (rep_a, rep_b) = sales_team
    _deactivate(rep_a)
    RoutingRuleFactory(name="to a", strategy=RoutingStrategy.USER, target_user=rep_a)

    offer = _route_new()

    assert (offer.rule, offer.assignee) == (routing_default_rule, rep_b)
    assert _decision(offer)["skipped"][0] == {"user": "rep_a", "why": "inactive", "rule": "to a"}


# --- the dry run --------------------------------------------------------------------------


def _table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (RotationState, Notification, SlaTimer, Offer)
    }


def test_the_dry_run_writes_nothing(sales_team, routing_default_rule, routing_handoff):
    # Given a fresh rotation and a new, unrouted offer
    offer = _new_offer()
    before = _table_counts()

    # When the dry run decides where it would go
    with CaptureQueriesContext(connection) as queries:
        decision = routing_decide(lead=offer.lead, handoff=routing_handoff)

    # Then it has an answer, but no row was written or locked
    assert decision.assignee == "rep_a"
    assert _table_counts() == before
    assert not RotationState.objects.exists()
    routing_default_rule.refresh_from_db()
    assert routing_default_rule.virtual_time == 0.0
    offer.refresh_from_db()
    assert (offer.routed_at, offer.assignee, offer.queue, offer.routing) == (None, None, None, [])
    assert not Notification.objects.exists()
    sql = [q["sql"].upper() for q in queries.captured_queries]
    assert not [s for s in sql if s.startswith(("INSERT", "UPDATE", "DELETE")) or "FOR UPDATE" in s]


def test_the_dry_run_leaves_a_running_rotation_as_it_was(
    sales_team, routing_default_rule, routing_handoff
):
    _route_many(3)
    routing_default_rule.refresh_from_db()
    clock, assigned = routing_default_rule.virtual_time, _assigned(routing_default_rule)
    offer = _new_offer()
    before = _table_counts()

    routing_decide(lead=offer.lead, handoff=routing_handoff)

    routing_default_rule.refresh_from_db()
    assert (routing_default_rule.virtual_time, _assigned(routing_default_rule)) == (
        clock,
        assigned,
    )
    assert _table_counts() == before


def test_the_dry_run_gives_the_answer_the_real_routing_then_gives(
    sales_team, routing_default_rule, routing_handoff
):
    # Given a rotation under way, with rep_b weighted double and rep_a at a cap
    _, _, (rep_a, rep_b) = sales_team
    RepProfileFactory(user=rep_b, weight=2)
    _route_many(5)
    RepProfileFactory(user=rep_a, max_open_offers=Offer.objects.filter(assignee=rep_a).count())
    RoutingRuleFactory(name="germany", countries=["DE"], strategy=RoutingStrategy.QUEUE)
    offer = _new_offer(country="FR")
    now = timezone.now()

    # When the dry run and then the real routing decide at the same moment
    predicted = routing_decide(lead=offer.lead, handoff=routing_handoff, now=now)
    routed = offer_route(offer_id=offer.pk, now=now)

    # Then both give the same decision, down to its reasons
    assert predicted.as_dict() == _decision(routed)
    assert predicted.assignee == "rep_b"
    assert predicted.skipped == [{"user": "rep_a", "why": "at_open_cap"}]


# --- routing once -------------------------------------------------------------------------


def test_routing_an_offer_twice_routes_it_once(sales_team, routing_default_rule):
    offer = _new_offer()
    first = offer_route(offer_id=offer.pk)
    timers = SlaTimer.objects.filter(offer=offer).count()

    again = offer_route(offer_id=offer.pk)

    assert again.assignee_id == first.assignee_id
    assert again.routed_at == first.routed_at
    assert len(again.routing) == 1
    assert Notification.objects.filter(offer=offer, kind=Notification.Kind.ASSIGNED).count() == 1
    assert _assigned(routing_default_rule) == {first.assignee_id: 1}
    assert SlaTimer.objects.filter(offer=offer).count() == timers


# --- fairness -----------------------------------------------------------------------------


def _reps(team: Team, count: int) -> list:
    return [UserFactory(username=f"rr_{n}", role=Role.SALES, team=team) for n in "abcdefgh"[:count]]


def _share(assignees: list[int], user) -> float:
    return assignees.count(user.pk) / len(assignees)


@pytest.mark.slow
def test_weighted_round_robin_shares_leads_by_weight_over_many_offers(routing_default_rule):
    # Given three reps weighted 1, 2 and 3
    reps = _reps(routing_default_rule.target_team, 3)
    for rep, weight in zip(reps, (1, 2, 3), strict=True):
        RepProfileFactory(user=rep, weight=weight)

    # When 1,000 offers are routed
    assignees = _route_many(1000)

    # Then each rep's share is within 2 percentage points of weight / 6
    for rep, weight in zip(reps, (1, 2, 3), strict=True):
        assert _share(assignees, rep) == pytest.approx(weight / 6, abs=0.02), rep.username


@pytest.mark.slow
def test_a_rep_who_joins_halfway_gets_a_fair_share_without_a_burst(routing_default_rule):
    # Given two equal reps who shared 500 offers
    team = routing_default_rule.target_team
    rep_a, rep_b = _reps(team, 2)
    _route_many(500)
    before = _assigned(routing_default_rule)
    assert before == {rep_a.pk: 250, rep_b.pk: 250}

    # When a third rep joins and 600 more offers are routed
    newcomer = UserFactory(username="newcomer", role=Role.SALES, team=team)
    assignees = _route_many(600)

    # Then the newcomer gets a third of them, with no catch-up burst at first,
    assert _share(assignees, newcomer) == pytest.approx(1 / 3, abs=0.03)
    assert assignees[:30].count(newcomer.pk) <= 12
    # and the others keep counting from where they were
    after = _assigned(routing_default_rule)
    for rep in (rep_a, rep_b):
        assert after[rep.pk] == before[rep.pk] + assignees.count(rep.pk)


@pytest.mark.slow
def test_a_rep_back_from_leave_gets_a_fair_share_without_a_burst(routing_default_rule):
    # Given three equal reps, one of them away while 600 offers are routed
    *_, rep_c = _reps(routing_default_rule.target_team, 3)
    _away(rep_c)
    while_away = _route_many(600)
    assert rep_c.pk not in while_away

    # When rep_c is back and 600 more offers are routed
    profile = rep_c.rep_profile
    profile.away_from = profile.away_until = None
    profile.save()
    assignees = _route_many(600)

    # Then rep_c gets a third of them, with no catch-up burst at first
    assert _share(assignees, rep_c) == pytest.approx(1 / 3, abs=0.03)
    assert assignees[:30].count(rep_c.pk) <= 12


# --- times --------------------------------------------------------------------------------


def test_routing_records_when_and_sets_the_sla_due_times(sales_team, routing_default_rule):
    team, _, _ = sales_team
    offer = _new_offer()
    offered_at = offer.offered_at
    now = timezone.now()

    offer = offer_route(offer_id=offer.pk, now=now)

    offer.refresh_from_db()
    assert (offer.routed_at, offer.assigned_at, offer.offered_at) == (now, now, offered_at)
    terms = offer.agreement
    assert terms is not None
    assert offer.accept_due_at == working_add(now, terms.accept_within_hours, team)
    assert offer.first_touch_due_at == working_add(now, terms.first_touch_within_hours, team)
    assert offer.touches_due_at == now + datetime.timedelta(days=terms.touches_within_days)
    assert offer.work_due_at == now + datetime.timedelta(days=terms.work_within_days)
