"""/settings/ pages of the funnel's definition and its people: stages, allowed moves, reason
codes, campaigns, teams, territories, users and roles.

Each page: who may read and who may edit is configuration/parts.py's table (403 otherwise); a
list, an add form and an edit form by id (a reader sees the edit form read-only, with the
object's history). Each write is one service call in funnel.services; a refusal re-shows the
form with the errors and the input kept (400), and changes nothing. Every page shows the recent
changes of what it edits (leadflow.audit).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from funnel import services
from funnel.models import (
    Campaign,
    ReasonCode,
    ReasonPurpose,
    Role,
    Stage,
    StageMove,
    Team,
    Territory,
    User,
)
from funnel.selectors import user_manages_team
from handoff.models import Lead
from leadflow.audit import audit_trail

from .. import forms_funnel as forms
from ..parts import may_edit, may_read, part

PAGE_SIZE = 50
LIST_AUDIT = 15  # the latest changes under a list; each object's page shows its own 50
FORM = "configuration/funnel/form.html"
SAVED = gettext_lazy("Saved: {obj}.")
ADDED = gettext_lazy("Added: {obj}.")


# --- who may ------------------------------------------------------------------------------------


def _may(request: HttpRequest, key: str, *, edit: bool = False) -> bool:
    """403 unless the role may read the part (or edit it, for a write); whether it may edit."""
    if not may_read(request.user, key):
        raise PermissionDenied
    editable = may_edit(request.user, key)
    if edit and not editable:
        raise PermissionDenied
    return editable


def _managed_team_ids(user: User) -> set[int]:
    """The teams a manager manages (funnel.selectors.user_manages_team, for a set at once)."""
    ids = set(Team.objects.filter(manager=user).values_list("pk", flat=True))
    if user.role == Role.MANAGER and user.team_id:
        ids.add(user.team_id)
    return ids


def _posted(request: HttpRequest):
    """The form's data on a POST (an empty one too: a form with errors), None on a GET."""
    return request.POST if request.method == "POST" else None


# --- the shared shape of a form page -------------------------------------------------------------


def _form_page(
    request: HttpRequest,
    key: str,
    form: forms.ServiceForm,
    *,
    title: str,
    audit: list,
    editable: bool,
    status: int = 200,
    template: str = FORM,
    **extra,
) -> HttpResponse:
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    context = {
        "part": part(key),
        "form": form,
        "title": title,
        "editable": editable,
        "audit": audit,
        "back": reverse(part(key).url_name),
        **extra,
    }
    return render(request, template, context, status=status)


def _save(
    request: HttpRequest, form: forms.ServiceForm, write: Callable[..., object], message
) -> object | None:
    """Run the service on valid input; its refusal goes on the form. The saved object, or
    None when the form is to be shown again."""
    if not form.is_valid():
        return None
    try:
        obj = write(**form.data_for_service())
    except ValidationError as exc:
        form.refuse(exc)
        return None
    messages.success(request, message.format(obj=obj))
    return obj


def _list_page(request: HttpRequest, key: str, template: str, **context) -> HttpResponse:
    editable = _may(request, key)
    return render(request, template, {"part": part(key), "editable": editable, **context})


def _add_page(key: str, form_class, create: Callable[..., object], title, *, initial=None):
    """A part's add page: its form, empty (or with `initial`); a valid POST creates the object
    through the part's service and goes back to the part's list."""

    @require_http_methods(["GET", "POST"])
    @login_required
    def add(request: HttpRequest) -> HttpResponse:
        _may(request, key, edit=True)
        form = form_class(_posted(request), initial=initial)
        write = partial(create, actor=request.user)
        if request.method == "POST" and _save(request, form, write, ADDED):
            return redirect(part(key).url_name)
        return _form_page(
            request,
            key,
            form,
            title=title,
            audit=[],
            editable=True,
            status=400 if form.is_bound else 200,
        )

    return add


# --- stages ---------------------------------------------------------------------------------------


@require_http_methods(["GET"])
@login_required
def stages(request: HttpRequest) -> HttpResponse:
    rows = list(Stage.objects.select_related("team").order_by("position", "key"))
    active = [s.pk for s in rows if s.active]
    return _list_page(
        request,
        "stages",
        "configuration/funnel/stages.html",
        stages=rows,
        first_active=active[0] if active else None,
        last_active=active[-1] if active else None,
        audit=audit_trail(Stage, limit=LIST_AUDIT),
    )


