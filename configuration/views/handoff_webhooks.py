"""/settings/webhooks/: subscriptions to events, as the webhooks API offers them.

The same people as the API (admins: everyone's; integration users: their own, another's by id
is not found) and the same services (integrations.webhooks): a URL the target check refuses
(private addresses) is refused on the form. The secret is shown once, in the answer to the
POST that made or rotated it, never on a later page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from funnel.models import Role
from integrations.models import WebhookSubscription
from integrations.webhooks import (
    webhook_delivery_list,
    webhook_secret_rotate,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_list,
    webhook_subscription_update,
)

from ..forms_handoff import WebhookForm
from .handoff_common import recent_changes, require_edit

PART = "webhooks"
DELIVERIES_LISTED = 20


def _subscription(request, pk: int) -> WebhookSubscription:
    return get_object_or_404(webhook_subscription_list(user=request.user), pk=pk)


def _errors_to_form(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _secret_page(request, subscription: WebhookSubscription, *, made: bool) -> HttpResponse:
    context = {"subscription": subscription, "secret": subscription.secret, "made": made}
    return render(
        request,
        "configuration/handoff/webhook_secret.html",
        context,
        status=201 if made else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def webhooks(request: HttpRequest) -> HttpResponse:
    """The user's subscriptions (an admin's: everyone's), and a form to add one."""
    require_edit(request, PART)
    status = 200
    if request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                subscription = webhook_subscription_create(owner=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                return _secret_page(request, subscription, made=True)
        status = 400
    else:
        form = WebhookForm()
    subscriptions = webhook_subscription_list(user=request.user)
    context = {
        "subscriptions": subscriptions,
        "form": form,
        # An admin's trail is every subscription's, deleted ones too; anyone else's only
        # that of the subscriptions they may see (another integration's URL is not theirs).
        "audit": recent_changes(
            WebhookSubscription if request.user.effective_role == Role.ADMIN else subscriptions
        ),
    }
    return render(request, "configuration/handoff/webhooks.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def webhook(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a subscription's URL, events and active flag; its last deliveries."""
    require_edit(request, PART)
    subscription = _subscription(request, pk)
    status = 200
    if request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                subscription = webhook_subscription_update(
                    subscription=subscription, fields=form.cleaned_data
                )
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(
                    request, _("Saved the webhook to %(url)s.") % {"url": subscription.url}
                )
                return redirect("configuration:webhook", pk=subscription.pk)
        status = 400
    else:
        form = WebhookForm(
            initial={
                "url": subscription.url,
                "events": subscription.events,
                "description": subscription.description,
                "active": subscription.active,
            }
        )
    context = {
        "subscription": subscription,
        "form": form,
        "deliveries": webhook_delivery_list(subscription=subscription)[:DELIVERIES_LISTED],
        "audit": recent_changes(subscription),
    }
    return render(request, "configuration/handoff/webhook_edit.html", context, status=status)


@require_POST
@login_required
@never_cache
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    """A new secret signs every request from now on; this answer shows it, once."""
    require_edit(request, PART)
    subscription = webhook_secret_rotate(
        subscription=_subscription(request, pk), actor=request.user
    )
    return _secret_page(request, subscription, made=False)


@require_POST
@login_required
def webhook_remove(request: HttpRequest, pk: int) -> HttpResponse:
    require_edit(request, PART)
    subscription = _subscription(request, pk)
    url = subscription.url
    webhook_subscription_delete(subscription=subscription)
    messages.success(request, _("Deleted the webhook to %(url)s.") % {"url": url})
    return redirect("configuration:webhooks")
