"""The settings of handoffs and targets, scoring, routing, API tokens and webhooks: who may open
each page and write, what each write does (and records in the audit trail), that bad input
changes nothing, and that a token or a webhook secret is shown exactly once."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from configuration.forms_handoff import TargetForm
from funnel.models import Campaign, HandoffPair, HandoffTarget, Role, Team
from funnel.selectors import target_in_force, target_today
from funnel.setup import defaults_install
from funnel.tests.factories import UserFactory
from handoff.models import Offer, RotationState, RoutingRule, RoutingStrategy, ScoringRule
from handoff.services.routing import routing_decide
from handoff.services.routing_rules import COUNTRY_CODE, LOW_ABOVE_HIGH, NEEDS_USER
from handoff.services.scoring import POINTS_ZERO
from handoff.services.work import activity_record
from handoff.tests.factories import LeadFactory, RoutingRuleFactory
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from integrations.tests.factories import EventFactory, WebhookSubscriptionFactory

ANONYMOUS = "anonymous"
WHO = (*Role.values, ANONYMOUS)

HANDOFFS = reverse("configuration:handoffs")
SCORING = reverse("configuration:scoring")
ROUTING = reverse("configuration:routing")
ROUTING_NEW = reverse("configuration:routing-rule-new")
ROUTING_TRY = reverse("configuration:routing-try")
TOKENS = reverse("configuration:tokens")
WEBHOOKS = reverse("configuration:webhooks")


@pytest.fixture
def people(db):
    """The default funnel with every app's defaults, one user of each role (the manager manages
    sales, which receives MQL → SAL; Inside receives QI → QIA), a second integration user."""
    defaults_install()
    teams = {t.key: t for t in Team.objects.all()}
    who = {
        Role.ADMIN: UserFactory(username="cfg_admin", role=Role.ADMIN),
        Role.MARKETING: UserFactory(
            username="cfg_marketer", role=Role.MARKETING, team=teams["marketing"]
        ),
        Role.INSIDE: UserFactory(username="cfg_inside", role=Role.INSIDE, team=teams["inside"]),
        Role.SALES: UserFactory(username="cfg_sales", role=Role.SALES, team=teams["sales"]),
        Role.MANAGER: UserFactory(username="cfg_manager", role=Role.MANAGER, team=teams["sales"]),
        Role.INTEGRATION: UserFactory(username="cfg_integration", role=Role.INTEGRATION),
    }
    teams["sales"].manager = who[Role.MANAGER]
    teams["sales"].save(update_fields=["manager"])
    return SimpleNamespace(
        who=who,
        teams=teams,
        other_integration=UserFactory(username="cfg_other_integration", role=Role.INTEGRATION),
        sales_pair=HandoffPair.objects.get(key="mql_sal"),
        inside_pair=HandoffPair.objects.get(key="qi_qia"),
    )


@pytest.fixture
def as_who(client, people):
    """`as_who(role)`: the test client signed in as that role's user (ANONYMOUS: signed out)."""

    def sign_in(who):
        client.logout()
        if who != ANONYMOUS:
            client.force_login(people.who[who])
        return client

    return sign_in


def _expect(who: str, allowed: tuple[str, ...], ok: int = 200) -> int:
    if who == ANONYMOUS:
        return 302
    return ok if who in allowed else 403


def _trail(model, **filters):
    return LogEntry.objects.get_for_model(model).filter(**filters).order_by("-timestamp", "-id")


# --- every page with every role ---------------------------------------------------------------


PAGES = {
    HANDOFFS: (Role.ADMIN, Role.MARKETING, Role.MANAGER),
    SCORING: (Role.ADMIN, Role.MARKETING),
    ROUTING: (Role.ADMIN, Role.MARKETING, Role.MANAGER),
    ROUTING_TRY: (Role.ADMIN, Role.MARKETING, Role.MANAGER),
    ROUTING_NEW: (Role.ADMIN, Role.MANAGER),
    TOKENS: tuple(Role.values),
    WEBHOOKS: (Role.ADMIN, Role.INTEGRATION),
}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("url", list(PAGES))
def test_each_page_answers_each_role(as_who, url, who):
    """Readers get the page, other roles 403, an anonymous visitor the login page."""
    response = as_who(who).get(url)

    assert response.status_code == _expect(who, PAGES[url])
    if who == ANONYMOUS:
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("who", WHO)
def test_the_handoffs_page_offers_the_target_form_to_editors_only(as_who, people, who):
    response = as_who(who).get(HANDOFFS)

    if response.status_code != 200:
        assert who not in (Role.ADMIN, Role.MARKETING, Role.MANAGER)
        return
    action = reverse("configuration:handoff-target", args=["mql_sal"])
    assert (action in response.content.decode()) is (who in (Role.ADMIN, Role.MARKETING))
    assert people.sales_pair.name in response.content.decode()


