"""Round-robin routing within territories: a lead from a country a rep's territory covers goes
to that territory's reps, fairly among them; who gets it when nobody covers the country; and the
decision says why (handoff.services.routing, "Territories in routing" in the decisions)."""

import datetime
import itertools
import random
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from funnel.models import HandoffPair, Role, Team, Territory
from funnel.tests.factories import UserFactory
from handoff.models import Lead, Offer, RotationState, RoutingStrategy, StageTransition
from handoff.services.leads import lead_create
from handoff.services.offers import offer_route
from handoff.services.routing import routing_decide, routing_explain
from handoff.services.sla import agreement_current
from handoff.tests.factories import RepProfileFactory, RoutingRuleFactory

_emails = itertools.count()


@pytest.fixture
def territories(db):
    return {
        "na": Territory.objects.create(key="na", name="North America", countries=["US", "CA"]),
        "dach": Territory.objects.create(key="dach", name="DACH", countries=["de", "AT", "CH"]),
    }


@pytest.fixture
def reps(handoffs, territories):
    """Sales reps in rotation order: na_1 and na_2 (North America), dach_1 (DACH) and free_1
    (no territory)."""
    team = Team.objects.get(key="sales")
    plan = [("na_1", "na"), ("na_2", "na"), ("dach_1", "dach"), ("free_1", None)]
    return {
        name: UserFactory(
            username=name, role=Role.SALES, team=team, territory=territories.get(where)
        )
        for name, where in plan
    }


def _route(country: str = "", now: datetime.datetime | None = None) -> Offer:
    lead = lead_create(
        actor=None, stage="mql", email=f"terr{next(_emails)}@example.com", country=country
    )
    return offer_route(offer_id=Offer.objects.get(lead=lead).pk, now=now)


def _route_many(countries: list[str]) -> list[tuple[str, str | None]]:
    """Route one new offer per country, in order (bulk-made, as test_routing does for speed):
    (country, assignee username) for each."""
    handoff = HandoffPair.objects.select_related("offered_stage").get(key="mql_sal")
    stage, now = handoff.offered_stage, timezone.now()
    leads = Lead.objects.bulk_create(
        Lead(
            email=f"terr{next(_emails)}@example.com",
            country=country,
            stage=stage,
            stage_entered_at=now,
            team_id=stage.team_id,
        )
        for country in countries
    )
    moves = StageTransition.objects.bulk_create(
        StageTransition(lead=lead, to_stage=stage, at=now, actor_label="system") for lead in leads
    )
    agreement = agreement_current(handoff)
    offers = Offer.objects.bulk_create(
        Offer(handoff=handoff, lead=lead, offered_at=now, transition=move, agreement=agreement)
        for lead, move in zip(leads, moves, strict=True)
    )
    routed = []
    for offer, country in zip(offers, countries, strict=True):
        assignee = offer_route(offer_id=offer.pk).assignee
        routed.append((country, assignee.username if assignee else None))
    return routed


def _away(*users) -> None:
    today = timezone.now().date()
    for user in users:
        RepProfileFactory(
            user=user,
            away_from=today - datetime.timedelta(days=2),
            away_until=today + datetime.timedelta(days=2),
        )


def _deactivate(*users) -> None:
    for user in users:
        user.is_active = False
        user.save(update_fields=["is_active"])


def _hold_pending(user, count: int) -> None:
    """`count` pending offers assigned to `user`, by a named-user rule switched off after."""
    rule = RoutingRuleFactory(
        name=f"to {user.username}", position=0, strategy=RoutingStrategy.USER, target_user=user
    )
    for _ in range(count):
        _route("US")
    rule.active = False
    rule.save(update_fields=["active"])


# --- who is picked ------------------------------------------------------------------------
# Each row: the lead's country, what happens to the reps first, the strategy, then who gets the
# offer (None: the sales queue), the pool that took it, and the reason recorded for some reps.

