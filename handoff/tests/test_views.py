import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from funnel.models import Stage, StageMove
from handoff.models import Disposition, Lead, Offer, Touch
from handoff.services.leads import lead_create
from handoff.services.offers import offer_accept, offer_route
from handoff.services.work import DISPOSITION_NOT_POSSIBLE

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def offer(sales_team):
    lead = lead_create(actor=None, stage="mql", email="page@acme.com", first_name="Pia")
    return offer_route(offer_id=Offer.objects.get(lead=lead).pk)


@pytest.fixture
def rep_client(client, offer):
    client.force_login(offer.assignee)
    return client


def _act(client, offer, action, **data):
    url = reverse("handoff:offer-action", args=[offer.pk, action])
    return client.post(url, data, **HTMX)


def test_the_queue_needs_a_login(client, db):
    response = client.get(reverse("handoff:queue"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_rep_sees_the_offers_waiting_for_them_with_their_clock(client, sales_team):
    # Routed Monday 10:00 UTC on a 9-17 clock: 8 working hours end Tuesday 10:00.
    with time_machine.travel(datetime.datetime(2026, 11, 23, 10, tzinfo=datetime.UTC), tick=False):
        lead = lead_create(actor=None, stage="mql", email="clock@acme.com", first_name="Pia")
        offer = offer_route(offer_id=Offer.objects.get(lead=lead).pk)
    client.force_login(offer.assignee)

    with time_machine.travel(datetime.datetime(2026, 11, 23, 13, tzinfo=datetime.UTC), tick=False):
        soon = client.get(reverse("handoff:queue"))
    with time_machine.travel(datetime.datetime(2026, 11, 24, 11, tzinfo=datetime.UTC), tick=False):
        late = client.get(reverse("handoff:queue"))

    assert "Pia" in soon.text
    assert '<span class="due ok"' in soon.text and "accept in 21h 00m" in soon.text
    assert '<span class="due overdue"' in late.text and "accept overdue by 1h 00m" in late.text


def test_another_rep_does_not_see_it(client, offer, sales_team):
    other = next(r for r in sales_team[2] if r != offer.assignee)
    client.force_login(other)

    assert "Pia" not in client.get(reverse("handoff:queue")).text
    assert _act(client, offer, "accept").status_code == 404
    offer.refresh_from_db()
    assert offer.status == "pending"


def test_accepting_moves_the_lead_to_your_leads(rep_client, offer):
    response = _act(rep_client, offer, "accept")

    assert response.status_code == 200
    assert "Accepted" in response.text
    offer.refresh_from_db()
    assert offer.status == "accepted"
    assert Lead.objects.get(pk=offer.lead_id).stage.key == "sal"


def test_rejecting_without_a_reason_says_so_and_changes_nothing(rep_client, offer):
    response = _act(rep_client, offer, "reject", reason="", note="no")

    assert "Choose a reason to reject." in response.text
    offer.refresh_from_db()
    assert offer.status == "pending"


def test_rejecting_with_a_reason(rep_client, offer):
    _act(rep_client, offer, "reject", reason="reject:not_icp", note="too small")

    offer.refresh_from_db()
    assert (offer.status, offer.reason.code, offer.note) == ("rejected", "not_icp", "too small")


def test_a_reason_from_a_forged_form_is_refused(rep_client, offer):
    response = _act(rep_client, offer, "reject", reason="lost:price")

    assert "Select a valid choice" in response.text or "Choose a reason" in response.text
    offer.refresh_from_db()
    assert offer.status == "pending"


def test_logging_a_touch_and_a_bad_one(rep_client, offer):
    offer_accept(offer=offer, actor=offer.assignee)

    _act(rep_client, offer, "touch", kind="call", outcome="connected")
    bad = _act(rep_client, offer, "touch", kind="pigeon")

    assert "kind" in bad.text
    assert Touch.objects.filter(lead_id=offer.lead_id).count() == 1


def test_dispositions_from_the_page(rep_client, offer):
    offer_accept(offer=offer, actor=offer.assignee)

    missing = _act(rep_client, offer, "disposition", disposition="lost")
    negative = _act(rep_client, offer, "disposition", disposition="won", amount="-5")
    won = _act(rep_client, offer, "disposition", disposition="won", amount="12000")

    assert "A lost disposition needs a lost reason." in missing.text
    assert "amount" in negative.text
    assert "won" in won.text
    assert Disposition.objects.get(lead_id=offer.lead_id).amount == 12000
    assert Lead.objects.get(pk=offer.lead_id).stage.key == "won"


def test_an_unknown_action_is_not_found(rep_client, offer):
    assert _act(rep_client, offer, "delete").status_code == 404


def test_a_queued_offer_can_be_claimed_from_the_page(client, sales_team):
    from handoff.models import RoutingRule

    team, _, reps = sales_team
    RoutingRule.objects.update(strategy="queue", target_team=team)
    lead = lead_create(actor=None, stage="mql", email="queued@acme.com")
    offer = offer_route(offer_id=Offer.objects.get(lead=lead).pk)
    client.force_login(reps[1])

    assert "Claim" in client.get(reverse("handoff:queue")).text
    _act(client, offer, "claim")

    offer.refresh_from_db()
    assert offer.assignee == reps[1]


def test_a_refused_move_is_a_message_on_the_card_not_an_error_page(rep_client, offer):
    # Given a lead the rep accepted, in SAL, in a funnel where SQL no longer moves to won
    _act(rep_client, offer, "accept")
    StageMove.objects.filter(from_stage__key="sql", to_stage__key="won").delete()

    # When they record it won (through SQL)
    response = _act(rep_client, offer, "disposition", disposition="won", amount="100")

    # Then the card says why, naming the stage the lead is in, and the lead stays where it was
    assert response.status_code == 200
    refusal = DISPOSITION_NOT_POSSIBLE.format(disposition="Won", stage=Stage.objects.get(key="sal"))
    assert escape(refusal) in response.text
    assert Lead.objects.get(pk=offer.lead_id).stage.key == "sal"
    assert not Disposition.objects.exists()


def test_a_reason_on_a_disposition_that_takes_none_is_refused_on_the_card(rep_client, offer):
    _act(rep_client, offer, "accept")

    response = _act(
        rep_client, offer, "disposition", disposition="qualified", reason="recycle:not_now"
    )

    assert response.status_code == 200
    assert "A qualified disposition takes no reason." in response.text
    assert Lead.objects.get(pk=offer.lead_id).stage.key == "sal"
    assert not Disposition.objects.exists()


# --- pages of the queue ---------------------------------------------------------------------


def _routed_to(rep, count: int) -> list[Offer]:
    from handoff.models import RoutingRule, RoutingStrategy

    RoutingRule.objects.update(strategy=RoutingStrategy.USER, target_user=rep, target_team=None)
    offers = []
    for n in range(count):
        lead = lead_create(actor=None, stage="mql", email=f"paged{n}@acme.com")
        offers.append(offer_route(offer_id=Offer.objects.get(lead=lead).pk))
    return offers


def test_the_queue_shows_a_page_of_offers_and_links_to_the_next(client, sales_team):
    rep = sales_team[2][0]
    _routed_to(rep, 30)
    client.force_login(rep)

    first = client.get(reverse("handoff:queue"))
    second = client.get(reverse("handoff:queue"), {"waiting_page": 2})

    assert first.text.count('<article class="card') == 25
    assert '<span class="count">30</span>' in first.text
    assert 'href="/queue/?waiting_page=2"' in first.text and "1\N{EN DASH}25 of 30" in first.text
    assert second.text.count('<article class="card') == 5
    assert 'href="/queue/"' in second.text and "26\N{EN DASH}30 of 30" in second.text


def test_the_refresh_and_the_actions_keep_the_page_the_user_is_on(client, sales_team):
    rep = sales_team[2][0]
    offers = _routed_to(rep, 30)
    client.force_login(rep)
    page = client.get(reverse("handoff:queue"), {"waiting_page": 2}, **HTMX)
    last = next(o for o in offers if f'id="lead-{o.lead_id}"' in page.text)
    accept = reverse("handoff:offer-action", args=[last.pk, "accept"]) + "?waiting_page=2"

    answer = client.post(accept)

    assert 'hx-get="/queue/?waiting_page=2" hx-trigger="every 60s" data-idle-refresh' in page.text
    assert f'hx-post="{accept}"' in page.text
    assert answer.status_code == 302 and answer.url == "/queue/?waiting_page=2"


def test_a_page_past_the_end_shows_the_last_one(client, sales_team):
    rep = sales_team[2][0]
    _routed_to(rep, 3)
    client.force_login(rep)

    response = client.get(reverse("handoff:queue"), {"waiting_page": 9, "held_page": "x"})

    assert response.status_code == 200
    assert response.text.count('<article class="card') == 3


def test_your_leads_come_by_the_deadline_that_applies_now(client, sales_team):
    # Given two accepted leads: one touched once (its touches are due in 1 h, its first touch
    # was due in 5 h), one not touched yet (first touch due in 2 h)
    rep = sales_team[2][0]
    touched, untouched = _routed_to(rep, 2)
    for offer in (touched, untouched):
        offer_accept(offer=offer, actor=rep)
    now = datetime.datetime.now(datetime.UTC)
    hours = lambda n: now + datetime.timedelta(hours=n)  # noqa: E731
    Offer.objects.filter(pk=touched.pk).update(
        first_touch_at=now, touch_count=1, first_touch_due_at=hours(5), touches_due_at=hours(1)
    )
    Offer.objects.filter(pk=untouched.pk).update(
        first_touch_due_at=hours(2), touches_due_at=hours(3)
    )
    client.force_login(rep)

    text = client.get(reverse("handoff:queue")).text

    # Then the touches due in 1 h come before the first touch due in 2 h
    assert text.index(f'id="lead-{touched.lead_id}"') < text.index(f'id="lead-{untouched.lead_id}"')
