"""The lead page, my pipeline and hot leads: what each shows, the actions each offers, and that
nobody sees a lead that is not theirs to see."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from funnel.models import Role, Team
from funnel.tests.factories import UserFactory
from handoff.models import Activity, Disposition, Lead, Offer, OfferStatus
from handoff.services.leads import lead_create
from handoff.services.offers import offer_accept, offer_route
from handoff.services.work import DISPOSITION_NOT_POSSIBLE, activity_record, lead_disposition

HTMX = {"HTTP_HX_REQUEST": "true"}


def _routed(email: str, stage: str = "mql", **fields) -> Offer:
    lead = lead_create(actor=None, stage=stage, email=email, **fields)
    return offer_route(offer_id=Offer.objects.get(lead=lead).pk)


def _act(client, lead, action, target="lead", **data):
    url = reverse("handoff:lead-action", args=[lead.pk, action])
    return client.post(url, data, HTTP_HX_TARGET=target, **HTMX)


@pytest.fixture
def held(sales_team):
    """A lead its rep accepted and qualified: in SQL, still theirs, with no open offer."""
    offer = _routed("sql@acme.com", first_name="Sam", company="Acme")
    offer_accept(offer=offer, actor=offer.assignee)
    lead_disposition(lead=offer.lead, actor=offer.assignee, disposition="qualified")
    lead = Lead.objects.get(pk=offer.lead_id)
    assert lead.stage.key == "sql" and not Offer.objects.current().filter(lead=lead).exists()
    return lead


def test_a_qualified_lead_stays_in_the_pipeline_and_is_won_there(client, held):
    client.force_login(held.owner)

    page = client.get(reverse("handoff:pipeline"))
    assert page.status_code == 200
    assert f'id="lead-{held.pk}"' in page.text and "SQL" in page.text

    won = _act(client, held, "disposition", target="pipeline", disposition="won", amount="5000")

    assert won.status_code == 200
    assert "won, now in Won" in won.text  # the confirmation, where the card was
    assert f'id="lead-{held.pk}"' not in won.text
    held.refresh_from_db()
    assert held.stage.key == "won"
    assert Disposition.objects.get(lead=held, kind="won").amount == 5000


def test_the_pipeline_is_by_the_deadline_that_applies_now(client, sales_team):
    _, _, (rep, _) = sales_team
    late, early = _routed("late@acme.com"), _routed("early@acme.com")
    for offer in (late, early):
        Offer.objects.filter(pk=offer.pk).update(assignee=rep)
        offer.refresh_from_db()
        offer_accept(offer=offer, actor=rep)
    now = timezone.now()
    Offer.objects.filter(pk=late.pk).update(first_touch_due_at=now + datetime.timedelta(days=3))
    Offer.objects.filter(pk=early.pk).update(first_touch_due_at=now + datetime.timedelta(hours=1))
    client.force_login(rep)

    text = client.get(reverse("handoff:pipeline")).text

    assert text.index(f'id="lead-{early.lead_id}"') < text.index(f'id="lead-{late.lead_id}"')


def test_a_qualifier_is_offered_only_what_their_stage_allows_and_a_refusal_names_it(
    client, handoffs
):
    # Given a QIA lead accepted by an inside qualifier
    inside = Team.objects.get(key="inside")
    qualifier = UserFactory(username="quinn", role=Role.INSIDE, team=inside)
    offer = _routed("qia@acme.com", stage="qi")
    Offer.objects.filter(pk=offer.pk).update(assignee=qualifier)
    offer.refresh_from_db()
    offer_accept(offer=offer, actor=qualifier)
    client.force_login(qualifier)
    lead = Lead.objects.get(pk=offer.lead_id)

    # Then the page offers qualified, recycle and junk, not won or lost
    page = client.get(reverse("handoff:lead", args=[lead.pk]))
    assert 'value="qualified"' in page.text and 'value="junk"' in page.text
    assert 'value="won"' not in page.text and 'value="lost"' not in page.text

    # And a won posted anyway is a message naming the lead's own stage, not a 500
    response = _act(client, lead, "disposition", disposition="won", amount="10")
    assert response.status_code == 200
    assert DISPOSITION_NOT_POSSIBLE.format(disposition="Won", stage=lead.stage) in response.text
    assert Lead.objects.get(pk=lead.pk).stage.key == "qia"


def test_a_failed_form_keeps_what_the_user_entered(client, sales_team):
    offer = _routed("keep@acme.com")
    client.force_login(offer.assignee)
    lead = offer.lead

    response = _act(client, lead, "reject", reason="reject:not_icp", note="x" * 2001)

    assert response.status_code == 200
    assert "Note: Ensure this value has at most 2000 characters" in response.text
    assert '<option value="reject:not_icp" data-purpose="reject" selected>' in response.text or (
        'value="reject:not_icp" selected' in response.text
    )
    assert 'value="' + "x" * 2001 + '"' in response.text
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.PENDING


def test_the_lead_page_tells_the_whole_story(client, sales_team):
    offer = _routed("story@acme.com", first_name="Stella", company="Acme")
    activity_record(
        lead=offer.lead, kind="page_visit", at=timezone.now(), detail={"url": "/pricing"}
    )
    client.force_login(offer.assignee)

    text = client.get(reverse("handoff:lead", args=[offer.lead_id])).text

    assert "Stella" in text and "Acme" in text
    assert f"Why it went to {offer.assignee.username}" in text  # the routing decision
    assert "Moved to <strong>Marketing Qualified Lead</strong>" in text
    assert "/pricing" in text
    assert "SLA clocks running" in text
    assert "Accept" in text and "Reject" in text  # what the assignee may do now


def test_another_rep_gets_404_on_the_lead_page_and_its_actions(client, sales_team):
    offer = _routed("private@acme.com")
    other = next(rep for rep in sales_team[2] if rep != offer.assignee)
    client.force_login(other)

    assert client.get(reverse("handoff:lead", args=[offer.lead_id])).status_code == 404
    assert _act(client, offer.lead, "accept").status_code == 404
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.PENDING


def test_a_manager_hands_a_waiting_lead_to_another_rep_from_its_page(client, sales_team):
    _, manager, reps = sales_team
    offer = _routed("handed@acme.com")
    other = next(rep for rep in reps if rep != offer.assignee)
    client.force_login(manager)

    page = client.get(reverse("handoff:lead", args=[offer.lead_id]))
    assert "Assign to" in page.text
    response = _act(client, offer.lead, "assign", assignee=other.pk)

    assert f"handed to {other}" in response.text
    assert Offer.objects.get(pk=offer.pk).assignee == other


def test_a_rep_does_not_get_the_assign_form(client, sales_team):
    offer = _routed("noassign@acme.com")
    client.force_login(offer.assignee)

    assert "Assign to" not in client.get(reverse("handoff:lead", args=[offer.lead_id])).text
    response = _act(client, offer.lead, "assign", assignee=offer.assignee.pk)
    assert response.status_code == 200 and "handed to" not in response.text


def test_hot_leads_come_by_recent_activity_and_stay_within_what_the_rep_may_see(client, sales_team):
    cold, hot = _routed("cold@acme.com"), _routed("hot@acme.com")
    rep = hot.assignee
    Offer.objects.filter(pk=cold.pk).update(assignee=rep)
    stranger = _routed("stranger@acme.com")
    Offer.objects.filter(pk=stranger.pk).update(assignee=next(r for r in sales_team[2] if r != rep))
    now = timezone.now()
    Activity.objects.bulk_create(
        [
            Activity(lead_id=hot.lead_id, kind="page_visit", at=now, points=30),
            Activity(lead_id=cold.lead_id, kind="page_visit", at=now, points=5),
            Activity(
                lead_id=cold.lead_id,
                kind="page_visit",
                at=now - datetime.timedelta(days=30),
                points=90,
            ),
            Activity(lead_id=stranger.lead_id, kind="page_visit", at=now, points=99),
        ]
    )
    client.force_login(rep)

    text = client.get(reverse("handoff:hot-leads")).text

    assert text.index(f'id="lead-{hot.lead_id}"') < text.index(f'id="lead-{cold.lead_id}"')
    assert "+30 points" in text
    assert f'id="lead-{stranger.lead_id}"' not in text


def test_a_touch_with_a_next_step_makes_it_the_deadline_in_the_pipeline(client, held, sales_team):
    # Given two SQL leads the rep holds (no SLA deadline any more), one hotter
    rep = held.owner
    other = _routed("other@acme.com", first_name="Olga")
    Offer.objects.filter(pk=other.pk).update(assignee=rep)
    other.refresh_from_db()
    offer_accept(offer=other, actor=rep)
    lead_disposition(lead=other.lead, actor=rep, disposition="qualified")
    Lead.objects.filter(pk=other.lead_id).update(score=99)
    client.force_login(rep)
    first = client.get(reverse("handoff:pipeline")).text
    assert first.index(f'id="lead-{other.lead_id}"') < first.index(f'id="lead-{held.pk}"')

    # When the rep logs a call on the colder one with a next step due tomorrow
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = _act(
        client,
        held,
        "touch",
        target="pipeline",
        kind="call",
        next_step="Send the quote",
        next_step_due=tomorrow,
    )

    # Then it comes first, showing the step, and its page tells it
    assert response.status_code == 200
    assert response.text.index(f'id="lead-{held.pk}"') < response.text.index(
        f'id="lead-{other.lead_id}"'
    )
    assert "Next: Send the quote" in response.text
    page = client.get(reverse("handoff:lead", args=[held.pk])).text
    assert "Next step: Send the quote" in page


def test_a_next_step_date_without_a_step_is_refused_and_kept(client, held):
    client.force_login(held.owner)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

    response = _act(
        client, held, "touch", kind="call", note="left a message", next_step_due=tomorrow
    )

    assert "Say what the next step is" in response.text
    assert 'value="left a message"' in response.text and f'value="{tomorrow}"' in response.text
    assert not held.touches.exists()