stage_add = _add_page("stages", forms.StageForm, services.stage_create, gettext_lazy("Add a stage"))


@require_http_methods(["GET", "POST"])
@login_required
def stage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    editable = _may(request, "stages", edit=request.method == "POST")
    stage = get_object_or_404(Stage.objects.select_related("team"), pk=pk)
    form = forms.StageForm(_posted(request), instance=stage)
    if request.method == "POST":
        write = partial(services.stage_update, stage=stage, actor=request.user)
        if _save(request, form, write, SAVED):
            return redirect("configuration:stages")
    return _form_page(
        request,
        "stages",
        form,
        title=_("Stage: %(name)s") % {"name": stage.name},
        audit=audit_trail(stage),
        editable=editable,
        status=400 if form.is_bound else 200,
        template="configuration/funnel/stage_edit.html",
        stage=stage,
        leads_in_stage=Lead.objects.filter(stage=stage).count(),
    )


def _stage_action(request: HttpRequest, pk: int, act: Callable[[Stage], object], message):
    _may(request, "stages", edit=True)
    stage = get_object_or_404(Stage, pk=pk)
    try:
        act(stage)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return redirect("configuration:stage-edit", pk=stage.pk)
    if message:
        messages.success(request, message.format(obj=stage))
    return redirect("configuration:stages")


@require_POST
@login_required
def stage_reorder(request: HttpRequest, pk: int) -> HttpResponse:
    """One place up or down (`direction`), then every stage renumbered by the service."""
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        _may(request, "stages", edit=True)
        return HttpResponse(_("Say up or down."), status=400, content_type="text/plain")
    return _stage_action(
        request,
        pk,
        lambda stage: services.stage_reorder(stage=stage, actor=request.user, offset=offset),
        None,
    )


@require_POST
@login_required
def stage_retire(request: HttpRequest, pk: int) -> HttpResponse:
    return _stage_action(
        request,
        pk,
        lambda stage: services.stage_retire(stage=stage, actor=request.user),
        gettext_lazy("Retired: {obj}. No lead can enter it; its history stays."),
    )


@require_POST
@login_required
def stage_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _stage_action(
        request,
        pk,
        lambda stage: services.stage_reactivate(stage=stage, actor=request.user),
        gettext_lazy("Reactivated: {obj}."),
    )


# --- allowed moves --------------------------------------------------------------------------------


@require_http_methods(["GET"])
@login_required
def moves(request: HttpRequest) -> HttpResponse:
    rows = StageMove.objects.select_related("from_stage", "to_stage").order_by(
        "from_stage__position", "from_stage__key", "to_stage__position", "to_stage__key"
    )
    roles, purposes = dict(Role.choices), dict(ReasonPurpose.choices)
    rows = list(rows)
    for move in rows:
        move.role_labels = [str(roles.get(r, r)) for r in move.roles]
        move.purpose_labels = [str(purposes.get(p, p)) for p in move.reason_purposes]
    # New leads' entries first (no from-stage sorts last in PostgreSQL, first in SQLite).
    rows.sort(key=lambda m: m.from_stage_id is not None)
    return _list_page(
        request,
        "moves",
        "configuration/funnel/moves.html",
        moves=rows,
        audit=audit_trail(StageMove, limit=LIST_AUDIT),
    )


move_add = _add_page(
    "moves", forms.StageMoveForm, services.stage_move_create, gettext_lazy("Allow a move")
)


@require_http_methods(["GET", "POST"])
@login_required
def move_edit(request: HttpRequest, pk: int) -> HttpResponse:
    editable = _may(request, "moves", edit=request.method == "POST")
    move = get_object_or_404(StageMove.objects.select_related("from_stage", "to_stage"), pk=pk)
    form = forms.StageMoveForm(_posted(request), instance=move)
    if request.method == "POST":
        write = partial(services.stage_move_update, move=move, actor=request.user)
        if _save(request, form, write, SAVED):
            return redirect("configuration:moves")
    return _form_page(
        request,
        "moves",
        form,
        title=_("Move: %(move)s") % {"move": move},
        audit=audit_trail(move),
        editable=editable,
        status=400 if form.is_bound else 200,
        template="configuration/funnel/move_edit.html",
        move=move,
    )


