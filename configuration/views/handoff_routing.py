"""/settings/routing/: the ordered rules that say who receives each handoff's offers.

Who edits which: an admin every handoff's rules; a manager those of the handoffs their team
receives (routing decides who in the receiving team gets an offer, so it is that team's call),
and only to their own team or its members. Marketing, and managers for other teams' handoffs,
read them. Everyone who reads may try a rule on a lead they may see: the routing simulation
(handoff.services.routing.routing_decide), which assigns nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from funnel.models import HandoffPair, Role, Team
from handoff.models import RoutingRule, RoutingStrategy
from handoff.selectors import lead_visible
from handoff.services.routing import routing_decide, routing_explain
from handoff.services.routing_rules import (
    routing_rule_create,
    routing_rule_move,
    routing_rule_update,
)

from ..forms_handoff import RoutingRuleForm, TryRuleForm, lead_search
from .handoff_common import recent_changes, require_edit, require_read

PART = "routing"
FOUND_LISTED = 20
LEAD_NOT_FOUND = gettext_lazy("No lead #%(id)s among the leads you may see.")
RULE_FIELDS = (
    "name", "active", "countries", "regions", "industries", "sources", "employees_min",
    "employees_max", "score_min", "score_max", "strategy", "target_user", "target_team",
)  # fmt: skip


# Why routing passed someone over, as the decision's codes say it (unknown codes shown as is).
WHY = {
    "inactive": gettext_lazy("deactivated"),
    "absent": gettext_lazy("away"),
    "at_open_cap": gettext_lazy("at their cap of open offers"),
    "at_daily_cap": gettext_lazy("at their cap of offers today"),
    "not_in_rotation": gettext_lazy("out of the rotation"),
    "excluded": gettext_lazy("excluded"),
    "outside_territory": gettext_lazy("another territory"),
    "no_territory": gettext_lazy("no territory, while the lead's territory has reps"),
}


def _pairs():
    return HandoffPair.objects.select_related("receiving_team", "sending_team").order_by(
        "offered_stage__position", "pk"
    )


def _teams(user):
    """The teams a user may route to: every team for an admin, a manager's own teams."""
    if user.effective_role == Role.ADMIN:
        return Team.objects.order_by("name")
    if user.effective_role == Role.MANAGER:
        return Team.objects.filter(Q(pk=user.team_id) | Q(manager=user)).order_by("name")
    return Team.objects.none()


def _editable(user):
    """The handoffs whose rules `user` may change."""
    if user.effective_role == Role.ADMIN:
        return _pairs()
    return _pairs().filter(receiving_team__in=_teams(user))


def _rule_for(request, pk: int) -> RoutingRule:
    """A rule of a handoff the user may edit; any other is not found (as a lead they may not
    see is), so a manager learns nothing of other teams' rules by id."""
    return get_object_or_404(
        RoutingRule.objects.select_related("handoff"), pk=pk, handoff__in=_editable(request.user)
    )


