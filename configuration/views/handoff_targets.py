"""/settings/handoffs/: each handoff pair, its target now and its target versions.

A change of target is a new version from a day on (funnel.services.handoff_target_set); the
versions before it are kept, so reports of past weeks still compare with the target then. The
SLA terms of each handoff are proposed and signed off in the managers' console (/team/), which
this page links to rather than repeating.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from funnel.models import TARGETS_SINCE, HandoffPair, HandoffTarget, Role, Team
from funnel.selectors import target_today, targets_by_day
from funnel.services import handoff_target_set
from handoff.models import SlaAgreement
from leadflow.errors import DomainError
from reporting.alerts import decimal_text

from ..forms_handoff import TargetForm
from .handoff_common import recent_changes, require_edit, require_read

PART = "handoffs"


def _pairs():
    versions = HandoffTarget.objects.select_related("created_by").order_by("-effective_from", "-id")
    return (
        HandoffPair.objects.select_related(
            "offered_stage", "accepted_stage", "reject_stage", "sending_team", "receiving_team"
        )
        .prefetch_related(Prefetch("targets", queryset=versions, to_attr="versions"))
        .order_by("offered_stage__position", "pk")
    )


def _console_teams(user) -> set[int]:
    """Teams whose console (/team/) the user may open: all for an admin, a manager's own."""
    if user.effective_role == Role.ADMIN:
        return set(Team.objects.values_list("pk", flat=True))
    if user.effective_role == Role.MANAGER:
        return set(
            Team.objects.filter(Q(pk=user.team_id) | Q(manager=user)).values_list("pk", flat=True)
        )
    return set()


def _render(request, *, may_edit: bool, bound: tuple[str, TargetForm] | None = None, status=200):
    pairs = list(_pairs())
    today = target_today()
    now = targets_by_day(days=[today])
    in_force = {}
    for agreement in SlaAgreement.objects.filter(
        handoff__in=pairs, effective_at__isnull=False
    ).order_by("handoff_id", "version"):
        in_force[agreement.handoff_id] = agreement  # the newest signed version wins
    consoles = _console_teams(request.user)
    rows = []
    for pair in pairs:
        form = bound[1] if bound and bound[0] == pair.key else TargetForm(prefix=pair.key)
        form.fields["rate"].widget.attrs["placeholder"] = _percent(now[pair.pk][today])
        # The console of the team that receives the handoff, else of the one that sends it.
        console = next(
            (t for t in (pair.receiving_team, pair.sending_team) if t.pk in consoles), None
        )
        rows.append(
            {
                "pair": pair,
                "target": decimal_text(now[pair.pk][today] * 100),
                "versions": _versions(pair.versions, today),
                "form": form,
                "agreement": in_force.get(pair.pk),
                "console": console,
            }
        )
    context = {
        "rows": rows,
        "today": today,
        "may_edit": may_edit,
        "audit": recent_changes(HandoffPair, HandoffTarget),
    }
    return render(request, "configuration/handoff/handoffs.html", context, status=status)


@require_GET
@login_required
def handoffs(request: HttpRequest) -> HttpResponse:
    may_edit = require_read(request, PART)
    return _render(request, may_edit=may_edit)


@require_POST
@login_required
def handoff_target(request: HttpRequest, key: str) -> HttpResponse:
    """A new target version for one handoff; bad input re-shows the page and changes nothing."""
    require_edit(request, PART)
    pair = get_object_or_404(HandoffPair, key=key)
    form = TargetForm(request.POST, prefix=pair.key)
    if form.is_valid():
        try:
            version = handoff_target_set(
                handoff=pair,
                rate=form.fraction(),
                effective_from=form.cleaned_data["effective_from"],
                actor=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(handoff)s: the target is %(rate)s%% from %(day)s.")
                % {
                    "handoff": pair.name,
                    "rate": decimal_text(version.rate * 100),
                    "day": date_format(version.effective_from),
                },
            )
            return redirect(f"{reverse('configuration:handoffs')}#handoff-{pair.key}")
    return _render(request, may_edit=True, bound=(pair.key, form), status=400)


def _versions(versions: list[HandoffTarget], today) -> list[dict]:
    """Newest first, each with its state: in force today, scheduled, or earlier."""
    current = next((v for v in versions if v.effective_from <= today), None)
    return [
        {
            "version": v,
            "percent": decimal_text(v.rate * 100),
            # The version it follows (newest first: the next one), so the change reads old → new.
            "replaces": decimal_text(versions[i + 1].rate * 100) if i + 1 < len(versions) else None,
            "since_start": v.effective_from <= TARGETS_SINCE,
            "state": "current" if v is current else "scheduled" if v.effective_from > today else "",
        }
        for i, v in enumerate(versions)
    ]


def _percent(rate) -> str:
    """The rate in percent with a dot, as a number input takes it: "62.5", "60"."""
    return f"{rate * 100:.1f}".removesuffix(".0")


def _add_errors(form, exc: ValidationError) -> None:
    """The service's refusals on the form's fields (rate is a fraction there, percent here)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)