@require_POST
@login_required
def move_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _may(request, "moves", edit=True)
    move = get_object_or_404(StageMove.objects.select_related("from_stage", "to_stage"), pk=pk)
    label = str(move)
    try:
        services.stage_move_delete(move=move, actor=request.user)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return redirect("configuration:move-edit", pk=pk)
    messages.success(request, _("Removed: %(move)s.") % {"move": label})
    return redirect("configuration:moves")


# --- reason codes ---------------------------------------------------------------------------------


@require_http_methods(["GET"])
@login_required
def reasons(request: HttpRequest) -> HttpResponse:
    rows = ReasonCode.objects.order_by("purpose", "position", "label")
    return _list_page(
        request,
        "reasons",
        "configuration/funnel/reasons.html",
        reasons=rows,
        audit=audit_trail(ReasonCode, limit=LIST_AUDIT),
    )


reason_add = _add_page(
    "reasons",
    forms.ReasonCodeForm,
    services.reason_code_create,
    gettext_lazy("Add a reason code"),
    initial={"active": True},
)


@require_http_methods(["GET", "POST"])
@login_required
def reason_edit(request: HttpRequest, pk: int) -> HttpResponse:
    editable = _may(request, "reasons", edit=request.method == "POST")
    reason = get_object_or_404(ReasonCode, pk=pk)
    form = forms.ReasonCodeForm(_posted(request), instance=reason)
    if request.method == "POST":
        write = partial(services.reason_code_update, reason=reason, actor=request.user)
        if _save(request, form, write, SAVED):
            return redirect("configuration:reasons")
    return _form_page(
        request,
        "reasons",
        form,
        title=_("Reason: %(reason)s") % {"reason": reason},
        audit=audit_trail(reason),
        editable=editable,
        status=400 if form.is_bound else 200,
    )


# --- campaigns ------------------------------------------------------------------------------------


