"""/settings/tokens/: API tokens. Each user makes and revokes their own; an admin also those of
integration users (the logins other systems use).

A token is shown once, in the answer to the POST that made it (never stored in the session or
a message, which would carry it to later pages); afterwards only when it was made, when it
expires and a revoke button. A user has one token: making one while one exists replaces it,
after a confirmation, and the old one stops working at once.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from rest_framework.authtoken.models import Token

from funnel.models import Role, User
from funnel.services import TokenExists, api_token_create, api_token_revoke
from leadflow.api.authentication import token_expired, token_expires_at

from .handoff_common import require_edit, require_read

PART = "tokens"


def _holders(user):
    """Whose tokens `user` manages: their own; an admin also every integration user's."""
    if user.effective_role == Role.ADMIN:
        return User.objects.filter(Q(pk=user.pk) | Q(role=Role.INTEGRATION)).order_by("username")
    return User.objects.filter(pk=user.pk)


def _holder(request, user_id: int) -> User:
    holder = _holders(request.user).filter(pk=user_id).first()
    if holder is None:
        raise Http404  # another user's token: not found, as another's lead is
    return holder


def _state(token: Token | None) -> dict:
    if token is None:
        return {"exists": False}
    return {
        "exists": True,
        "created": token.created,
        "expires_at": token_expires_at(token),
        "expired": token_expired(token),
    }


@require_GET
@login_required
@never_cache
def tokens(request: HttpRequest) -> HttpResponse:
    require_read(request, PART)
    holders = list(_holders(request.user))
    by_user = {t.user_id: t for t in Token.objects.filter(user__in=holders)}
    own = _state(by_user.get(request.user.pk))
    others = [
        {"user": u, "token": _state(by_user.get(u.pk))} for u in holders if u.pk != request.user.pk
    ]
    context = {"own": own, "others": others, "is_admin": request.user.effective_role == Role.ADMIN}
    return render(request, "configuration/handoff/tokens.html", context)


@require_POST
@login_required
@never_cache
def token_create(request: HttpRequest, user_id: int) -> HttpResponse:
    """Make a token and show it, this once. With one already, ask first (`replace=1` confirms)."""
    require_edit(request, PART)
    holder = _holder(request, user_id)
    try:
        token = api_token_create(
            user=holder, actor=request.user, replace=request.POST.get("replace") == "1"
        )
    except TokenExists:
        context = {"holder": holder, "own": holder.pk == request.user.pk}
        return render(request, "configuration/handoff/token_replace.html", context, status=409)
    context = {
        "holder": holder,
        "own": holder.pk == request.user.pk,
        "key": token.key,
        "expires_at": token_expires_at(token),
    }
    return render(request, "configuration/handoff/token_created.html", context, status=201)


@require_POST
@login_required
def token_remove(request: HttpRequest, user_id: int) -> HttpResponse:
    require_edit(request, PART)
    holder = _holder(request, user_id)
    if api_token_revoke(user=holder, actor=request.user):
        messages.success(
            request,
            _("Revoked the token of %(user)s: it stops working now.")
            % {"user": holder.get_username()},
        )
    else:
        messages.info(request, _("%(user)s has no token.") % {"user": holder.get_username()})
    return redirect("configuration:tokens")
