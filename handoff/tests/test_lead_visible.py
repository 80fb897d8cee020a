"""Which leads a manager sees (handoff.selectors.lead_visible): their team's, their members',
and those whose pending offer waits in their team's queue or with one of their members; not
a lead another team holds, nor one whose offer to them was decided."""

import pytest

from funnel.models import HandoffPair, Role, Team
from funnel.tests.factories import UserFactory
from handoff.models import Lead, Offer, OfferStatus
from handoff.selectors import lead_visible
from handoff.services.leads import lead_create

pytestmark = pytest.mark.django_db


def _lead(name: str, **fields) -> Lead:
    lead = lead_create(actor=None, stage="inquiry", email=f"{name}@example.com")
    Lead.objects.filter(pk=lead.pk).update(**fields)
    return lead


def test_a_manager_sees_each_way_a_lead_belongs_to_the_team(sales_team):
    team, manager, (rep_a, rep_b) = sales_team
    inside = Team.objects.get(key="inside")
    outsider = UserFactory(username="inside_rep", role=Role.INSIDE, team=inside)
    pair = HandoffPair.objects.get(key="mql_sal")
    team_lead = _lead("team", team=team)
    _lead("member", owner=rep_a)
    queued = _lead("queued", team=inside)
    Offer.objects.create(handoff=pair, lead=queued, status=OfferStatus.PENDING, queue=team)
    assigned = _lead("assigned", owner=outsider, team=inside)
    Offer.objects.create(handoff=pair, lead=assigned, status=OfferStatus.PENDING, assignee=rep_b)
    decided = _lead("decided", owner=outsider, team=inside)
    Offer.objects.create(handoff=pair, lead=decided, status=OfferStatus.REJECTED, queue=team)
    _lead("elsewhere", owner=outsider, team=inside)
    merged = _lead("merged", team=team, merged_into=team_lead)

    seen = set(lead_visible(manager).values_list("email", flat=True))

    assert seen == {f"{n}@example.com" for n in ("team", "member", "queued", "assigned")}
    assert merged.email not in seen
    # A rep sees their own lead and the team queue's unassigned offer, not the team's others.
    rep_sees = set(lead_visible(rep_a).values_list("email", flat=True))
    assert rep_sees == {"member@example.com", "queued@example.com"}