@pytest.mark.parametrize("who", WHO)
def test_the_edit_pages_by_id_answer_each_role(as_who, people, who):
    """A scoring rule, a routing rule of the sales handoff, another integration's webhook."""
    scoring = ScoringRule.objects.create(name="Pricing", kind="page_visit", points=5)
    sales_rule = RoutingRule.objects.get(handoff=people.sales_pair)
    inside_rule = RoutingRule.objects.get(handoff=people.inside_pair)
    foreign = WebhookSubscriptionFactory(owner=people.other_integration)
    client = as_who(who)

    scoring_status = client.get(reverse("configuration:scoring-rule", args=[scoring.pk]))
    sales_status = client.get(reverse("configuration:routing-rule", args=[sales_rule.pk]))
    inside_status = client.get(reverse("configuration:routing-rule", args=[inside_rule.pk]))
    webhook_status = client.get(reverse("configuration:webhook", args=[foreign.pk]))

    assert scoring_status.status_code == _expect(who, (Role.ADMIN, Role.MARKETING))
    assert sales_status.status_code == _expect(who, (Role.ADMIN, Role.MANAGER))
    # Another team's rule is not found for its manager.
    inside_expected = {Role.MANAGER: 404}.get(who, _expect(who, (Role.ADMIN,)))
    assert inside_status.status_code == inside_expected
    webhook_expected = {Role.INTEGRATION: 404}.get(who, _expect(who, (Role.ADMIN,)))
    assert webhook_status.status_code == webhook_expected


# --- handoffs and targets -----------------------------------------------------------------------


def _target_post(client, key="mql_sal", **data):
    url = reverse("configuration:handoff-target", args=[key])
    return client.post(url, {f"{key}-{name}": value for name, value in data.items()})


def test_the_marketer_changes_a_target_from_100_to_60_percent_today(as_who, people):
    """A new version from today; the old one is kept; the trail says who and both rates."""
    pair = people.sales_pair
    today = target_today()
    assert target_in_force(handoff=pair, day=today) == Decimal("1.000")

    response = _target_post(as_who(Role.MARKETING), rate="60", effective_from=today.isoformat())

    assert response.status_code == 302
    assert response.url == f"{HANDOFFS}#handoff-mql_sal"
    versions = list(HandoffTarget.objects.filter(handoff=pair).order_by("effective_from"))
    assert [(v.rate, v.effective_from == today) for v in versions] == [
        (Decimal("1.000"), False),
        (Decimal("0.600"), True),
    ]
    assert versions[1].created_by == people.who[Role.MARKETING]
    assert target_in_force(handoff=pair, day=today) == Decimal("0.600")
    assert target_in_force(handoff=pair, day=today - datetime.timedelta(days=1)) == Decimal(1)
    entries = _trail(HandoffTarget)
    assert {e.actor for e in entries} == {people.who[Role.MARKETING]}

    page = as_who(Role.MARKETING).get(HANDOFFS).content.decode()
    card = page.split('id="handoff-mql_sal"')[1].split("</article>")[0]
    assert "Target now: <strong>60%</strong>" in card
    assert "<strong>60%</strong>" in card and "<strong>100%</strong>" in card
    assert "(was 100%)" in card
    trail = page.split('class="audit-trail"')[1]
    assert "cfg_marketer" in trail
    # The versions as the trail names them (old 100%, new 60%), with or without a decimal.
    assert re.search(r"\b60(\.0)?%", trail) and re.search(r"\b100(\.0)?%", trail)


def test_a_target_from_a_later_day_leaves_today_s_alone(as_who, people):
    later = target_today() + datetime.timedelta(days=40)

    _target_post(as_who(Role.ADMIN), rate="75.5", effective_from=later.isoformat())

    pair = people.sales_pair
    assert target_in_force(handoff=pair, day=target_today()) == Decimal(1)
    assert target_in_force(handoff=pair, day=later) == Decimal("0.755")
    assert "scheduled" in as_who(Role.ADMIN).get(HANDOFFS).content.decode()


