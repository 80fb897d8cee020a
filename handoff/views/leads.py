"""The leads list (`/leads/`): the leads one may see, filtered by the query-string contract
(handoff/lead_list.py), sorted, in keyset pages of 50; saved views; bulk actions; CSV export.

Every signed-in role but integration (machine accounts read `/api/v1/leads/`) uses it; each
sees only the leads `lead_visible` gives them.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from funnel.models import Role, Team, User
from handoff.api.ingest import INGESTS
from handoff.forms import LeadBulkForm, SavedLeadViewForm
from handoff.lead_list import (
    COUNT_CAP,
    CURSOR_INVALID,
    DEFAULT_SORT,
    CursorInvalid,
    LeadListFilter,
    is_filtered,
    lead_count,
    lead_page,
    leads_shown,
    query_of,
    sorted_by,
)
from handoff.models import Lead, SavedLeadView
from handoff.selectors import lead_visible
from handoff.services.lead_bulk import (
    ACTION_LABELS,
    BulkRefused,
    bulk_actions_for,
    leads_bulk,
    recycle_moves,
    recycle_reasons,
)
from leadflow.csv import csv_safe_writer

# The bulk API's row fields (handoff.api.ingest.LeadRowSerializer), in its order: an exported
# file maps onto `/leads/import/` column for column and re-imports each row as "unchanged".
EXPORT_FIELDS = (
    "external_id", "email", "first_name", "last_name", "phone", "company", "title", "country",
    "region", "city", "industry", "employees", "source", "campaign", "crm_id", "attributes",
    "stage", "score",
)  # fmt: skip
EXPORT_CHUNK = 2000

# Column heads that sort: the column's sort parameter when clicked first (then its reverse).
SORTABLE = {"name": "last_name", "score": "-score", "updated": "-updated", "created": "-created"}


def _may_use(request: HttpRequest) -> None:
    if request.user.effective_role == Role.INTEGRATION:
        raise PermissionDenied


def _saved_view(request: HttpRequest, view_id: str | None) -> SavedLeadView | None:
    """The user's own saved view; another user's (or none by that id) is a 404."""
    if not view_id:
        return None
    if not view_id.isdigit():
        raise Http404
    return get_object_or_404(SavedLeadView, pk=int(view_id), user=request.user)


def _link(query: QueryDict, **change) -> str:
    """`?…` for the list with `change` applied (None removes a parameter); no page cursor."""
    params = query.copy()
    for key in ("after", "count"):
        params.pop(key, None)
    for key, value in change.items():
        if value is None:
            params.pop(key, None)
        else:
            params.setlist(key, [value])
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else ""


def _stored(query: QueryDict) -> str:
    """What a saved view keeps: the filters and sort, not a page."""
    params = query.copy()
    for key in ("after", "view", "count"):
        params.pop(key, None)
    return urlencode(
        [(k, v) for k in sorted(params) for v in params.getlist(k) if v != ""], doseq=False
    )


def _assignees(user: User) -> QuerySet[User]:
    """Whom the user may hand leads to: members of the teams they manage (all for an admin)."""
    people = User.objects.filter(is_active=True, role__in=[Role.SALES, Role.INSIDE, Role.MANAGER])
    if user.effective_role != Role.ADMIN:
        teams = Team.objects.filter(manager=user).values("pk")
        people = people.filter(team__in=teams) | people.filter(team_id=user.team_id or 0)
    return people.order_by("username")


def _bulk_form(request: HttpRequest, data=None, initial=None) -> LeadBulkForm | None:
    moves = recycle_moves()
    actions = bulk_actions_for(request.user, moves)
    if not actions:
        return None
    return LeadBulkForm(
        data,
        initial=initial,
        actions=actions,
        labels=ACTION_LABELS,
        assignees=_assignees(request.user),
        reasons=recycle_reasons(moves) if "recycle" in actions else [],
    )


def _sort_heads(query: QueryDict, sort: str) -> dict[str, dict]:
    """Each sortable head's link (its first click, or the reverse when already sorted by it)."""
    heads = {}
    for column, first in SORTABLE.items():
        base = first.lstrip("-")
        current = sort.lstrip("-") == base
        target = (sort[1:] if sort.startswith("-") else f"-{sort}") if current else first
        heads[column] = {
            "link": _link(query, sort=target),
            "arrow": ("↓" if sort.startswith("-") else "↑") if current else "",
            "aria": ("descending" if sort.startswith("-") else "ascending") if current else "none",
        }
    return heads