SETUPS = {
    "": lambda reps: None,
    "na away": lambda reps: _away(reps["na_1"], reps["na_2"]),
    "na and free away": lambda reps: _away(reps["na_1"], reps["na_2"], reps["free_1"]),
    "free away": lambda reps: _away(reps["free_1"]),
    "na inactive": lambda reps: _deactivate(reps["na_1"], reps["na_2"]),
    "na_1 holds 2": lambda reps: _hold_pending(reps["na_1"], 2),
    "na_1 not in rotation": lambda reps: RepProfileFactory(
        user=reps["na_1"], accepts_routing=False
    ),
}

W, LO = RoutingStrategy.WEIGHTED, RoutingStrategy.LEAST_OPEN
CASES = [
    # An owner is free: the territory's reps, never another territory's nor a rep with none.
    ("US", "", W, "na_1", "territory",
     {"dach_1": "outside_territory", "free_1": "no_territory"}),
    ("ca", "", W, "na_1", "territory", {"dach_1": "outside_territory"}),
    (" us ", "", W, "na_1", "territory", {"dach_1": "outside_territory"}),
    ("DE", "", W, "dach_1", "territory",
     {"na_1": "outside_territory", "na_2": "outside_territory", "free_1": "no_territory"}),
    ("AT", "", LO, "dach_1", "territory", {"na_1": "outside_territory"}),
    ("US", "na_1 holds 2", LO, "na_2", "territory",
     {"dach_1": "outside_territory", "free_1": "no_territory"}),
    ("US", "na_1 not in rotation", W, "na_2", "territory",
     {"na_1": "not_in_rotation", "dach_1": "outside_territory"}),
    # The owners are away: a rep with no territory, never another territory's rep.
    ("US", "na away", W, "free_1", "no_territory",
     {"na_1": "absent", "na_2": "absent", "dach_1": "outside_territory"}),
    ("US", "na away", LO, "free_1", "no_territory", {"dach_1": "outside_territory"}),
    # Nobody free who may take it: the receiving team's queue, where the manager assigns.
    ("US", "na and free away", W, None, None,
     {"na_1": "absent", "free_1": "absent", "dach_1": "outside_territory"}),
    ("US", "na and free away", LO, None, None, {"dach_1": "outside_territory"}),
    # Owners who left cover nothing: the country is nobody's here.
    ("US", "na inactive", W, "free_1", "no_territory",
     {"na_1": "inactive", "dach_1": "outside_territory"}),
    # A country no rep here covers, or none: reps with no territory first, then anyone.
    ("FR", "", W, "free_1", "no_territory",
     {"na_1": "outside_territory", "dach_1": "outside_territory"}),
    ("", "", W, "free_1", "no_territory", {"na_2": "outside_territory"}),
    ("FR", "free away", W, "na_1", "everyone", {"free_1": "absent"}),
    ("FR", "free away", LO, "na_1", "everyone", {"free_1": "absent"}),
]  # fmt: skip


@pytest.mark.parametrize(("country", "setup", "strategy", "picked", "pool", "why"), CASES)
def test_round_robin_picks_within_the_lead_s_territory(
    reps, routing_default_rule, country, setup, strategy, picked, pool, why
):
    SETUPS[setup](reps)
    routing_default_rule.strategy = strategy
    routing_default_rule.save(update_fields=["strategy"])

    offer = _route(country)

    assert (offer.assignee.username if offer.assignee else None) == picked
    assert offer.queue == (None if picked else Team.objects.get(key="sales"))
    decision = offer.routing[-1]
    assert decision["territory"]["pool"] == pool
    assert decision["territory"]["country"] == country.strip().upper()
    skipped = {s["user"]: s["why"] for s in decision["skipped"]}
    assert {user: skipped.get(user) for user in why} == why
    assert picked is None or picked not in skipped
    assert [c["user"] for c in decision["candidates"]] == [
        name for name in reps if name not in skipped
    ]