@pytest.mark.parametrize(
    ("rate", "day", "field"),
    [
        ("150", None, "rate"),
        ("-1", None, "rate"),
        ("sixty", None, "rate"),
        ("60", "", "effective_from"),
        ("60", "1999-12-31", "effective_from"),  # before targets had dates: the service refuses
    ],
)
def test_a_bad_target_re_shows_the_form_and_changes_nothing(as_who, people, rate, day, field):
    day = target_today().isoformat() if day is None else day

    response = _target_post(as_who(Role.MARKETING), rate=rate, effective_from=day)

    assert response.status_code == 400
    form = response.context["rows"][1]["form"]  # the MQL → SAL card's form, bound
    assert form.prefix == "mql_sal" and field in form.errors
    assert f'value="{rate}"' in response.content.decode()  # the input kept
    assert not HandoffTarget.objects.exists()
    assert target_in_force(handoff=people.sales_pair, day=target_today()) == Decimal(1)


@pytest.mark.parametrize("who", [Role.MANAGER, Role.SALES, Role.INSIDE, Role.INTEGRATION])
def test_a_role_that_may_not_edit_targets_is_refused_and_changes_nothing(as_who, people, who):
    response = _target_post(as_who(who), rate="10", effective_from=target_today().isoformat())

    assert response.status_code == 403
    assert not HandoffTarget.objects.exists()


def test_an_unknown_handoff_is_not_found(as_who, people):
    response = _target_post(
        as_who(Role.MARKETING), key="nope", rate="10", effective_from="2030-01-01"
    )

    assert response.status_code == 404


def test_the_form_turns_percent_into_the_fraction_the_services_keep():
    form = TargetForm({"rate": "62.5", "effective_from": "2030-01-01"})

    assert form.is_valid()
    assert form.fraction() == Decimal("0.625")


def test_the_sla_link_goes_to_the_console_of_a_team_the_user_may_open(as_who, people):
    manager_page = as_who(Role.MANAGER).get(HANDOFFS).content.decode()
    marketing_page = as_who(Role.MARKETING).get(HANDOFFS).content.decode()

    assert f"{reverse('web:team')}?team=sales#agreements" in manager_page
    assert "?team=inside#agreements" not in manager_page  # the manager's console is sales only
    assert reverse("web:team") not in marketing_page  # marketing has no console


# --- scoring rules ------------------------------------------------------------------------------


RULE = {"name": "Pricing page", "kind": "page_visit", "contains": "/pricing", "points": "15"}


def test_marketing_adds_a_scoring_rule_and_the_trail_records_it(as_who, people):
    response = as_who(Role.MARKETING).post(SCORING, {**RULE, "active": "on"})

    assert response.status_code == 302
    rule = ScoringRule.objects.get()
    assert (rule.name, rule.kind, rule.contains, rule.points, rule.active) == (
        "Pricing page",
        "page_visit",
        "/pricing",
        15,
        True,
    )
    [entry] = _trail(ScoringRule)
    assert entry.action == LogEntry.Action.CREATE and entry.actor == people.who[Role.MARKETING]


def test_a_rule_added_on_the_page_scores_the_next_activity(as_who, people):
    as_who(Role.MARKETING).post(SCORING, {**RULE, "active": "on"})
    lead = LeadFactory(score=0)

    activity_record(
        lead=lead, kind="page_visit", at=timezone.now(), detail={"url": "/pricing/enterprise"}
    )

    lead.refresh_from_db()
    assert lead.score == 15


def test_editing_a_scoring_rule_deactivates_it_and_records_old_and_new(as_who, people):
    rule = ScoringRule.objects.create(name="Pricing", kind="page_visit", points=5)
    url = reverse("configuration:scoring-rule", args=[rule.pk])

    response = as_who(Role.ADMIN).post(url, {**RULE, "points": "7"})  # Active unticked

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.points, rule.active, rule.name) == (7, False, "Pricing page")
    entry = _trail(ScoringRule, action=LogEntry.Action.UPDATE).get()
    assert entry.actor == people.who[Role.ADMIN]
    assert entry.changes_dict["points"] == ["5", "7"]
    assert entry.changes_dict["active"] == ["True", "False"]


