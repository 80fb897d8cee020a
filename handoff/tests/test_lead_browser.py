"""In a real browser: a rep accepts an offer from the queue, picks a disposition and sees only
its reasons, keeps what they entered after a refusal, qualifies the lead into their pipeline
and records it won there; the periodic refresh never replaces a form being filled in."""

import pytest

from handoff.models import Disposition, Lead, Offer
from handoff.services.leads import lead_create
from handoff.services.offers import offer_route
from leadflow.testing.browser import PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _routed(email: str) -> Offer:
    lead = lead_create(actor=None, stage="mql", email=email, first_name="Bea", last_name="Lind")
    return offer_route(offer_id=Offer.objects.get(lead=lead).pk)


def _card(page, lead_id):
    return page.locator(f"#lead-{lead_id}")


def test_a_rep_works_a_lead_from_offer_to_won(browser_login, sales_team, sla_enqueues):
    offer = _routed("bea@acme.com")
    page = browser_login(offer.assignee)
    page.goto("/queue/")

    # Accept: the confirmation stands where the card was, and the lead is in "Your leads"
    _card(page, offer.lead_id).get_by_role("button", name="Accept").click()
    page.get_by_text("Accepted Bea Lind").wait_for()
    card = _card(page, offer.lead_id)
    assert card.locator(".stage").inner_text() == "SAL"

    # Choosing "Lost" lists only the lost reasons; the amount field is for "Won" only
    form = card.locator("form[data-disposition]")
    form.get_by_label("Disposition").select_option("lost")
    reasons = form.get_by_label("Reason")
    purposes = reasons.locator("option:not([hidden])").evaluate_all(
        "options => options.filter(o => o.value).map(o => o.dataset.purpose)"
    )
    assert purposes and set(purposes) == {"lost"}
    assert form.get_by_label("Amount").is_hidden()

    # Saving with no reason is refused on the card and keeps the choice made
    form.get_by_role("button", name="Save").click()
    page.get_by_role("alert").wait_for()
    card = _card(page, offer.lead_id)
    assert "needs a lost reason" in card.get_by_role("alert").inner_text()
    assert card.get_by_label("Disposition").input_value() == "lost"
    assert Lead.objects.get(pk=offer.lead_id).stage.key == "sal"

    # Qualified: the lead goes to SQL and stays in the pipeline, where it is won
    card.get_by_label("Disposition").select_option("qualified")
    assert card.get_by_label("Reason").is_hidden()
    card.get_by_role("button", name="Save").click()
    page.get_by_text("qualified, now in Sales Qualified Lead").wait_for()
    page.get_by_role("link", name="My pipeline").click()
    card = _card(page, offer.lead_id)
    assert card.locator(".stage").inner_text() == "SQL"
    card.get_by_label("Disposition").select_option("won")
    card.get_by_label("Amount").fill("4200")
    card.get_by_role("button", name="Save").click()
    page.get_by_text("won, now in Won").wait_for()
    assert Disposition.objects.get(lead_id=offer.lead_id, kind="won").amount == 4200


def test_the_refresh_leaves_a_form_being_filled_in_alone(browser_login, sales_team, sla_enqueues):
    offer = _routed("refresh@acme.com")
    page = browser_login(offer.assignee, viewport=PHONE)
    page.goto("/queue/")
    # The page's own refresh, with its own filter, every 200 ms instead of every minute
    page.evaluate(
        """() => { const q = document.querySelector('#queue');
        q.setAttribute('hx-trigger', q.getAttribute('hx-trigger').replace('60s', '200ms'));
        htmx.process(q); }"""
    )
    note = _card(page, offer.lead_id).get_by_label("Reject note")
    note.fill("calling back on Monday")
    page.get_by_role("heading", name="Waiting for you").click()  # the field loses focus

    # While a new offer arrives, the half-written note stays and the list is not replaced
    newer = _routed("newer@acme.com")
    Offer.objects.filter(pk=newer.pk).update(assignee=offer.assignee)
    page.wait_for_timeout(1000)
    assert _card(page, offer.lead_id).get_by_label("Reject note").input_value() == (
        "calling back on Monday"
    )
    assert _card(page, newer.lead_id).count() == 0

    # Once the form is left unchanged (sent or cleared), the refresh brings the new offer
    page.evaluate(
        "document.querySelectorAll('form.dirty').forEach(f => f.classList.remove('dirty'))"
    )
    _card(page, newer.lead_id).wait_for()
