"""The query count of each hot page and endpoint, pinned: the rep's queue, the lead list and
detail, accept (API and page), the event feed. Each is measured at two sizes where the size could
matter, so an N+1 fails here whatever the pinned figure."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from funnel.models import Role
from funnel.tests.factories import UserFactory
from handoff.models import Lead, Offer, OfferStatus, RoutingRule, RoutingStrategy
from handoff.services.leads import lead_create
from handoff.services.offers import offer_accept, offer_route
from handoff.services.work import touch_log
from handoff.views.queue import QUEUE_PAGE_SIZE

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def rep(sales_team):
    """A rep who gets every MQL → SAL offer."""
    rep = sales_team[2][0]
    RoutingRule.objects.filter(handoff__key="mql_sal").update(
        strategy=RoutingStrategy.USER, target_user=rep, target_team=None
    )
    return rep


def _offers(rep, count: int, *, accepted: int = 0) -> list[Offer]:
    """`count` offers routed to `rep`, the first `accepted` of them accepted (and touched once)."""
    start = Lead.objects.count()
    offers = []
    for n in range(start, start + count):
        lead = lead_create(actor=None, stage="mql", email=f"q{n}@acme.com", first_name=f"Q{n}")
        offers.append(offer_route(offer_id=Offer.objects.get(lead=lead).pk))
    for offer in offers[:accepted]:
        offer_accept(offer=offer, actor=rep)
        touch_log(lead=Lead.objects.get(pk=offer.lead_id), actor=rep, kind="call")
    assert {o.assignee_id for o in offers} == {rep.pk}
    return offers


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = fn()
    assert response.status_code in (200, 201), response.content[:500]
    return len(queries)


# --- the queue page ------------------------------------------------------------------------


def test_the_queue_page_costs_the_same_with_6_or_60_offers(client, rep):
    # Given a rep with 3 offers waiting and 3 leads held, then 30 of each
    client.force_login(rep)
    _offers(rep, 6, accepted=3)
    small = _queries(lambda: client.get(reverse("handoff:queue")))
    _offers(rep, 54, accepted=27)

    # When they load the page
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("handoff:queue"))

    # Then it costs the same: the session, the user, a count and a page of each list, the
    # funnel's stages and moves (the dispositions each card offers), the forms' reasons, the
    # header's unread count; and it shows a page of each list, not all 60
    assert len(queries) == small == 10
    assert response.text.count('<article class="card') == 2 * QUEUE_PAGE_SIZE


def test_the_queue_refresh_of_a_later_page_costs_the_same_with_6_or_60_offers(client, rep):
    client.force_login(rep)
    _offers(rep, 6, accepted=3)
    url = reverse("handoff:queue") + "?waiting_page=2&held_page=2"
    small = _queries(lambda: client.get(url, **HTMX))
    _offers(rep, 54, accepted=27)

    assert _queries(lambda: client.get(url, **HTMX)) == small == 9


def test_accepting_on_the_queue_page_of_60_offers(client, rep, django_assert_max_num_queries):
    client.force_login(rep)
    offer, *_ = _offers(rep, 30, accepted=0)
    _offers(rep, 30, accepted=30)
    url = reverse("handoff:offer-action", args=[offer.pk, "accept"])

    # The accept itself (locks, the move, the offer, its clocks, two events), then the page
    # (10 queries, as a GET).
    with django_assert_max_num_queries(32):
        response = client.post(url, **HTMX)

    assert "Accepted" in response.text


# --- the lead resource ---------------------------------------------------------------------


def test_the_lead_list_costs_the_same_with_6_or_60_leads(rep):
    api = _api(rep)
    _offers(rep, 6, accepted=3)
    small = _queries(lambda: api.get("/api/v1/leads/"))
    _offers(rep, 54, accepted=27)

    # The count, a page of leads, their current offers.
    assert _queries(lambda: api.get("/api/v1/leads/")) == small == 3


def test_the_lead_detail(rep, django_assert_max_num_queries):
    offer, *_ = _offers(rep, 2, accepted=1)

    with django_assert_max_num_queries(2):  # the lead, its current offer
        response = _api(rep).get(f"/api/v1/leads/{offer.lead_id}/")

    assert response.json()["current_offer"]["status"] == "accepted"


def test_accepting_through_the_api(rep, django_assert_max_num_queries):
    offer, *_ = _offers(rep, 3)

    # 27: the view runs in one transaction with its answer, so the services add a savepoint pair.
    with django_assert_max_num_queries(27):
        response = _api(rep).post(f"/api/v1/leads/{offer.lead_id}/accept/", {})

    assert response.status_code == 200
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.ACCEPTED


# --- the event feed ------------------------------------------------------------------------


def test_the_event_feed_costs_the_same_with_few_or_many_events(rep):
    api = _api(UserFactory(username="feed_reader", role=Role.INTEGRATION))
    _offers(rep, 2, accepted=1)
    small = _queries(lambda: api.get("/api/v1/events/"))
    _offers(rep, 30, accepted=15)

    # Numbering what committed (integrations.events), the count, the page.
    assert _queries(lambda: api.get("/api/v1/events/")) == small <= 8