def test_deleting_a_scoring_rule_removes_it(as_who, people):
    rule = ScoringRule.objects.create(name="Pricing", kind="page_visit", points=5)

    response = as_who(Role.MARKETING).post(
        reverse("configuration:scoring-rule-delete", args=[rule.pk])
    )

    assert response.status_code == 302
    assert not ScoringRule.objects.exists()
    assert (
        _trail(ScoringRule, action=LogEntry.Action.DELETE).get().actor == people.who[Role.MARKETING]
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"points": "0"}, "points", str(POINTS_ZERO)),
        ({"points": "lots"}, "points", None),
        ({"name": ""}, "name", None),
        ({"kind": "telepathy"}, "kind", None),
    ],
)
def test_a_bad_scoring_rule_re_shows_the_form_and_changes_nothing(
    as_who, people, change, field, message
):
    response = as_who(Role.MARKETING).post(SCORING, {**RULE, **change})

    assert response.status_code == 400
    assert field in response.context["form"].errors
    if message:
        assert message in response.context["form"].errors[field]
    assert 'value="/pricing"' in response.content.decode()  # the input kept
    assert not ScoringRule.objects.exists()


@pytest.mark.parametrize("who", [Role.MANAGER, Role.SALES, Role.INSIDE, Role.INTEGRATION])
def test_other_roles_may_not_write_scoring_rules(as_who, people, who):
    rule = ScoringRule.objects.create(name="Pricing", kind="page_visit", points=5)
    client = as_who(who)

    posts = [
        client.post(SCORING, RULE),
        client.post(reverse("configuration:scoring-rule", args=[rule.pk]), RULE),
        client.post(reverse("configuration:scoring-rule-delete", args=[rule.pk])),
    ]

    assert [p.status_code for p in posts] == [403, 403, 403]
    assert list(ScoringRule.objects.values_list("name", "points")) == [("Pricing", 5)]


def test_an_unknown_scoring_rule_is_not_found(as_who, people):
    assert (
        as_who(Role.ADMIN).get(reverse("configuration:scoring-rule", args=[999])).status_code == 404
    )


# --- routing rules ------------------------------------------------------------------------------


def _rule_data(people, **change):
    data = {
        "handoff": "mql_sal",
        "name": "Big US accounts",
        "active": "on",
        "countries": "us, de",
        "regions": "",
        "industries": "Software",
        "sources": "",
        "employees_min": "500",
        "employees_max": "",
        "score_min": "",
        "score_max": "",
        "strategy": RoutingStrategy.WEIGHTED,
        "target_user": "",
        "target_team": str(people.teams["sales"].pk),
    }
    return {k: v for k, v in {**data, **change}.items() if v is not None}


def test_an_admin_adds_a_routing_rule_last_in_order(as_who, people):
    campaign = Campaign.objects.create(name="Spring webinar")
    before = RoutingRule.objects.get(handoff=people.sales_pair)

    response = as_who(Role.ADMIN).post(
        ROUTING_NEW, _rule_data(people, campaigns=[str(campaign.pk)])
    )

    assert response.status_code == 302
    rule = RoutingRule.objects.get(name="Big US accounts")
    assert rule.handoff == people.sales_pair and rule.position > before.position
    assert rule.countries == ["US", "DE"] and rule.industries == ["Software"]
    assert rule.employees_min == 500 and list(rule.campaigns.all()) == [campaign]
    assert rule.target_team == people.teams["sales"] and rule.target_user is None
    entry = _trail(RoutingRule, action=LogEntry.Action.CREATE, object_id=rule.pk).get()
    assert entry.actor == people.who[Role.ADMIN]


def test_a_manager_adds_a_rule_to_the_handoff_their_team_receives(as_who, people):
    rep = UserFactory(username="cfg_rep", role=Role.SALES, team=people.teams["sales"])
    # The new rule goes last: the default rule before it would take every lead, so it yields.
    RoutingRule.objects.filter(handoff=people.sales_pair).update(active=False)

    response = as_who(Role.MANAGER).post(
        ROUTING_NEW, _rule_data(people, strategy="user", target_user=str(rep.pk), target_team="")
    )

    assert response.status_code == 302
    rule = RoutingRule.objects.get(name="Big US accounts")
    assert (rule.strategy, rule.target_user, rule.target_team) == ("user", rep, None)
    big_us = LeadFactory(country="US", industry="software", employees=900)
    small = LeadFactory(country="US", industry="software", employees=20)
    assert routing_decide(lead=big_us, handoff=people.sales_pair).assignee == rep.username
    assert routing_decide(lead=small, handoff=people.sales_pair).fallback is True


