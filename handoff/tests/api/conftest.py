"""People of every role and leads built through the real services, for the API tests."""

from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from funnel.models import Role, Team
from funnel.tests.factories import UserFactory
from handoff.models import Lead, Offer, OfferStatus
from handoff.services.leads import lead_create, lead_transition
from handoff.services.offers import offer_accept, offer_route


@pytest.fixture
def client_for():
    """An API client signed in as `user`; None gives an anonymous one."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def people(handoffs):
    """One person per role. Sales: a manager and two reps (the rotation routes to rep_a first);
    inside: a qualifier, the only member of its rotation."""
    teams = {team.key: team for team in Team.objects.all()}
    sales_manager = UserFactory(
        username="api_sales_manager", role=Role.MANAGER, team=teams["sales"]
    )
    Team.objects.filter(pk=teams["sales"].pk).update(manager=sales_manager)
    return SimpleNamespace(
        teams=teams,
        admin=UserFactory(username="api_admin", role=Role.ADMIN),
        superuser=UserFactory(
            username="api_root", role=Role.SALES, is_superuser=True, is_staff=True
        ),
        marketer=UserFactory(username="api_marketer", role=Role.MARKETING, team=teams["marketing"]),
        integration=UserFactory(username="api_map", role=Role.INTEGRATION),
        inside=UserFactory(username="api_inside", role=Role.INSIDE, team=teams["inside"]),
        manager=sales_manager,
        rep_a=UserFactory(username="api_rep_a", role=Role.SALES, team=teams["sales"]),
        rep_b=UserFactory(username="api_rep_b", role=Role.SALES, team=teams["sales"]),
    )


def route(lead: Lead) -> Offer:
    """Route the lead's pending offer, as the worker does after commit."""
    return offer_route(offer_id=Offer.objects.get(lead=lead, status=OfferStatus.PENDING).pk)


def offered_lead(email: str = "buyer@acme.com", **fields) -> Lead:
    """A demo request: a new MQL, offered to sales and routed (to api_rep_a, first in line)."""
    lead = lead_create(actor=None, stage="mql", email=email, **fields)
    route(lead)
    return Lead.objects.get(pk=lead.pk)


@pytest.fixture
def worked_lead(people):
    """A lead the way the funnel makes one: marketing offers it to inside (QI), the qualifier
    accepts it (QIA, owner) and passes it on as an MQL, offered to sales and routed to rep_a.

    Every role has a stake in it: the qualifier owns it, rep_a holds its pending offer, the
    sales manager receives it, marketing, integrations and admins see all leads.
    """
    lead = lead_create(actor=people.marketer, stage="qi", email="worked@acme.com")
    offer_accept(offer=route(lead), actor=people.inside)
    lead_transition(lead=Lead.objects.get(pk=lead.pk), to="mql", actor=people.inside)
    offer = route(lead)
    assert (offer.assignee, offer.handoff.key) == (people.rep_a, "mql_sal")
    return Lead.objects.get(pk=lead.pk)


@pytest.fixture
def hidden_leads(people, worked_lead):
    """Leads some users may not see: a new inquiry (marketing's alone), and a duplicate merged
    into the worked lead (no one's: merged leads are read through their survivor)."""
    inquiry = lead_create(actor=people.marketer, stage="inquiry", email="inquiry@acme.com")
    merged = lead_create(actor=people.marketer, stage="inquiry", email="merged@acme.com")
    # Marked merged directly: only the marking matters here, not what a merge moves.
    Lead.objects.filter(pk=merged.pk).update(merged_into=worked_lead, merged_at=timezone.now())
    return SimpleNamespace(inquiry=inquiry, merged=merged)
