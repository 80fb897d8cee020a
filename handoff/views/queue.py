"""The rep's queue: offers waiting for them and leads they hold, with their SLA clocks.

htmx pages: each action posts one form, calls one service, and answers with the refreshed queue.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.views.decorators.http import require_GET, require_POST

from handoff.forms import DispositionForm, RejectForm, TouchForm
from handoff.models import Offer
from handoff.selectors import queue_leads_held, queue_offers_waiting
from handoff.services.offers import (
    offer_accept,
    offer_claim,
    offer_may_act,
    offer_reject,
)
from handoff.services.work import lead_disposition, lead_may_work, touch_log
from leadflow.errors import DomainError

# A page of each list: a rep holding hundreds of leads gets a page, not all of them.
QUEUE_PAGE_SIZE = 25
QUEUE_PAGES = ("waiting_page", "held_page")


def _page(request: HttpRequest, offers, param: str) -> Page:
    # Counts the user's own offers (and their team queue's), read by index; an out-of-range
    # page (its last card just accepted) shows the last page instead.
    return Paginator(offers, QUEUE_PAGE_SIZE).get_page(request.GET.get(param))


def _pages_query(pages: dict[str, int], **change: int) -> str:
    """`?waiting_page=…&held_page=…` for these page numbers (page 1 left out)."""
    query = {param: number for param, number in {**pages, **change}.items() if number > 1}
    return f"?{urlencode(query)}" if query else ""


def _options() -> dict[str, str]:
    """Each select's options, rendered once: the same on every card, and 25 cards of loops over
    them were most of the page's rendering time."""
    fields = {
        "reject_reason": RejectForm().fields["reason"],
        "touch_kind": (touch := TouchForm()).fields["kind"],
        "touch_outcome": touch.fields["outcome"],
        "disposition": (disposition := DispositionForm()).fields["disposition"],
        "disposition_reason": disposition.fields["reason"],
    }
    return {
        name: format_html_join("", '<option value="{}">{}</option>', field.choices)
        for name, field in fields.items()
    }


def _render_queue(request: HttpRequest, *, errors: dict | None = None, done: str = ""):
    waiting = _page(request, queue_offers_waiting(request.user), "waiting_page")
    held = _page(request, queue_leads_held(request.user), "held_page")
    # The refresh, every action and the page links keep the pages the user is on.
    on = {"waiting_page": waiting.number, "held_page": held.number}
    for param, page in (("waiting_page", waiting), ("held_page", held)):
        page.previous_query = _pages_query(on, **{param: page.number - 1})
        page.next_query = _pages_query(on, **{param: page.number + 1})
    context = {
        "waiting": waiting,
        "held": held,
        "on_pages": _pages_query(on),
        "now": timezone.now(),
        "errors": errors or {},
        "done": done,
        "options": _options(),
    }
    template = "handoff/_queue.html" if request.htmx else "handoff/queue.html"
    return render(request, template, context)


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    return _render_queue(request)


def _offer_for(request: HttpRequest, offer_id: int) -> Offer:
    """An offer the user may act on or work; 404 otherwise, so others' leads stay unseen."""
    offer = get_object_or_404(Offer.objects.select_related("lead", "handoff"), pk=offer_id)
    if not (offer_may_act(offer, request.user) or lead_may_work(offer.lead, request.user, offer)):
        raise Http404
    return offer


def _answer(request: HttpRequest, **kwargs) -> HttpResponse:
    if request.htmx:
        return _render_queue(request, **kwargs)
    # Back to the pages the user was on: the action's URL carries them.
    pages = {param: request.GET[param] for param in QUEUE_PAGES if param in request.GET}
    return redirect(reverse("handoff:queue") + (f"?{urlencode(pages)}" if pages else ""))


def _form_errors(form) -> str:
    return "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())


def _accept(request, offer):
    offer_accept(offer=offer, actor=request.user)
    return f"Accepted {offer.lead}."


def _claim(request, offer):
    offer_claim(offer=offer, actor=request.user)
    return f"{offer.lead} is yours to accept or reject."


def _reject(request, offer):
    form = RejectForm(request.POST)
    if not form.is_valid() or form.cleaned_data["reason"] is None:
        raise ValidationError("Choose a reason to reject.")
    offer_reject(offer=offer, actor=request.user, **form.cleaned_data)
    return f"Rejected {offer.lead}."


def _touch(request, offer):
    form = TouchForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_form_errors(form))
    touch_log(lead=offer.lead, actor=request.user, **form.cleaned_data)
    return f"Logged a {form.cleaned_data['kind']} with {offer.lead}."


def _disposition(request, offer):
    form = DispositionForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_form_errors(form))
    lead_disposition(lead=offer.lead, actor=request.user, **form.cleaned_data)
    return f"{offer.lead}: {form.cleaned_data['disposition'].replace('_', ' ')}."


ACTIONS = {
    "accept": _accept,
    "claim": _claim,
    "reject": _reject,
    "touch": _touch,
    "disposition": _disposition,
}


@require_POST
@login_required
def offer_action(request: HttpRequest, offer_id: int, action: str) -> HttpResponse:
    """One action on one offer or its lead; a refusal is shown on the lead's card."""
    if action not in ACTIONS:
        raise Http404
    offer = _offer_for(request, offer_id)
    try:
        done = ACTIONS[action](request, offer)
    except DomainError as exc:
        return _answer(request, errors={offer.pk: str(exc)})
    except ValidationError as exc:
        return _answer(request, errors={offer.pk: "; ".join(exc.messages)})
    return _answer(request, done=done)
