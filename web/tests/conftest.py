from types import SimpleNamespace

import pytest

from funnel.models import Role, Team
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from handoff.models import Lead, Offer, RoutingRule, RoutingStrategy
from handoff.services.leads import lead_create
from handoff.services.offers import offer_accept, offer_route
from handoff.services.setup import handoff_setup_defaults
from handoff.services.work import touch_log
from handoff.tests.conftest import sla_enqueues  # noqa: F401  (a fixture the web tests share)


@pytest.fixture
def people(db):
    """The default funnel and SLAs; a manager for each team, two sales reps (every MQL → SAL
    offer routed to the first) and an inside qualifier. Usernames start with con_."""
    funnel_setup_defaults()
    handoff_setup_defaults()
    teams = {team.key: team for team in Team.objects.all()}
    managers = {}
    for key, team in teams.items():
        managers[key] = UserFactory(
            username=f"con_{key}_manager", role=Role.MANAGER, team=team, first_name=key.title()
        )
        team.manager = managers[key]
        team.save(update_fields=["manager"])
    reps = [
        UserFactory(
            username=f"con_rep_{n}", role=Role.SALES, team=teams["sales"], first_name=f"Rep{n}"
        )
        for n in "ab"
    ]
    RoutingRule.objects.filter(handoff__key="mql_sal").update(
        strategy=RoutingStrategy.USER, target_user=reps[0], target_team=None
    )
    return SimpleNamespace(
        teams=teams,
        managers=managers,
        manager=managers["sales"],
        reps=reps,
        qualifier=UserFactory(username="con_qualifier", role=Role.INSIDE, team=teams["inside"]),
    )


@pytest.fixture
def offers():
    """`offers(count, accepted=0)`: MQL → SAL offers routed to the first rep, the first
    `accepted` of them accepted and touched once."""

    def make(count: int, *, accepted: int = 0, prefix: str = "lead") -> list[Offer]:
        start = Lead.objects.count()
        made = []
        for n in range(start, start + count):
            lead = lead_create(
                actor=None,
                stage="mql",
                email=f"{prefix}{n}@acme.com",
                first_name="Buyer",
                last_name=f"No{n}",
                company=f"Acme {n}",
            )
            made.append(offer_route(offer_id=Offer.objects.get(lead=lead).pk))
        for offer in made[:accepted]:
            holder = offer.assignee
            offer_accept(offer=offer, actor=holder)
            touch_log(lead=Lead.objects.get(pk=offer.lead_id), actor=holder, kind="call")
        return [Offer.objects.get(pk=o.pk) for o in made]

    return make