def test_the_decision_names_the_territory_and_counts_its_reps(reps, routing_default_rule):
    offer = _route("US")

    assert offer.routing[-1]["territory"] == {
        "country": "US",
        "territories": ["North America"],
        "reps": 2,
        "pool": "territory",
    }
    assert routing_explain(offer.routing[-1]) == (
        f"US lead: territory North America (2 reps); picked na_1 "
        f"(rule “{routing_default_rule.name}”)."
    )


@pytest.mark.parametrize(
    ("country", "setup", "sentence"),
    [
        ("US", "na away", "US lead: territory North America (2 reps), none free, so a rep with "
         "no territory; picked free_1 (rule “{rule}”)."),
        ("US", "na and free away", "US lead: territory North America (2 reps), none free, nor "
         "any rep with no territory; no rule could route it: the sales queue."),
        ("FR", "", "FR lead: no rep here has a territory with FR, so a rep with no territory; "
         "picked free_1 (rule “{rule}”)."),
        ("FR", "free away", "FR lead: no rep here has a territory with FR, no rep with no "
         "territory free, so anyone; picked na_1 (rule “{rule}”)."),
        ("", "", "Lead with no country, so a rep with no territory; picked free_1 (rule "
         "“{rule}”)."),
    ],
)  # fmt: skip
def test_the_explanation_says_why_the_territory_did_not_take_it(
    reps, routing_default_rule, country, setup, sentence
):
    SETUPS[setup](reps)

    offer = _route(country)

    assert routing_explain(offer.routing[-1]) == sentence.format(rule=routing_default_rule.name)


def test_a_lead_in_two_overlapping_territories_goes_to_the_reps_of_either(
    reps, territories, routing_default_rule
):
    americas = Territory.objects.create(key="americas", name="Americas", countries=["US", "BR"])
    reps["dach_1"].territory = americas
    reps["dach_1"].save(update_fields=["territory"])

    routed = _route_many(["US"] * 6)

    assert Counter(user for _, user in routed) == {"na_1": 2, "na_2": 2, "dach_1": 2}
    decision = Offer.objects.filter(lead__country="US").latest("pk").routing[-1]
    assert decision["territory"]["territories"] == ["Americas", "North America"]
    assert decision["territory"]["reps"] == 3


def test_a_team_without_territories_routes_as_before(handoffs, routing_default_rule):
    team = Team.objects.get(key="sales")
    for name in ("plain_a", "plain_b"):
        UserFactory(username=name, role=Role.SALES, team=team)

    routed = _route_many(["US", "DE", "US", ""])

    assert [user for _, user in routed] == ["plain_a", "plain_b", "plain_a", "plain_b"]
    offer = Offer.objects.latest("pk")
    assert offer.routing[-1]["territory"] is None
    assert offer.routing[-1]["skipped"] == []
    assert routing_explain(offer.routing[-1]) == (
        f"Picked plain_b (rule “{routing_default_rule.name}”)."
    )


def test_a_named_user_rule_is_obeyed_whatever_the_user_s_territory(reps, routing_default_rule):
    rule = RoutingRuleFactory(
        name="to dach_1", position=0, strategy=RoutingStrategy.USER, target_user=reps["dach_1"]
    )

    offer = _route("US")

    assert (offer.rule, offer.assignee) == (rule, reps["dach_1"])
    assert offer.routing[-1]["territory"] is None


def test_a_rule_with_nobody_free_for_the_territory_falls_through_to_the_next_rule(
    reps, routing_default_rule
):
    # Given a first rule whose team's only rep covers North America and is away
    enterprise = Team.objects.create(key="enterprise", name="Enterprise")
    ent_na = UserFactory(username="ent_na", team=enterprise, territory=reps["na_1"].territory)
    UserFactory(username="ent_dach", team=enterprise, territory=reps["dach_1"].territory)
    _away(ent_na)
    RoutingRuleFactory(name="enterprise", position=0, target_team=enterprise)

    # When a US lead is routed
    offer = _route("US")

    # Then the enterprise DACH rep is passed over and the next rule's territory takes it
    assert (offer.rule, offer.assignee) == (routing_default_rule, reps["na_1"])
    decision = offer.routing[-1]
    assert {"user": "ent_dach", "why": "outside_territory"} in decision["skipped"]
    assert {"user": "ent_na", "why": "absent"} in decision["skipped"]
    assert decision["territory"]["pool"] == "territory"


