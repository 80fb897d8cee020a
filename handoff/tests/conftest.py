import pytest

from funnel.models import Role, Team
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from handoff.services.setup import handoff_setup_defaults


@pytest.fixture
def handoffs(db):
    """The default funnel with its default SLA agreements and routing rules."""
    funnel_setup_defaults()
    handoff_setup_defaults()


@pytest.fixture
def sales_team(handoffs):
    """The sales team with a manager and two reps: (team, manager, [rep_a, rep_b])."""
    team = Team.objects.get(key="sales")
    manager = UserFactory(username="sales_manager", role=Role.MANAGER, team=team)
    team.manager = manager
    team.save()
    reps = [UserFactory(username=f"rep_{n}", role=Role.SALES, team=team) for n in "ab"]
    return team, manager, reps
