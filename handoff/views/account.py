"""The signed-in user's own things: notifications, how each is delivered, time away, the
language and time zone pages and emails use.

Plain pages and forms (each POST redirects back), so they work without htmx; each write is one
service call.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from handoff.forms import PreferencesForm, ReadAllForm
from handoff.selectors import account_get, notification_deliveries, notification_list
from handoff.services.account import preferences_update
from handoff.services.notifications import notification_mark_read, notifications_mark_read

NOTIFICATIONS_PAGE_SIZE = 20
# Marked for translation, translated where shown: the constant stays the English text tests
# look for in a page.
PREFERENCES_SAVED = gettext_noop("Saved.")
READ_ALL_REFUSED = gettext_lazy("Nothing was marked read: reload the page and try again.")


def _back_to_list(request: HttpRequest) -> HttpResponse:
    # To the page the user was on: the action's URL carries it.
    url = reverse("handoff:notifications")
    page = request.GET.get("page", "")
    return redirect(f"{url}?page={page}" if page.isdigit() and page != "1" else url)


@require_GET
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(notification_list(user=request.user), NOTIFICATIONS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "seen_at": timezone.now(), "read_all": ReadAllForm()}
    return render(request, "handoff/account/notifications.html", context)


@require_POST
@login_required
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    # Only the user's own: anyone else's id is a 404, as if it did not exist.
    notification = get_object_or_404(notification_list(user=request.user), pk=notification_id)
    notification_mark_read(notification=notification)
    return _back_to_list(request)


@require_POST
@login_required
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    form = ReadAllForm(request.POST)
    if form.is_valid():
        notifications_mark_read(user=request.user, seen_at=form.cleaned_data["seen_at"])
    else:
        messages.error(request, READ_ALL_REFUSED)
    return _back_to_list(request)


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    account = account_get(user=request.user)
    deliveries = notification_deliveries(user=request.user)
    initial = PreferencesForm.initial_for(account, deliveries, user=request.user)
    data = request.POST if request.method == "POST" else None
    form = PreferencesForm(data, initial=initial, today=account.today)
    if form.is_valid():
        preferences_update(
            user=request.user,
            away_from=form.cleaned_data["away_from"],
            away_until=form.cleaned_data["away_until"],
            deliveries=form.deliveries,
            language=form.cleaned_data["language"],
            time_zone=form.cleaned_data["time_zone"],
        )
        # The confirmation in the language the next page is in (UserLocaleMiddleware activates
        # the one just chosen; blank, the browser's).
        language = request.user.language or translation.get_language_from_request(request)
        with translation.override(language):
            messages.success(request, _(PREFERENCES_SAVED))
        return redirect("handoff:preferences")
    context = {"form": form, "away_set": not account.away_over}
    return render(request, "handoff/account/preferences.html", context)
