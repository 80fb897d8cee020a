"""/settings/scoring/: the rules that turn marketing activity into a lead's score.

A rule is deactivated (kept, it scores nothing) or deleted; either way the points past
activities brought stay with them (handoff.services.scoring).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from handoff.models import ScoringRule
from handoff.services.scoring import (
    scoring_rule_create,
    scoring_rule_delete,
    scoring_rule_update,
)

from ..forms_handoff import ScoringRuleForm
from .handoff_common import recent_changes, require_edit, require_read

PART = "scoring"


def _errors_to_form(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@require_http_methods(["GET", "POST"])
@login_required
def scoring(request: HttpRequest) -> HttpResponse:
    """The rules, and a form to add one (POST adds it)."""
    may_edit = require_read(request, PART)
    status = 200
    form = ScoringRuleForm() if may_edit else None
    if request.method == "POST":
        require_edit(request, PART)
        form = ScoringRuleForm(request.POST)
        if form.is_valid():
            try:
                rule = scoring_rule_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Added the rule “%(name)s”.") % {"name": rule.name})
                return redirect("configuration:scoring")
        status = 400
    context = {
        "rules": ScoringRule.objects.order_by("-active", "kind", "name"),
        "form": form,
        "may_edit": may_edit,
        "audit": recent_changes(ScoringRule),
    }
    return render(request, "configuration/handoff/scoring.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def scoring_rule(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit one rule (deactivate it by unticking Active)."""
    require_edit(request, PART)
    rule = get_object_or_404(ScoringRule, pk=pk)
    status = 200
    if request.method == "POST":
        form = ScoringRuleForm(request.POST)
        if form.is_valid():
            try:
                rule = scoring_rule_update(rule=rule, actor=request.user, fields=form.cleaned_data)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Saved the rule “%(name)s”.") % {"name": rule.name})
                return redirect("configuration:scoring")
        status = 400
    else:
        form = ScoringRuleForm(
            initial={f: getattr(rule, f) for f in ("name", "kind", "contains", "points", "active")}
        )
    context = {"rule": rule, "form": form, "audit": recent_changes(rule)}
    return render(request, "configuration/handoff/scoring_edit.html", context, status=status)


@require_POST
@login_required
def scoring_rule_remove(request: HttpRequest, pk: int) -> HttpResponse:
    require_edit(request, PART)
    rule = get_object_or_404(ScoringRule, pk=pk)
    scoring_rule_delete(rule=rule, actor=request.user)
    messages.success(
        request,
        _("Deleted the rule “%(name)s”; activities keep the points it gave them.")
        % {"name": rule.name},
    )
    return redirect("configuration:scoring")
