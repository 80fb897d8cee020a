from types import SimpleNamespace

import pytest

from funnel.models import HandoffPair, Role, Team
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from handoff.models import RoutingRule
from handoff.services.setup import handoff_setup_defaults


@pytest.fixture
def handoffs(db):
    """The default funnel with its default SLA agreements and routing rules."""
    funnel_setup_defaults()
    handoff_setup_defaults()


@pytest.fixture
def marketer(db):
    """A marketer, on the default funnel."""
    funnel_setup_defaults()
    return UserFactory(username="ingest_marketer", role=Role.MARKETING)


@pytest.fixture
def ingest_rep(handoffs):
    """One sales rep, who gets every offer of the default routing rules."""
    return UserFactory(username="ingest_rep", role=Role.SALES, team=Team.objects.get(key="sales"))


@pytest.fixture
def sales_team(handoffs):
    """The sales team with a manager and two reps: (team, manager, [rep_a, rep_b])."""
    team = Team.objects.get(key="sales")
    manager = UserFactory(username="sales_manager", role=Role.MANAGER, team=team)
    team.manager = manager
    team.save()
    reps = [UserFactory(username=f"rep_{n}", role=Role.SALES, team=team) for n in "ab"]
    return team, manager, reps


@pytest.fixture
def routing_handoff(handoffs):
    """The MQL → SAL handoff: the sales team receives the offers."""
    return HandoffPair.objects.select_related("receiving_team").get(key="mql_sal")


@pytest.fixture
def routing_default_rule(routing_handoff):
    """The handoff's default rule: everyone in sales, weighted round-robin."""
    return RoutingRule.objects.get(handoff=routing_handoff)


# --- SLA tests (services/test_sla.py, services/test_agreements.py) ---------------------------


@pytest.fixture
def sla_people(db):
    """The default funnel and SLAs; each team with a manager, two sales reps, an inside rep and a
    marketer. Usernames start with sla_ so other fixtures' users never collide with these."""
    funnel_setup_defaults()
    handoff_setup_defaults()
    teams = {team.key: team for team in Team.objects.all()}
    managers = {}
    for key, team in teams.items():
        managers[key] = UserFactory(username=f"sla_{key}_manager", role=Role.MANAGER, team=team)
        team.manager = managers[key]
        team.save(update_fields=["manager"])
    return SimpleNamespace(
        teams=teams,
        managers=managers,
        reps=[
            UserFactory(username=f"sla_rep_{n}", role=Role.SALES, team=teams["sales"]) for n in "ab"
        ],
        inside_rep=UserFactory(username="sla_inside_rep", role=Role.INSIDE, team=teams["inside"]),
        marketer=UserFactory(username="sla_marketer", role=Role.MARKETING, team=teams["marketing"]),
    )


@pytest.fixture
def sla_enqueues(monkeypatch):
    """Task enqueues are recorded, not sent: transactional tests commit, and Redis is shared."""
    from handoff.tasks import notification_email_task, notifications_email_task, offer_route_task

    sent = []
    for task in (offer_route_task, notification_email_task, notifications_email_task):
        monkeypatch.setattr(
            task, "delay_on_commit", lambda *args, _name=task.name, **kwargs: sent.append(_name)
        )
    return sent