# --- never outside the territory ----------------------------------------------------------


def test_a_rep_outside_the_territory_is_never_picked_while_an_owner_is_free(
    reps, routing_default_rule
):
    # Given the DACH rep and the rep with no territory weighted ten times the others, with no
    # leads yet, and na_1 capped at five open offers
    RepProfileFactory(user=reps["dach_1"], weight=10)
    RepProfileFactory(user=reps["free_1"], weight=10)
    RepProfileFactory(user=reps["na_1"], max_open_offers=5)

    # When 40 US and Canadian leads are routed
    routed = _route_many(["US", "CA"] * 20)

    # Then na_1 gets five, na_2 the rest, nobody else any
    assert Counter(user for _, user in routed) == {"na_1": 5, "na_2": 35}


def test_a_rep_back_from_leave_gets_their_territory_s_leads_again(reps, routing_default_rule):
    _away(reps["na_1"], reps["na_2"])
    while_away = _route_many(["US"] * 4)
    for rep in (reps["na_1"], reps["na_2"]):
        rep.rep_profile.delete()

    back = _route_many(["US"] * 4)

    assert {user for _, user in while_away} == {"free_1"}
    assert Counter(user for _, user in back) == {"na_1": 2, "na_2": 2}


# --- fairness within territories ----------------------------------------------------------


def _shares(routed, countries: set[str]) -> Counter:
    return Counter(user for country, user in routed if country in countries)


@pytest.mark.slow
def test_rotation_stays_even_within_each_of_two_territories(handoffs, territories):
    # Given three North American reps, two DACH reps (one weighted double) and none other
    team = Team.objects.get(key="sales")
    na = [UserFactory(username=f"na_{n}", team=team, territory=territories["na"]) for n in "abc"]
    dach = [
        UserFactory(username=f"dach_{n}", team=team, territory=territories["dach"]) for n in "ab"
    ]
    RepProfileFactory(user=dach[1], weight=2)

    # When 400 leads arrive in random order, four American for each German one
    rng = random.Random(7)
    countries = ["US"] * 240 + ["CA"] * 80 + ["DE"] * 80
    rng.shuffle(countries)
    routed = _route_many(countries)

    # Then each territory's leads are shared by its own reps only, evenly by weight,
    na_counts = _shares(routed, {"US", "CA"})
    assert set(na_counts) == {"na_a", "na_b", "na_c"}
    assert max(na_counts.values()) - min(na_counts.values()) <= 1
    dach_counts = _shares(routed, {"DE"})
    assert set(dach_counts) == {"dach_a", "dach_b"}
    assert abs(dach_counts["dach_b"] - 2 * dach_counts["dach_a"]) <= 2
    # from the first leads on: the busier territory's clock does not tie the DACH reps at it
    # (which would hand every German lead to dach_a, first in rotation order)
    first_dach = [user for country, user in routed if country == "DE"][:9]
    assert Counter(first_dach) == {"dach_a": 3, "dach_b": 6}
    # and the rotation's counts agree
    rule = Offer.objects.latest("pk").rule
    assigned = dict(
        RotationState.objects.filter(rule=rule).values_list("user__username", "assigned")
    )
    assert assigned == dict(_shares(routed, {"US", "CA", "DE"}))
    assert {rep.username for rep in na + dach} == set(assigned)


