"""Pages that read more than one subject: the manager's console.

`/team/` shows a manager their team (an admin any team, `?team=<key>`): its open offers and who
is late on them, the black hole and follow-up time by rep, the SLA agreements of the team's
handoffs, and the weekly reports. Each action is one form, one service call, then back to the
console with a confirmation; a refusal is shown on the page and changes nothing.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from funnel.models import Role, Team
from handoff.models import SlaAgreement
from handoff.services.reassign import offers_reassign
from handoff.services.sla import agreement_current, agreement_propose, agreement_sign_off
from leadflow.errors import DomainError

from . import selectors
from .forms import AgreementTermsForm, ReassignForm

PAGE_SIZE = 25
NO_TEAM = gettext_noop(
    "You manage no team yet: an admin sets the team of each user in the admin site."
)


# --- who may open which team ------------------------------------------------------------------


class NoTeam(PermissionDenied):
    """A manager who manages no team yet."""


def _console(request: HttpRequest) -> tuple[Team, list[Team]]:
    """The team the console shows, and the teams the user may switch to.

    Managers and admins only (403 for every other role); a team the user does not manage is a
    404, as a lead they may not see is; a manager of no team is told so (NoTeam).
    """
    if request.user.effective_role not in (Role.MANAGER, Role.ADMIN):
        raise PermissionDenied
    teams = selectors.console_teams(request.user)
    key = request.GET.get("team")
    if key:
        team = next((t for t in teams if t.key == key), None)
        if team is None:
            raise Http404
        return team, teams
    own = next((t for t in teams if t.pk == request.user.team_id), None)
    team = own or (teams[0] if teams else None)
    if team is None:
        raise NoTeam
    return team, teams


def _signs_for(user, team_ids: set[int], teams: list[Team]) -> set[int]:
    """Of the teams listed, those `user` signs agreements for (funnel.selectors'
    user_manages_team, without a query per team)."""
    signs = {t.pk for t in teams if t.manager_id == user.pk}
    if user.role == Role.MANAGER and user.team_id:
        signs.add(user.team_id)
    return signs & team_ids


def _team_query(team: Team) -> str:
    return f"?{urlencode({'team': team.key})}"


# --- the console --------------------------------------------------------------------------------


def _render_console(
    request: HttpRequest, team: Team, teams: list[Team], *, form=None, status: int = 200
) -> HttpResponse:
    show = "overdue" if request.GET.get("show") == "overdue" else "open"
    offers = selectors.team_offers_open(team, overdue_only=show == "overdue")
    page = Paginator(offers, PAGE_SIZE).get_page(request.GET.get("page"))
    pairs = selectors.team_pairs(team)
    reps = list(selectors.team_reps(team))
    black_hole = selectors.team_black_hole(team)
    for row in black_hole["results"]:  # whole days, as shown, to word "day"/"days" by
        row["age_days_whole"] = int(
            Decimal(str(row["age_days"])).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        )
    escalations = selectors.team_escalations(team, request.user)
    signs = _signs_for(request.user, {p.sending_team_id for p in pairs} | {team.pk}, teams)
    agreements = selectors.team_agreements(pairs)
    for block in agreements:
        block.may_sign = {
            "marketing": block.pair.sending_team_id in signs,
            "sales": block.pair.receiving_team_id in signs,
        }
    chosen = form.chosen_ids() if form is not None else set()
    context = {
        "team": team,
        "teams": teams,
        "team_query": _team_query(team),
        "show": show,
        "page": page,
        "now": timezone.now(),
        "reps": reps,
        "load": selectors.team_load(team, reps, black_hole),
        "black_hole": black_hole,
        "escalations": escalations[: selectors.ESCALATIONS_LISTED],
        "more_escalations": len(escalations) > selectors.ESCALATIONS_LISTED,
        "follow_up": selectors.team_follow_up(team, reps, pairs),
        "agreements": agreements,
        "form": form,
        "chosen": chosen,
        "chosen_to": str(form.data.get("to", "")) if form is not None else "",
        "receives": any(p.receiving_team_id == team.pk for p in pairs),
    }
    return render(request, "web/team.html", context, status=status)


@require_GET
@login_required
def team(request: HttpRequest) -> HttpResponse:
    try:
        team, teams = _console(request)
    except NoTeam:
        return render(request, "web/no_team.html", {"message": _(NO_TEAM)}, status=403)
    return _render_console(request, team, teams)


def _back(request: HttpRequest, team: Team, anchor: str) -> HttpResponse:
    """To the console the user acted on: the same team, list and page."""
    params = {"team": team.key, "show": request.GET.get("show"), "page": request.GET.get("page")}
    query = urlencode({k: v for k, v in params.items() if v})
    return redirect(f"{reverse('web:team')}?{query}{anchor}")


@require_POST
@login_required
def team_reassign(request: HttpRequest) -> HttpResponse:
    """Hand the ticked offers to one member of the team (offers_reassign, all or none)."""
    team, teams = _console(request)
    form = ReassignForm(request.POST, team=team)
    if not form.is_valid():
        if form.names_other_offers():
            raise Http404
        return _render_console(request, team, teams, form=form, status=400)
    to = form.cleaned_data["to"]
    try:
        changed = offers_reassign(
            offers=list(form.cleaned_data["offers"]), actor=request.user, assignee=to
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _render_console(request, team, teams, form=form, status=exc.status)
    name = to.get_full_name() or to.username
    if changed:
        messages.success(
            request,
            ngettext(
                "Reassigned %(count)s lead to %(name)s; they have been notified.",
                "Reassigned %(count)s leads to %(name)s; they have been notified.",
                len(changed),
            )
            % {"count": len(changed), "name": name},
        )
    else:
        messages.info(
            request, _("%(name)s holds those leads already: nothing changed.") % {"name": name}
        )
    return _back(request, team, "#offers")


# --- SLA agreements -------------------------------------------------------------------------------


def _team_pair(team: Team, handoff_key: str):
    pair = next((p for p in selectors.team_pairs(team) if p.key == handoff_key), None)
    if pair is None:
        raise Http404
    return pair


@require_http_methods(["GET", "POST"])
@login_required
def agreement_propose_view(request: HttpRequest, handoff_key: str) -> HttpResponse:
    """A new version of a handoff's terms, starting from the version in force (or the newest),
    whose breach ladder it copies; both managers then sign it off."""
    team, _teams = _console(request)
    pair = _team_pair(team, handoff_key)
    base = (
        agreement_current(pair)
        or SlaAgreement.objects.filter(handoff=pair).order_by("-version").first()
    )
    if request.method == "POST":
        form = AgreementTermsForm(request.POST)
        if form.is_valid():
            steps = [(s.clock, s.after_hours, s.action) for s in base.steps.all()] if base else []
            try:
                agreement = agreement_propose(
                    handoff=pair, actor=request.user, steps=steps, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "Proposed %(name)s version %(version)s: it comes into force once the "
                        "%(sending)s and %(receiving)s managers sign it."
                    )
                    % {
                        "name": pair.name,
                        "version": agreement.version,
                        "sending": pair.sending_team,
                        "receiving": pair.receiving_team,
                    },
                )
                return _back(request, team, "#agreements")
        status = 400
    else:
        form = AgreementTermsForm(instance=base) if base else AgreementTermsForm()
        status = 200
    context = {
        "team": team,
        "team_query": _team_query(team),
        "pair": pair,
        "base": base,
        "steps": list(base.steps.all()) if base else [],
        "form": form,
    }
    return render(request, "web/agreement_propose.html", context, status=status)


@require_POST
@login_required
def agreement_sign_off_view(request: HttpRequest, agreement_id: int) -> HttpResponse:
    """One side's sign-off of a version of an agreement of the team's handoffs."""
    team, _teams = _console(request)
    pairs = selectors.team_pairs(team)
    agreement = get_object_or_404(
        SlaAgreement.objects.select_related("handoff"), pk=agreement_id, handoff__in=pairs
    )
    try:
        signed = agreement_sign_off(agreement=agreement, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        args = {"name": signed.handoff.name, "version": signed.version}
        if signed.effective_at:
            messages.success(
                request,
                _("Signed %(name)s version %(version)s: both sides have signed; it is in force.")
                % args,
            )
        else:
            messages.success(
                request,
                _("Signed %(name)s version %(version)s: it waits for the other side's sign-off.")
                % args,
            )
    return _back(request, team, "#agreements")