@pytest.mark.parametrize(
    "change",
    [
        {"handoff": "qi_qia", "target_team": None},  # a handoff Inside receives
        {"target_team": "inside"},  # routing to another team's queue
    ],
)
def test_a_manager_may_not_route_another_team_s_handoff_or_to_another_team(as_who, people, change):
    if change.get("target_team") == "inside":
        change = {"target_team": str(people.teams["inside"].pk)}

    response = as_who(Role.MANAGER).post(ROUTING_NEW, _rule_data(people, **change))

    assert response.status_code == 400
    assert not RoutingRule.objects.filter(name="Big US accounts").exists()


def test_a_manager_cannot_reach_another_team_s_rule_by_id(as_who, people):
    rule = RoutingRule.objects.get(handoff=people.inside_pair)
    client = as_who(Role.MANAGER)

    edit = client.post(
        reverse("configuration:routing-rule", args=[rule.pk]),
        _rule_data(people, handoff=None, name="Taken over"),
    )
    move = client.post(
        reverse("configuration:routing-rule-move", args=[rule.pk]), {"direction": "up"}
    )

    assert (edit.status_code, move.status_code) == (404, 404)
    rule.refresh_from_db()
    assert rule.name != "Taken over"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"strategy": "user", "target_user": ""}, "target_user", str(NEEDS_USER)),
        ({"employees_min": "900", "employees_max": "10"}, "employees_min", str(LOW_ABOVE_HIGH)),
        ({"countries": "USA"}, "countries", COUNTRY_CODE.format(code="USA")),
        ({"name": ""}, "name", None),
        ({"strategy": "telepathy"}, "strategy", None),
    ],
)
def test_a_bad_routing_rule_re_shows_the_form_and_changes_nothing(
    as_who, people, change, field, message
):
    count = RoutingRule.objects.count()

    response = as_who(Role.ADMIN).post(ROUTING_NEW, _rule_data(people, **change))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    if message:
        assert message in errors[field]
    assert 'value="Software"' in response.content.decode()  # the input kept
    assert RoutingRule.objects.count() == count


def test_editing_a_rule_deactivates_it_and_records_the_change(as_who, people):
    rule = RoutingRule.objects.get(handoff=people.sales_pair)
    url = reverse("configuration:routing-rule", args=[rule.pk])
    data = _rule_data(
        people, handoff=None, name=rule.name, active=None, countries="", industries=""
    )
    data["employees_min"] = ""

    response = as_who(Role.MANAGER).post(url, data)

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.active is False
    entry = _trail(RoutingRule, action=LogEntry.Action.UPDATE).get()
    assert entry.actor == people.who[Role.MANAGER]
    assert entry.changes_dict["active"] == ["True", "False"]


def test_the_edit_form_shows_the_rule_as_it_is(as_who, people):
    rule = RoutingRuleFactory(name="Germany", countries=["DE", "AT"], position=50)

    page = as_who(Role.ADMIN).get(reverse("configuration:routing-rule", args=[rule.pk]))

    assert 'value="DE, AT"' in page.content.decode()


def test_moving_a_rule_up_changes_which_rule_is_tried_first(as_who, people):
    first = RoutingRule.objects.get(handoff=people.sales_pair)
    second = RoutingRuleFactory(name="Second", position=first.position + 10)

    response = as_who(Role.ADMIN).post(
        reverse("configuration:routing-rule-move", args=[second.pk]), {"direction": "up"}
    )

    assert response.status_code == 302
    order = list(
        RoutingRule.objects.filter(handoff=people.sales_pair)
        .order_by("position", "id")
        .values_list("name", flat=True)
    )
    assert order == ["Second", first.name]


def test_moving_the_first_rule_up_is_refused_and_changes_nothing(as_who, people):
    first = RoutingRule.objects.get(handoff=people.sales_pair)
    RoutingRuleFactory(name="Second", position=first.position + 10)

    response = as_who(Role.ADMIN).post(
        reverse("configuration:routing-rule-move", args=[first.pk]),
        {"direction": "up"},
        follow=True,
    )

    assert "first already" in response.content.decode()
    first.refresh_from_db()
    assert first.position == 100