@pytest.mark.slow
def test_leads_nobody_covers_do_not_skew_a_territory_s_rotation(handoffs, territories):
    # Given two North American reps, two DACH reps and a rep with no territory
    team = Team.objects.get(key="sales")
    for name, where in [("na_a", "na"), ("na_b", "na"), ("dach_a", "dach"), ("dach_b", "dach")]:
        UserFactory(username=name, team=team, territory=territories[where])
    UserFactory(username="free", team=team)

    # When 300 leads arrive: mostly American, some German, some from countries nobody covers
    rng = random.Random(11)
    countries = ["US"] * 200 + ["DE"] * 60 + ["FR"] * 30 + [""] * 10
    rng.shuffle(countries)
    routed = _route_many(countries)

    # Then the uncovered leads all go to the rep with no territory, and each territory's
    # leads split evenly between its own two reps
    assert _shares(routed, {"FR", ""}) == {"free": 40}
    assert _shares(routed, {"US"}) == {"na_a": 100, "na_b": 100}
    assert _shares(routed, {"DE"}) == {"dach_a": 30, "dach_b": 30}


@pytest.mark.slow
def test_leads_shared_by_everyone_count_as_turns_within_a_territory(handoffs, territories):
    # Given two North American and two DACH reps, nobody without a territory
    team = Team.objects.get(key="sales")
    for name, where in [("na_a", "na"), ("na_b", "na"), ("dach_a", "dach"), ("dach_b", "dach")]:
        UserFactory(username=name, team=team, territory=territories[where])

    # When 300 leads arrive, a fifth of them from a country nobody covers
    rng = random.Random(3)
    countries = ["US"] * 180 + ["DE"] * 60 + ["FR"] * 60
    rng.shuffle(countries)
    routed = _route_many(countries)

    # Then no territory rep ever gets a lead of the other territory, each territory's reps end
    # within one lead of each other in all, and the uncovered leads go mostly to the quieter
    # territory, whose reps had fewer leads
    for country, user in routed:
        assert not (country == "US" and user.startswith("dach"))
        assert not (country == "DE" and user.startswith("na"))
    total = Counter(user for _, user in routed)
    assert abs(total["na_a"] - total["na_b"]) <= 1
    assert abs(total["dach_a"] - total["dach_b"]) <= 1
    uncovered = _shares(routed, {"FR"})
    assert uncovered["dach_a"] + uncovered["dach_b"] > uncovered["na_a"] + uncovered["na_b"]


# --- the dry run --------------------------------------------------------------------------


def test_the_dry_run_gives_the_answer_the_real_routing_then_gives(
    reps, routing_default_rule, routing_handoff
):
    _route_many(["US", "DE", "US", "FR"])
    _away(reps["na_2"])
    lead = lead_create(actor=None, stage="mql", email="dry@example.com", country="US")
    offer, now = Offer.objects.get(lead=lead), timezone.now()

    predicted = routing_decide(lead=lead, handoff=routing_handoff, now=now)
    routed = offer_route(offer_id=offer.pk, now=now)

    assert predicted.as_dict() == routed.routing[-1]
    assert predicted.assignee == "na_1"
    assert predicted.territory["pool"] == "territory"


# --- the lead page ------------------------------------------------------------------------


def test_the_lead_page_says_which_territory_took_the_lead_and_who_was_outside_it(
    client, reps, routing_default_rule
):
    offer = _route("DE")
    client.force_login(reps["dach_1"])

    text = client.get(reverse("handoff:lead", args=[offer.lead_id])).text

    assert "Why it went to dach_1" in text
    assert "DE lead: territory DACH (1 rep)." in text
    assert "Skipped, outside their territory: na_1, na_2</li>" in text
    assert "Skipped free_1: no territory, and the lead's territory had a rep free" in text


def test_the_lead_page_says_when_nobody_here_covers_the_country(client, reps, routing_default_rule):
    offer = _route("FR")
    client.force_login(reps["free_1"])

    text = client.get(reverse("handoff:lead", args=[offer.lead_id])).text

    assert "FR lead: no rep here has a territory with FR, so a rep with no territory." in text
