"""My pipeline and hot leads: every lead a rep holds until it closes, and the hottest to work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from handoff.selectors import HOT_DAYS, hot_leads, pipeline_leads
from handoff.views.cards import CardMaker, Outcome, select_options
from handoff.views.queue import page_of, pages_link, pages_query


def render_pipeline(request: HttpRequest, outcome: Outcome | None = None) -> HttpResponse:
    page = page_of(request, pipeline_leads(request.user), "page")
    on = pages_link({"page": page})
    maker = CardMaker(request.user, outcome, via_lead=True)
    pairs = ((lead, next(iter(lead.current_offers), None)) for lead in page)
    context = {
        "page": page,
        "cards": maker.settle(pipeline=maker.cards(pairs, work=True))["pipeline"],
        "unplaced": maker.unplaced,
        "on_pages": pages_query(on),
        "now": timezone.now(),
        "options": select_options(),
        "target": "#pipeline",
    }
    template = "handoff/_pipeline.html" if request.htmx else "handoff/pipeline.html"
    return render(request, template, context)


@require_GET
@login_required
def pipeline(request: HttpRequest) -> HttpResponse:
    return render_pipeline(request)


@require_GET
@login_required
def hot_leads_page(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    context = {"leads": hot_leads(request.user, now=now), "days": HOT_DAYS, "now": now}
    return render(request, "handoff/hot_leads.html", context)