@pytest.mark.parametrize("who", [Role.MARKETING, Role.SALES, Role.INSIDE, Role.INTEGRATION])
def test_roles_that_may_only_read_rules_cannot_write_them(as_who, people, who):
    rule = RoutingRule.objects.get(handoff=people.sales_pair)
    client = as_who(who)

    posts = [
        client.post(ROUTING_NEW, _rule_data(people)),
        client.post(reverse("configuration:routing-rule", args=[rule.pk]), _rule_data(people)),
        client.post(reverse("configuration:routing-rule-move", args=[rule.pk]), {}),
    ]

    assert [p.status_code for p in posts] == [403, 403, 403]
    assert RoutingRule.objects.count() == 2
    rule.refresh_from_db()
    assert (rule.name, rule.active) == (f"Everyone in {people.teams['sales']}, by weight", True)


def test_trying_a_rule_on_a_lead_shows_the_decision_and_writes_nothing(as_who, people):
    rep = people.who[Role.SALES]  # the only rep in sales: the rotation's one member
    lead = LeadFactory(country="US", company="Acme")
    rule = RoutingRule.objects.get(handoff=people.sales_pair)
    clock = rule.virtual_time

    response = as_who(Role.MARKETING).get(ROUTING_TRY, {"lead": lead.pk, "handoff": "mql_sal"})

    assert response.status_code == 200
    decision = response.context["decision"]
    assert decision["assignee"] == rep.username and decision["rule"]["id"] == rule.pk
    page = response.content.decode()
    assert response.context["explanation"] in page and rep.username in page
    rule.refresh_from_db()
    assert rule.virtual_time == clock
    assert not Offer.objects.exists() and not RotationState.objects.exists()


def test_trying_a_lead_the_user_may_not_see_is_not_found(as_who, people):
    # An inside qualifier's lead: outside the sales manager's sight.
    owner = UserFactory(username="cfg_inside_owner", role=Role.INSIDE, team=people.teams["inside"])
    lead = LeadFactory(owner=owner, team=people.teams["inside"])

    response = as_who(Role.MANAGER).get(ROUTING_TRY, {"lead": lead.pk, "handoff": "mql_sal"})

    assert response.status_code == 404
    assert response.context["decision"] is None
    assert f"No lead #{lead.pk}" in response.content.decode()


def test_a_lead_is_found_by_words_among_those_the_user_may_see(as_who, people):
    LeadFactory(company="Zebra Widgets", email="zed@zebra.example")
    LeadFactory(company="Other Corp")

    response = as_who(Role.ADMIN).get(ROUTING_TRY, {"q": "zebra", "handoff": "mql_sal"})

    assert response.status_code == 200
    assert [lead.company for lead in response.context["found"]] == ["Zebra Widgets"]


# --- API tokens ---------------------------------------------------------------------------------


def _create_token(client, user, **data):
    return client.post(reverse("configuration:token-create", args=[user.pk]), data)


@pytest.mark.parametrize("who", list(Role.values))
def test_each_user_makes_their_own_token_shown_once(as_who, people, who):
    user = people.who[who]
    client = as_who(who)

    made = _create_token(client, user)

    assert made.status_code == 201
    token = Token.objects.get(user=user)
    assert made.content.decode().count(token.key) == 1
    assert made["Cache-Control"].startswith("max-age=0")
    later = client.get(TOKENS).content.decode()
    assert token.key not in later and "Made on" in later
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/teams/").status_code == 200  # it works


def test_making_a_token_when_one_exists_asks_then_replaces_it(as_who, people):
    user = people.who[Role.SALES]
    client = as_who(Role.SALES)
    _create_token(client, user)
    old = Token.objects.get(user=user).key

    asked = _create_token(client, user)
    assert asked.status_code == 409
    assert Token.objects.get(user=user).key == old and old not in asked.content.decode()

    replaced = _create_token(client, user, replace="1")
    assert replaced.status_code == 201
    new = Token.objects.get(user=user).key
    assert new != old and new in replaced.content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert api.get("/api/v1/teams/").status_code == 401  # the old one stopped working


def test_revoking_a_token_stops_it(as_who, people):
    user = people.who[Role.MARKETING]
    client = as_who(Role.MARKETING)
    _create_token(client, user)

    response = client.post(reverse("configuration:token-revoke", args=[user.pk]))

    assert response.status_code == 302
    assert not Token.objects.filter(user=user).exists()