def _errors_to_form(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@require_GET
@login_required
def routing(request: HttpRequest) -> HttpResponse:
    """Every handoff's rules in the order they are tried."""
    may_edit = require_read(request, PART)
    rules = RoutingRule.objects.select_related("target_user", "target_team").prefetch_related(
        "campaigns"
    )
    pairs = list(
        _pairs().prefetch_related(
            Prefetch("rules", queryset=rules.order_by("position", "id"), to_attr="ordered")
        )
    )
    editable = set(_editable(request.user).values_list("pk", flat=True)) if may_edit else set()
    context = {
        "pairs": [{"pair": p, "rules": p.ordered, "may_edit": p.pk in editable} for p in pairs],
        "may_add": bool(editable),
        "try_form": TryRuleForm(),
        "audit": recent_changes(RoutingRule),
    }
    return render(request, "configuration/handoff/routing.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def routing_rule_new(request: HttpRequest) -> HttpResponse:
    require_edit(request, PART)
    handoffs, teams = _editable(request.user), _teams(request.user)
    if not handoffs.exists():
        raise Http404  # a manager whose team receives no handoff
    status = 200
    if request.method == "POST":
        form = RoutingRuleForm(request.POST, user=request.user, handoffs=handoffs, teams=teams)
        if form.is_valid():
            try:
                rule = routing_rule_create(
                    handoff=form.cleaned_data["handoff"],
                    actor=request.user,
                    **form.fields_for_service(),
                )
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("Added the rule “%(name)s” to %(handoff)s, last in order.")
                    % {"name": rule.name, "handoff": rule.handoff.name},
                )
                return redirect(f"{reverse('configuration:routing')}#handoff-{rule.handoff.key}")
        status = 400
    else:
        chosen = handoffs.filter(key=request.GET.get("handoff", "")).first() or handoffs.first()
        form = RoutingRuleForm(
            user=request.user,
            handoffs=handoffs,
            teams=teams,
            initial={
                "handoff": chosen,
                "strategy": RoutingStrategy.WEIGHTED,
                "target_team": chosen.receiving_team,
            },
        )
    context = {"form": form, "rule": None}
    return render(request, "configuration/handoff/routing_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def routing_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_edit(request, PART)
    rule = _rule_for(request, pk)
    handoffs, teams = _editable(request.user), _teams(request.user)
    status = 200
    if request.method == "POST":
        form = RoutingRuleForm(
            request.POST, user=request.user, handoffs=handoffs, teams=teams, editing=True
        )
        if form.is_valid():
            try:
                rule = routing_rule_update(
                    rule=rule, actor=request.user, fields=form.fields_for_service()
                )
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Saved the rule “%(name)s”.") % {"name": rule.name})
                return redirect(f"{reverse('configuration:routing')}#handoff-{rule.handoff.key}")
        status = 400
    else:
        initial = {f: getattr(rule, f) for f in RULE_FIELDS}
        initial["campaigns"] = list(rule.campaigns.all())
        form = RoutingRuleForm(
            user=request.user, handoffs=handoffs, teams=teams, editing=True, initial=initial
        )
    context = {"form": form, "rule": rule, "audit": recent_changes(rule)}
    return render(request, "configuration/handoff/routing_edit.html", context, status=status)


@require_POST
@login_required
def routing_rule_reorder(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a rule one place earlier (`direction=up`) or later."""
    require_edit(request, PART)
    rule = _rule_for(request, pk)
    try:
        routing_rule_move(rule=rule, actor=request.user, up=request.POST.get("direction") == "up")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(f"{reverse('configuration:routing')}#handoff-{rule.handoff.key}")


@require_GET
@login_required
def routing_try(request: HttpRequest) -> HttpResponse:
    """Where an offer of this lead would go now on this handoff, and why. Writes nothing."""
    require_read(request, PART)
    form = TryRuleForm(request.GET or None)
    decision = lead = explanation = None
    found: list = []
    status = 200
    if form.is_bound and form.is_valid():
        visible = lead_visible(request.user)
        lead_id, q = form.cleaned_data["lead"], form.cleaned_data["q"].strip()
        if lead_id:
            lead = visible.filter(pk=lead_id).first()
            if lead is None:
                form.add_error("lead", LEAD_NOT_FOUND % {"id": lead_id})
                status = 404
            else:
                decision = routing_decide(lead=lead, handoff=form.cleaned_data["handoff"]).as_dict()
                explanation = routing_explain(decision)
                for skipped in decision["skipped"]:
                    skipped["why_label"] = WHY.get(skipped["why"], skipped["why"])
        elif q:
            found = list(lead_search(visible, q).order_by("-id")[:FOUND_LISTED])
        else:
            form.add_error(None, _("Give a lead id, or words to find a lead by."))
            status = 400
    elif form.is_bound:
        status = 400
    context = {
        "form": form,
        "lead": lead,
        "decision": decision,
        "explanation": explanation,
        "found": found,
        "found_listed": FOUND_LISTED,
    }
    return render(request, "configuration/handoff/routing_try.html", context, status=status)
