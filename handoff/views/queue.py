"""The rep's queue: offers waiting for them and leads they hold, with their SLA clocks.

htmx pages: each action posts one form, calls one service (handoff.views.actions), and answers
with the refreshed queue; a refusal or a confirmation shows on the card acted on.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from handoff.models import Offer
from handoff.selectors import queue_leads_held, queue_offers_waiting
from handoff.services.offers import offer_may_act
from handoff.services.work import lead_may_work
from handoff.views.actions import ACTIONS, action_run
from handoff.views.cards import CardMaker, Outcome, select_options

# A page of each list: a rep holding hundreds of leads gets a page, not all of them.
QUEUE_PAGE_SIZE = 25
QUEUE_PAGES = ("waiting_page", "held_page")


def page_of(request: HttpRequest, items, param: str, size: int = QUEUE_PAGE_SIZE) -> Page:
    # Counts by index; an out-of-range page (its last card just acted on) shows the last page.
    return Paginator(items, size).get_page(request.GET.get(param))


def pages_query(pages: dict[str, int], **change: int) -> str:
    """`?waiting_page=…&held_page=…` for these page numbers (page 1 left out)."""
    query = {param: number for param, number in {**pages, **change}.items() if number > 1}
    return f"?{urlencode(query)}" if query else ""


def pages_link(pages: dict[str, Page]) -> dict[str, int]:
    """The page numbers the user is on; each page gets its previous and next links."""
    on = {param: page.number for param, page in pages.items()}
    for param, page in pages.items():
        page.previous_query = pages_query(on, **{param: page.number - 1})
        page.next_query = pages_query(on, **{param: page.number + 1})
    return on


def _render_queue(request: HttpRequest, outcome: Outcome | None = None) -> HttpResponse:
    waiting = page_of(request, queue_offers_waiting(request.user), "waiting_page")
    held = page_of(request, queue_leads_held(request.user), "held_page")
    # The refresh, every action and the page links keep the pages the user is on.
    on = pages_link({"waiting_page": waiting, "held_page": held})
    maker = CardMaker(request.user, outcome)
    cards = maker.settle(
        waiting=maker.cards((o.lead, o) for o in waiting),
        held=maker.cards(((o.lead, o) for o in held), work=True),
    )
    context = {
        "waiting": waiting,
        "held": held,
        "waiting_cards": cards["waiting"],
        "held_cards": cards["held"],
        "unplaced": maker.unplaced,
        "on_pages": pages_query(on),
        "now": timezone.now(),
        "options": select_options(),
        "target": "#queue",
    }
    template = "handoff/_queue.html" if request.htmx else "handoff/queue.html"
    return render(request, template, context)


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    return _render_queue(request)


def _offer_for(request: HttpRequest, offer_id: int) -> Offer:
    """An offer the user may act on or work; 404 otherwise, so others' leads stay unseen."""
    offer = get_object_or_404(Offer.objects.select_related("lead__stage", "handoff"), pk=offer_id)
    if not (offer_may_act(offer, request.user) or lead_may_work(offer.lead, request.user, offer)):
        raise Http404
    return offer


@require_POST
@login_required
def offer_action(request: HttpRequest, offer_id: int, action: str) -> HttpResponse:
    """One action on one offer or its lead; its outcome is shown on the lead's card."""
    if action not in ACTIONS:
        raise Http404
    offer = _offer_for(request, offer_id)
    done, error = action_run(request, action, offer.lead, offer)
    if not request.htmx:
        (messages.error if error else messages.success)(request, error or done)
        # Back to the pages the user was on: the action's URL carries them.
        pages = {param: request.GET[param] for param in QUEUE_PAGES if param in request.GET}
        return redirect(reverse("handoff:queue") + (f"?{urlencode(pages)}" if pages else ""))
    outcome = Outcome(
        lead_id=offer.lead_id,
        done=done,
        error=error,
        posted=request.POST.dict() if error else {},
        slot=request.POST.get("slot", ""),
    )
    return _render_queue(request, outcome)