def test_an_admin_makes_and_revokes_an_integration_user_s_token(as_who, people):
    client = as_who(Role.ADMIN)
    integration = people.other_integration

    made = _create_token(client, integration)
    key = Token.objects.get(user=integration).key
    page = client.get(TOKENS).content.decode()
    revoked = client.post(reverse("configuration:token-revoke", args=[integration.pk]))

    assert made.status_code == 201 and key in made.content.decode()
    assert integration.username in page and key not in page
    assert revoked.status_code == 302
    assert not Token.objects.filter(user=integration).exists()


@pytest.mark.parametrize(
    ("who", "holder"),
    [
        (Role.SALES, Role.MARKETING),  # another user's token
        (Role.INTEGRATION, "other_integration"),
        (Role.MANAGER, Role.SALES),
        (Role.ADMIN, Role.MARKETING),  # admins manage integration users' tokens, not everyone's
    ],
)
def test_another_user_s_token_is_not_found(as_who, people, who, holder):
    target = people.other_integration if holder == "other_integration" else people.who[holder]
    existing = Token.objects.create(user=target)
    client = as_who(who)

    made = _create_token(client, target, replace="1")
    revoked = client.post(reverse("configuration:token-revoke", args=[target.pk]))

    assert (made.status_code, revoked.status_code) == (404, 404)
    assert Token.objects.get(user=target).key == existing.key


def test_a_token_never_reaches_the_audit_trail(as_who, people):
    _create_token(as_who(Role.ADMIN), people.who[Role.ADMIN])
    key = Token.objects.get().key

    assert not LogEntry.objects.filter(changes_text__contains=key).exists()
    assert not LogEntry.objects.filter(changes__icontains=key).exists()


def test_signed_out_token_writes_go_to_the_login_page(client, people):
    user = people.who[Role.SALES]

    made = _create_token(client, user)

    assert made.status_code == 302 and not Token.objects.exists()


# --- webhooks -----------------------------------------------------------------------------------


HOOK = {"url": "https://crm.example.com/leadflow", "events": ["lead.created"], "active": "on"}


def test_an_integration_adds_a_webhook_and_sees_its_secret_once(as_who, people):
    client = as_who(Role.INTEGRATION)

    made = client.post(WEBHOOKS, {**HOOK, "description": "CRM"})

    assert made.status_code == 201
    hook = WebhookSubscription.objects.get()
    assert (hook.url, hook.events, hook.owner) == (
        HOOK["url"],
        ["lead.created"],
        people.who[Role.INTEGRATION],
    )
    assert made.content.decode().count(hook.secret) == 1
    for url in (WEBHOOKS, reverse("configuration:webhook", args=[hook.pk])):
        assert hook.secret not in client.get(url).content.decode()
    entry = _trail(WebhookSubscription).get()
    assert entry.actor == people.who[Role.INTEGRATION]
    assert hook.secret not in entry.changes_text + str(entry.changes)


def test_a_private_address_is_refused_on_the_form(as_who, people, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False

    response = as_who(Role.ADMIN).post(WEBHOOKS, {**HOOK, "url": "http://127.0.0.1:8000/x"})

    assert response.status_code == 400
    [error] = response.context["form"].errors["url"]
    assert "127.0.0.1" in error and "public addresses only" in error
    assert 'value="http://127.0.0.1:8000/x"' in response.content.decode()
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [({"url": "not a url at all"}, "url"), ({"events": ["lead.exploded"]}, "events")],
)
def test_a_bad_webhook_re_shows_the_form_and_changes_nothing(as_who, people, change, field):
    response = as_who(Role.ADMIN).post(WEBHOOKS, {**HOOK, **change})

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not WebhookSubscription.objects.exists()


def test_editing_a_webhook_changes_its_url_events_and_active_flag(as_who, people):
    hook = WebhookSubscriptionFactory(owner=people.who[Role.INTEGRATION], events=[])
    secret = hook.secret

    response = as_who(Role.INTEGRATION).post(
        reverse("configuration:webhook", args=[hook.pk]),
        {"url": "https://new.example.com/in", "events": ["offer.accepted", "lead.created"]},
    )

    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.url, hook.events, hook.active, hook.secret) == (
        "https://new.example.com/in",
        ["offer.accepted", "lead.created"],
        False,
        secret,
    )
    entry = _trail(WebhookSubscription, action=LogEntry.Action.UPDATE).get()
    assert entry.changes_dict["url"][1] == "https://new.example.com/in"