def _render_list(
    request: HttpRequest,
    *,
    query: QueryDict,
    view: SavedLeadView | None,
    save_form: SavedLeadViewForm | None = None,
    status: int = 200,
) -> HttpResponse:
    filters = LeadListFilter(query, queryset=leads_shown(request.user))
    page, count, more, problem = None, None, False, ""
    sort = DEFAULT_SORT
    if filters.is_valid():
        sort = filters.form.cleaned_data.get("sort") or DEFAULT_SORT
        leads = filters.qs
        try:
            page = lead_page(leads, sort=sort, after=filters.form.cleaned_data.get("after") or "")
        except CursorInvalid:
            problem = CURSOR_INVALID
        else:
            exact = query.get("count") == "all"
            count, more = lead_count(leads, cap=None if exact else COUNT_CAP)
    else:
        problem = _("Some filters are not valid: see the fields marked below.")
    if problem:
        status = 400
    stored = _stored(query)
    context = {
        "filters": filters,
        "form": filters.form,
        "page": page,
        "count": count,
        "more": more,
        "count_cap": COUNT_CAP,
        "problem": problem,
        "filtered": is_filtered(query),
        "sort": sort,
        "heads": _sort_heads(query, sort),
        "first_link": _link(query, after=None),
        "next_link": _link(query, after=page.next_after) if page and page.next_after else "",
        "count_all_link": _link(query, count="all"),
        "on_later_page": bool(query.get("after")),
        "query": query,
        "here": _link(query),
        "export_link": reverse("handoff:lead-export") + _link(query),
        "view": view,
        "views": list(SavedLeadView.objects.filter(user=request.user).only("pk", "name")),
        "save_form": save_form or SavedLeadViewForm(initial={"query": stored}),
        "stored": stored,
        "bulk_form": _bulk_form(request, initial={"back": _link(query)}) if page else None,
        "now": timezone.now(),
        "may_import": request.user.effective_role in INGESTS,
    }
    return render(request, "handoff/leads.html", context, status=status)


@require_GET
@login_required
def lead_list(request: HttpRequest) -> HttpResponse:
    _may_use(request)
    view = _saved_view(request, request.GET.get("view"))
    query = query_of(request.GET, view.query if view else None)
    return _render_list(request, query=query, view=view)


# --- export -------------------------------------------------------------------------------------


class _Echo:
    """A file that hands back what is written to it: csv writes one row, the response sends it."""

    def write(self, value: str) -> str:
        return value


def _export_row(lead: Lead) -> list:
    return [
        lead.external_id or "",
        lead.email,
        lead.first_name,
        lead.last_name,
        lead.phone,
        lead.company,
        lead.title,
        lead.country,
        lead.region,
        lead.city,
        lead.industry,
        "" if lead.employees is None else lead.employees,
        lead.source,
        lead.campaign_id or "",
        lead.crm_id,
        json.dumps(lead.attributes, ensure_ascii=False, sort_keys=True) if lead.attributes else "",
        lead.stage.key,
        lead.score,
    ]


def export_rows(leads: QuerySet[Lead]):
    """The header, then one row per lead, read in chunks: memory stays flat for any number."""
    writer = csv_safe_writer(_Echo())
    yield writer.writerow(EXPORT_FIELDS)
    for lead in leads.iterator(chunk_size=EXPORT_CHUNK):
        yield writer.writerow(_export_row(lead))


