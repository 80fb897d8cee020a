"""The lead page: a lead's whole story and exactly the actions the viewer may take on it now."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from funnel.models import Role, StageKind
from funnel.selectors import user_manages_team
from handoff.forms import AssignForm
from handoff.models import Lead, Offer, OfferStatus
from handoff.selectors import (
    HistoryItem,
    lead_clocks,
    lead_history,
    lead_notifications,
    lead_offer_to_decide,
    lead_page_lead,
)
from handoff.services.offers import offer_may_act
from handoff.services.work import lead_may_work
from handoff.views.actions import ACTIONS, OFFER_ACTIONS, action_run
from handoff.views.cards import CardMaker, Outcome, select_options
from handoff.views.pipeline import render_pipeline


def _lead_or_404(request: HttpRequest, lead_id: int) -> Lead:
    lead = lead_page_lead(request.user, lead_id)
    if lead is None:
        raise Http404  # not there, or not the viewer's to see: the same answer, as in the API
    return lead


def _may_assign(user, offer: Offer | None) -> bool:
    if offer is None:
        return False
    team = offer.queue_id or offer.handoff.receiving_team_id
    return user.effective_role == Role.ADMIN or user_manages_team(user, team)


def _last_decision(history: list[HistoryItem]) -> dict | None:
    """The routing decision that put the lead's latest routed offer where it is (each offer
    keeps its decisions): why it came to its holder, even after the offer closed."""
    offer = next((i.obj for i in history if i.type == "offer" and i.obj.routing), None)
    if offer is None:
        return None
    decision = dict(offer.routing[-1])
    decision["at"] = parse_datetime(decision["at"]) if decision.get("at") else None
    return decision


def _render_lead(request: HttpRequest, lead: Lead, outcome: Outcome | None = None):
    offer = next(iter(lead.current_offers), None)
    maker = CardMaker(request.user, outcome, via_lead=True)
    user = request.user
    pending = offer is not None and offer.status == OfferStatus.PENDING
    may_decide = pending and offer_may_act(offer, user)
    may_work = (
        lead.stage.kind == StageKind.OPEN
        and lead.owner_id is not None
        and lead_may_work(lead, user, offer)
    )
    card = maker.card(lead, offer, work=may_work)
    may_assign = _may_assign(user, offer)
    team = (offer.queue_id or offer.handoff.receiving_team_id) if offer else None
    notes = [HistoryItem("notification", n.created_at, n) for n in lead_notifications(lead)]
    history = sorted([*lead_history(lead=lead), *notes], key=HistoryItem.sort_key, reverse=True)
    context = {
        "lead": lead,
        "offer": offer,
        "card": card,
        "unplaced": maker.unplaced,
        "may_decide": may_decide,
        "may_work": may_work,
        "may_assign": may_assign,
        "assign_form": AssignForm(team_id=team) if may_assign else None,
        "decision": _last_decision(history),
        "clocks": lead_clocks(offer),
        "history": history,
        "now": timezone.now(),
        "options": select_options(),
        "target": "#lead",
    }
    template = "handoff/_lead.html" if request.htmx else "handoff/lead.html"
    return render(request, template, context)


@require_GET
@login_required
def lead_page(request: HttpRequest, lead_id: int) -> HttpResponse:
    return _render_lead(request, _lead_or_404(request, lead_id))


@require_POST
@login_required
def lead_action(request: HttpRequest, lead_id: int, action: str) -> HttpResponse:
    """One action on the lead from its page or the pipeline; the page it came from answers."""
    if action not in ACTIONS:
        raise Http404
    lead = _lead_or_404(request, lead_id)
    if action in OFFER_ACTIONS:
        offer = lead_offer_to_decide(lead=lead)
    else:
        offer = next(iter(lead.current_offers), None)
    done, error = action_run(request, action, lead, offer)
    outcome = Outcome(
        lead_id=lead.pk,
        done=done,
        error=error,
        posted=request.POST.dict() if error else {},
        slot=request.POST.get("slot", ""),
    )
    if not request.htmx:
        (messages.error if error else messages.success)(request, error or done)
        return redirect("handoff:lead", lead_id=lead.pk)
    if request.htmx.target == "pipeline":
        return render_pipeline(request, outcome)
    # The lead as it is now: the action may have moved it out of the viewer's sight.
    fresh = lead_page_lead(request.user, lead.pk)
    if fresh is None:
        return render(request, "handoff/_lead_gone.html", {"outcome": outcome, "lead": lead})
    return _render_lead(request, fresh, outcome)