@require_http_methods(["GET"])
@login_required
def campaigns(request: HttpRequest) -> HttpResponse:
    page = Paginator(Campaign.objects.order_by("-start", "name"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return _list_page(
        request,
        "campaigns",
        "configuration/funnel/campaigns.html",
        page=page,
        audit=audit_trail(Campaign, limit=LIST_AUDIT),
    )


campaign_add = _add_page(
    "campaigns", forms.CampaignForm, services.campaign_create, gettext_lazy("Add a campaign")
)


@require_http_methods(["GET", "POST"])
@login_required
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    editable = _may(request, "campaigns", edit=request.method == "POST")
    campaign = get_object_or_404(Campaign, pk=pk)
    form = forms.CampaignForm(_posted(request), instance=campaign)
    if request.method == "POST":
        write = partial(services.campaign_update, campaign=campaign, actor=request.user)
        if _save(request, form, write, SAVED):
            return redirect("configuration:campaigns")
    return _form_page(
        request,
        "campaigns",
        form,
        title=_("Campaign: %(name)s") % {"name": campaign.name},
        audit=audit_trail(campaign),
        editable=editable,
        status=400 if form.is_bound else 200,
    )


# --- teams ----------------------------------------------------------------------------------------


@require_http_methods(["GET"])
@login_required
def teams(request: HttpRequest) -> HttpResponse:
    rows = Team.objects.select_related("manager").annotate(
        member_count=Count("members", filter=Q(members__is_active=True))
    )
    rows = list(rows)
    for team in rows:
        team.days_label = ", ".join(str(WEEKDAYS_ABBR[d]) for d in sorted(team.working_days))
    own = _managed_team_ids(request.user) if request.user.role == Role.MANAGER else set()
    return _list_page(
        request,
        "teams",
        "configuration/funnel/teams.html",
        teams=rows,
        own=own,
        audit=audit_trail(Team, limit=LIST_AUDIT),
    )


team_add = _add_page(
    "teams",
    forms.TeamForm,
    services.team_create,
    gettext_lazy("Add a team"),
    initial={"time_zone": "UTC"},
)


@require_http_methods(["GET", "POST"])
@login_required
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Admins edit every team; a manager their own team's clock (time zone, hours, days), and
    reads the others; a write to another team is a 403."""
    _may(request, "teams")
    team = get_object_or_404(Team.objects.select_related("manager"), pk=pk)
    full = may_edit(request.user, "teams")
    hours = not full and user_manages_team(request.user, team.pk)
    if request.method == "POST" and not (full or hours):
        raise PermissionDenied
    form = forms.TeamForm(_posted(request), instance=team, hours_only=hours)
    if request.method == "POST":
        write = partial(services.team_update, team=team, actor=request.user)
        if _save(request, form, write, SAVED):
            return redirect("configuration:teams")
    return _form_page(
        request,
        "teams",
        form,
        title=_("Team: %(name)s") % {"name": team.name},
        audit=audit_trail(team),
        editable=full or hours,
        status=400 if form.is_bound else 200,
        note=_("You set your team's clock; an admin changes its name and manager.")
        if hours
        else "",
    )


# --- territories ----------------------------------------------------------------------------------


@require_http_methods(["GET"])
@login_required
def territories(request: HttpRequest) -> HttpResponse:
    rows = Territory.objects.prefetch_related(
        # Members by name, without a query per territory.
        "members"
    ).order_by("name")
    return _list_page(
        request,
        "territories",
        "configuration/funnel/territories.html",
        territories=rows,
        audit=audit_trail(Territory, limit=LIST_AUDIT),
    )


territory_add = _add_page(
    "territories", forms.TerritoryForm, services.territory_create, gettext_lazy("Add a territory")
)


@require_http_methods(["GET", "POST"])
@login_required
def territory_edit(request: HttpRequest, pk: int) -> HttpResponse:
    editable = _may(request, "territories", edit=request.method == "POST")
    territory = get_object_or_404(Territory, pk=pk)
    form = forms.TerritoryForm(_posted(request), instance=territory)
    if request.method == "POST":
        write = partial(services.territory_update, territory=territory, actor=request.user)
        if _save(request, form, write, SAVED):
            return redirect("configuration:territories")
    return _form_page(
        request,
        "territories",
        form,
        title=_("Territory: %(name)s") % {"name": territory.name},
        audit=audit_trail(territory, User.objects.filter(territory=territory)),
        editable=editable,
        status=400 if form.is_bound else 200,
    )


# --- users and roles ------------------------------------------------------------------------------


def _people(user: User):
    """The people `user` may see here: everyone for an admin, a manager's own teams'."""
    people = User.objects.select_related("team", "territory").order_by("username")
    if may_edit(user, "users"):
        return people
    return people.filter(team_id__in=_managed_team_ids(user))


@require_http_methods(["GET"])
@login_required
def users(request: HttpRequest) -> HttpResponse:
    _may(request, "users")
    people = _people(request.user)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return _list_page(
        request,
        "users",
        "configuration/funnel/users.html",
        page=page,
        audit=audit_trail(
            people if not may_edit(request.user, "users") else User, limit=LIST_AUDIT
        ),
    )


def _set_password_link(request: HttpRequest, user: User) -> str:
    """Django's password-reset confirmation for `user`: good once, until they set a password
    or PASSWORD_RESET_TIMEOUT passes."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return request.build_absolute_uri(path)


@require_http_methods(["GET", "POST"])
@login_required
def user_add(request: HttpRequest) -> HttpResponse:
    """A new login with no password: the page shows a set-password link once, for the admin
    to pass on; the person chooses their own password."""
    _may(request, "users", edit=True)
    form = forms.UserForm(_posted(request))
    if request.method == "POST":
        write = partial(services.user_create, actor=request.user, password=None)
        user = _save(request, form, write, ADDED)
        if user:
            context = {"person": user, "link": _set_password_link(request, user)}
            response = render(request, "configuration/funnel/user_created.html", context)
            add_never_cache_headers(response)  # the link is shown once, never kept
            return response
    return _form_page(
        request,
        "users",
        form,
        title=_("Add a user"),
        audit=[],
        editable=True,
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Admins edit anyone; a manager reads the people of their own team (others: 404)."""
    editable = _may(request, "users")
    person = _people(request.user).filter(pk=pk).first()
    if person is None:
        raise Http404
    if request.method == "POST" and not editable:
        raise PermissionDenied
    form = forms.UserForm(_posted(request), instance=person)
    if request.method == "POST":
        write = partial(services.user_update, user=person, actor=request.user)
        if _save(request, form, write, SAVED):
            return redirect("configuration:users")
    return _form_page(
        request,
        "users",
        form,
        title=_("User: %(name)s") % {"name": person.get_username()},
        audit=audit_trail(person),
        editable=editable,
        status=400 if form.is_bound else 200,
        person=person,
    )
