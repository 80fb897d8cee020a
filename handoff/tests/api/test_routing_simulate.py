"""POST /api/v1/routing/simulate/: where an offer would go now, and why; nothing is assigned."""

import datetime

import pytest
from django.utils import timezone

from funnel.models import Campaign, Territory
from handoff.models import Lead, Offer, RotationState, RoutingRule, RoutingStrategy
from handoff.tests.factories import RepProfileFactory, RoutingRuleFactory

URL = "/api/v1/routing/simulate/"


@pytest.fixture
def manager_client(people, client_for):
    return client_for(people.manager)


def test_a_lead_by_id_goes_to_the_next_rep_in_the_rotation(people, worked_lead, manager_client):
    """rep_a took the worked lead's offer, so rep_b is next; simulating assigns nothing."""
    rotation = list(RotationState.objects.values_list("user_id", "virtual_finish", "assigned"))

    response = manager_client.post(URL, {"lead": worked_lead.pk}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["lead"], body["handoff"], body["assignee"], body["queue"]) == (
        worked_lead.pk,
        "mql_sal",
        "api_rep_b",
        None,
    )
    assert (body["rule"]["name"], body["strategy"], body["fallback"]) == (
        "Everyone in Sales, by weight",
        "weighted",
        False,
    )
    assert [c["user"] for c in body["candidates"]] == ["api_rep_a", "api_rep_b"]
    assert body["rules_checked"] == [{"rule": "Everyone in Sales, by weight", "matched": True}]
    assert Offer.objects.get(lead=worked_lead, status="pending").assignee == people.rep_a
    assert (
        list(RotationState.objects.values_list("user_id", "virtual_finish", "assigned")) == rotation
    )


def test_lead_fields_are_matched_against_the_rules(people, client_for):
    campaign = Campaign.objects.create(name="DACH webinar")
    rule = RoutingRuleFactory(
        position=1,
        name="DACH",
        strategy=RoutingStrategy.USER,
        target_user=people.rep_b,
        countries=["DE", "AT", "CH"],
    )
    rule.campaigns.add(campaign)
    leads_before = Lead.objects.count()
    client = client_for(people.marketer)

    dach = client.post(
        URL,
        {"lead_fields": {"country": "de", "employees": 250, "campaign": campaign.pk}},
        format="json",
    ).json()
    france = client.post(URL, {"lead_fields": {"country": "FR"}}, format="json").json()

    assert (dach["lead"], dach["rule"]["name"], dach["assignee"]) == (None, "DACH", "api_rep_b")
    assert france["rules_checked"][0] == {"rule": "DACH", "matched": False}
    assert france["rule"]["name"] == "Everyone in Sales, by weight"
    assert Lead.objects.count() == leads_before  # the lead of the simulation is never saved


def test_the_simulation_says_who_was_skipped_and_why(people, manager_client):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    RepProfileFactory(user=people.rep_a, away_until=tomorrow)
    RepProfileFactory(user=people.rep_b, max_open_offers=0)

    body = manager_client.post(URL, {"lead_fields": {}}, format="json").json()

    assert body["skipped"] == [
        {"user": "api_rep_a", "why": "absent"},
        {"user": "api_rep_b", "why": "at_open_cap"},
    ]
    assert (body["rule"], body["assignee"], body["fallback"], body["queue"]) == (
        None,
        None,
        True,
        "sales",
    )


def test_the_simulation_names_the_territory_and_who_is_outside_it(people, manager_client):
    """rep_b owns North America; rep_a, first in the rotation, has another territory."""
    north_america = Territory.objects.create(key="na", name="North America", countries=["US"])
    people.rep_b.territory = north_america
    people.rep_b.save(update_fields=["territory"])
    people.rep_a.territory = Territory.objects.create(key="dach", name="DACH", countries=["DE"])
    people.rep_a.save(update_fields=["territory"])

    us = manager_client.post(URL, {"lead_fields": {"country": "us"}}, format="json").json()
    france = manager_client.post(URL, {"lead_fields": {"country": "FR"}}, format="json").json()

    assert us["assignee"] == "api_rep_b"
    assert us["territory"] == {
        "country": "US",
        "territories": ["North America"],
        "reps": 1,
        "pool": "territory",
    }
    assert us["skipped"] == [{"user": "api_rep_a", "why": "outside_territory"}]
    assert us["explanation"] == (
        "US lead: territory North America (1 rep); picked api_rep_b "
        "(rule “Everyone in Sales, by weight”)."
    )
    # Nobody covers France and nobody is without a territory: anyone, the rotation decides.
    assert (france["assignee"], france["territory"]["pool"], france["skipped"]) == (
        "api_rep_a",
        "everyone",
        [],
    )
    assert france["explanation"].startswith("FR lead: no rep here has a territory with FR")


def test_a_team_without_territories_is_explained_without_them(people, manager_client):
    body = manager_client.post(URL, {"lead_fields": {"country": "US"}}, format="json").json()

    assert body["territory"] is None
    assert body["explanation"] == "Picked api_rep_a (rule “Everyone in Sales, by weight”)."


def test_another_handoff_may_be_simulated(people, manager_client):
    body = manager_client.post(URL, {"lead_fields": {}, "handoff": "qi_qia"}, format="json").json()

    assert (body["handoff"], body["assignee"]) == ("qi_qia", "api_inside")


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("superuser", 200),
        ("marketer", 200),
        ("manager", 200),
        ("rep_a", 403),
        ("inside", 403),
        ("integration", 403),
        (None, 401),
    ],
)
def test_who_may_simulate(people, client_for, role, status):
    client = client_for(getattr(people, role) if role else None)

    response = client.post(URL, {"lead_fields": {"country": "DE"}}, format="json")

    assert response.status_code == status


def test_a_lead_the_user_may_not_see_answers_404(people, hidden_leads, manager_client):
    for lead_id in (hidden_leads.inquiry.pk, hidden_leads.merged.pk, 10**12):
        response = manager_client.post(URL, {"lead": lead_id}, format="json")

        assert response.status_code == 404, lead_id


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"handoff": "mql_sal"},
        {"lead": 1, "lead_fields": {}},
        {"lead": "abc"},
        {"lead": 10**30},
        {"lead": {"id": 1}},
        {"lead_fields": "DE"},
        {"lead_fields": [{"country": "DE"}]},
        {"lead_fields": {"country": "Germany"}},
        {"lead_fields": {"employees": "many"}},
        {"lead_fields": {"employees": -1}},
        {"lead_fields": {"score": 10**30}},
        {"lead_fields": {"campaign": 10**30}},
        {"lead_fields": {"campaign": "spring"}},
        {"lead_fields": {"stage": "sal"}},
        {"lead_fields": {}, "handoff": "nope"},
        {"lead_fields": {}, "handoff": {"key": "mql_sal"}},
        {"lead_fields": {}, "assign": True},
    ],
)
def test_bad_input_answers_400(people, manager_client, body):
    response = manager_client.post(URL, body, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert not RoutingRule.objects.exclude(virtual_time=0).exists()