@require_GET
@login_required
def lead_export(request: HttpRequest) -> HttpResponse:
    """Every lead of the list as filtered and sorted (all pages), as CSV."""
    _may_use(request)
    view = _saved_view(request, request.GET.get("view"))
    query = query_of(request.GET, view.query if view else None)
    base = (
        lead_visible(request.user)
        .select_related("stage")
        .only(*[f for f in EXPORT_FIELDS if f not in ("stage", "campaign")], "campaign_id",
              "stage__key", "updated_at", "created_at")
    )  # fmt: skip
    filters = LeadListFilter(query, queryset=base)
    if not filters.is_valid():
        # The list page shows what is wrong with the filters.
        return _render_list(request, query=query, view=view)
    sort = filters.form.cleaned_data.get("sort") or DEFAULT_SORT
    response = StreamingHttpResponse(
        export_rows(sorted_by(filters.qs, sort)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="leads-{stamp}.csv"'
    return response


# --- saved views --------------------------------------------------------------------------------


@require_POST
@login_required
def lead_view_save(request: HttpRequest) -> HttpResponse:
    """Save the list's current filters under a name; the same name again replaces that view."""
    _may_use(request)
    form = SavedLeadViewForm(request.POST)
    query = QueryDict(request.POST.get("query", ""), mutable=True)
    if form.is_valid():
        query = QueryDict(form.cleaned_data["query"], mutable=True)
        if LeadListFilter(query, queryset=Lead.objects.none()).is_valid():
            view, created = SavedLeadView.objects.update_or_create(
                user=request.user,
                name=form.cleaned_data["name"],
                defaults={"query": _stored(query)},
            )
            if created:
                text = _("Saved the view “%(name)s”.")
            else:
                text = _("Replaced the view “%(name)s”.")
            messages.success(request, text % {"name": view.name})
            return redirect(reverse("handoff:lead-list") + f"?view={view.pk}")
        form.add_error(None, _("Fix the filters before saving them as a view."))
    return _render_list(request, query=query, view=None, save_form=form, status=400)


@require_POST
@login_required
def lead_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    _may_use(request)
    view = get_object_or_404(SavedLeadView, pk=view_id, user=request.user)
    view.delete()
    messages.success(request, _("Deleted the view “%(name)s”.") % {"name": view.name})
    return redirect("handoff:lead-list")


# --- bulk actions -------------------------------------------------------------------------------


def _back(value: str) -> str:
    """The list's query string to go back to; anything else is dropped (no open redirect)."""
    return value if value.startswith("?") and "\n" not in value else ""


@require_POST
@login_required
def lead_bulk(request: HttpRequest) -> HttpResponse:
    """Choose, confirm, done: the first post shows what will happen to which leads, the
    confirmed one does it (all or nothing) and shows each lead's result."""
    _may_use(request)
    form = _bulk_form(request, request.POST)
    if form is None:
        raise PermissionDenied
    chosen: list[Lead] = []
    results, refusal = None, ""
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        chosen = list(
            lead_visible(request.user)
            .filter(pk__in=data["leads"])
            .only("first_name", "last_name", "email", "external_id")
        )
        if request.POST.get("confirm") == "1":
            try:
                results = leads_bulk(
                    actor=request.user,
                    lead_ids=data["leads"],
                    action=data["action"],
                    campaign=data["campaign"],
                    assignee=data["assignee"],
                    reason=data["reason"],
                    note=data["note"],
                )
            except BulkRefused as exc:
                refusal, status = exc.message, 400
            else:
                if any(not r.done for r in results):
                    status = 409
    else:
        status = 400
    seen = {lead.pk for lead in chosen}
    hidden_ids = [i for i in form.cleaned_data.get("leads", [])] if form.is_valid() else []
    hidden_ids = [i for i in hidden_ids if i not in seen]
    context = {
        "form": form,
        "chosen": chosen,
        "hidden_ids": hidden_ids,
        "results": results,
        "refused": [r for r in results or [] if not r.done],
        "refusal": refusal,
        "done": bool(results) and all(r.done for r in results),
        "back": reverse("handoff:lead-list") + _back(request.POST.get("back", "")),
        "action_label": ACTION_LABELS.get(request.POST.get("action", ""), ""),
    }
    return render(request, "handoff/leads_bulk.html", context, status=status)
