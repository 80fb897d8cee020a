"""A rep claims a queued offer while the manager assigns it, each on their own connection:
exactly one wins, the other is refused with a conflict, whichever locks the offer first."""

import pytest

from funnel.models import Role, Team
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from handoff.models import Offer, OfferHolding, RoutingRule
from handoff.services.leads import lead_create
from handoff.services.offers import OfferConflict, offer_assign, offer_claim, offer_route
from handoff.services.setup import handoff_setup_defaults
from handoff.tests.races import at_once

TRIES = 10


@pytest.mark.django_db(transaction=True)
def test_a_claim_and_an_assignment_at_once_are_one_success_and_one_conflict(
    sla_enqueues, dispatches
):
    funnel_setup_defaults()
    handoff_setup_defaults()
    team = Team.objects.get(key="sales")
    manager = UserFactory(username="race_manager", role=Role.MANAGER, team=team)
    team.manager = manager
    team.save(update_fields=["manager"])
    rep, other = (UserFactory(username=f"race_{n}", role=Role.SALES, team=team) for n in "ab")
    RoutingRule.objects.all().update(strategy="queue", target_team=team)

    for n in range(TRIES):
        lead = lead_create(actor=None, stage="mql", email=f"race{n}@acme.com")
        # Both read the queued offer, as both their pages showed it.
        queued = offer_route(offer_id=Offer.objects.get(lead=lead, status="pending").pk)
        assert (queued.assignee_id, queued.queue_id) == (None, team.pk)
        mine = Offer.objects.get(pk=queued.pk)
        theirs = Offer.objects.get(pk=queued.pk)

        outcomes = at_once(
            lambda o=mine: offer_claim(offer=o, actor=rep),
            lambda o=theirs: offer_assign(offer=o, actor=manager, assignee=other),
            timeout=30,
        )

        winners = [o for o in outcomes if isinstance(o, Offer)]
        refused = [o for o in outcomes if isinstance(o, OfferConflict)]
        assert (len(winners), len(refused)) == (1, 1), (n, outcomes)
        assert refused[0].status == 409
        offer = Offer.objects.get(pk=queued.pk)
        assert offer.assignee_id == winners[0].assignee_id
        # One holding by routing, one by whoever won.
        assert OfferHolding.objects.filter(offer=offer).count() == 2