def test_rotating_a_secret_shows_the_new_one_once(as_who, people):
    hook = WebhookSubscriptionFactory(owner=people.who[Role.INTEGRATION])
    old = hook.secret
    client = as_who(Role.INTEGRATION)

    response = client.post(reverse("configuration:webhook-rotate", args=[hook.pk]))

    hook.refresh_from_db()
    assert response.status_code == 200 and hook.secret != old
    assert (
        response.content.decode().count(hook.secret) == 1 and old not in response.content.decode()
    )
    assert (
        hook.secret
        not in client.get(reverse("configuration:webhook", args=[hook.pk])).content.decode()
    )


def test_deleting_a_webhook_removes_it(as_who, people):
    hook = WebhookSubscriptionFactory(owner=people.who[Role.INTEGRATION])

    response = as_who(Role.ADMIN).post(reverse("configuration:webhook-delete", args=[hook.pk]))

    assert response.status_code == 302
    assert not WebhookSubscription.objects.exists()


def test_the_edit_page_lists_the_last_deliveries_with_their_status(as_who, people):
    hook = WebhookSubscriptionFactory(owner=people.who[Role.INTEGRATION])
    WebhookDelivery.objects.create(
        subscription=hook, event=EventFactory(), status=DeliveryStatus.DEAD, attempts=12,
        last_status_code=503,
    )  # fmt: skip

    page = as_who(Role.INTEGRATION).get(reverse("configuration:webhook", args=[hook.pk]))

    body = page.content.decode()
    assert "Dead-lettered" in body and "HTTP 503" in body


def test_another_integration_s_webhook_is_not_found_and_unchanged(as_who, people):
    hook = WebhookSubscriptionFactory(owner=people.other_integration)
    secret, url = hook.secret, hook.url
    client = as_who(Role.INTEGRATION)

    answers = [
        client.get(reverse("configuration:webhook", args=[hook.pk])).status_code,
        client.post(reverse("configuration:webhook", args=[hook.pk]), HOOK).status_code,
        client.post(reverse("configuration:webhook-rotate", args=[hook.pk])).status_code,
        client.post(reverse("configuration:webhook-delete", args=[hook.pk])).status_code,
    ]

    assert answers == [404, 404, 404, 404]
    hook.refresh_from_db()
    assert (hook.secret, hook.url) == (secret, url)
    assert hook.url not in client.get(WEBHOOKS).content.decode()


@pytest.mark.parametrize("who", [Role.MARKETING, Role.MANAGER, Role.SALES, Role.INSIDE])
def test_roles_without_webhooks_cannot_write_them(as_who, people, who):
    hook = WebhookSubscriptionFactory(owner=people.who[Role.INTEGRATION])
    client = as_who(who)

    answers = [
        client.post(WEBHOOKS, HOOK).status_code,
        client.post(reverse("configuration:webhook-rotate", args=[hook.pk])).status_code,
        client.post(reverse("configuration:webhook-delete", args=[hook.pk])).status_code,
    ]

    assert answers == [403, 403, 403]
    assert WebhookSubscription.objects.count() == 1


# --- query counts of the list pages ----------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 8])
def test_list_pages_run_a_fixed_number_of_queries(
    as_who, people, django_assert_max_num_queries, rows
):
    """The same bound with 1 and with 8 rows of each: no query per row."""
    for n in range(rows):
        ScoringRule.objects.create(name=f"Rule {n}", kind="form", points=n + 1)
        rule = RoutingRuleFactory(name=f"Rule {n}", position=200 + n, countries=["US"])
        rule.campaigns.add(Campaign.objects.create(name=f"Campaign {n}"))
        WebhookSubscriptionFactory(owner=people.who[Role.INTEGRATION])
        HandoffTarget.objects.create(
            handoff=people.sales_pair,
            rate=Decimal("0.5"),
            effective_from=datetime.date(2024, 1, 1) + datetime.timedelta(days=n),
            created_by=people.who[Role.MARKETING],
        )
        UserFactory(username=f"cfg_bot_{n}", role=Role.INTEGRATION)
    client = as_who(Role.ADMIN)
    # The routing page: its try form's handoff select asks for its first choice (Select.
    # use_required_attribute) as well as its options.
    bounds = {HANDOFFS: 9, SCORING: 5, ROUTING: 10, WEBHOOKS: 5, TOKENS: 5}
    for url, bound in bounds.items():
        with django_assert_max_num_queries(bound):
            assert client.get(url).status_code == 200
