"""Each user's language and time zone (leadflow/locale.py): their choice over the browser's."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone, translation

from funnel.tests.factories import UserFactory
from leadflow.locale import UserLocaleMiddleware, user_language, user_time_zone


def _seen(user, accept_language="en"):
    """The language and time zone active while a view runs for `user`, and after."""
    seen = {}

    def view(request):
        seen["language"] = translation.get_language()
        seen["zone"] = timezone.get_current_timezone_name()
        return HttpResponse()

    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE=accept_language)
    request.user = user
    with translation.override(accept_language):  # as LocaleMiddleware leaves it
        UserLocaleMiddleware(view)(request)
    return seen


@pytest.mark.django_db
def test_a_users_choice_wins_over_the_browser():
    user = UserFactory(language="ru", time_zone="Asia/Tokyo")
    seen = _seen(user, accept_language="en")
    assert seen["language"] == "ru"
    assert seen["zone"] == "Asia/Tokyo"
    # Nothing is left over for the next request this thread serves.
    assert _seen(AnonymousUser())["zone"] == "UTC"


@pytest.mark.django_db
def test_no_choice_follows_the_browser_and_the_site_clock(settings):
    settings.TIME_ZONE = "Europe/Moscow"
    seen = _seen(UserFactory(language="", time_zone=""), accept_language="ru")
    assert seen == {"language": "ru", "zone": "Europe/Moscow"}
    assert _seen(AnonymousUser(), accept_language="ru")["language"] == "ru"


@pytest.mark.django_db
def test_email_speaks_the_users_language_or_the_sites():
    assert user_language(UserFactory(language="ru")) == "ru"
    assert user_language(UserFactory(language="")) == "en"
    # A zone that no longer exists (renamed in tzdata) reads as the site's, never an error.
    assert str(user_time_zone(UserFactory(time_zone="Mars/Olympus"))) == "UTC"


@pytest.mark.django_db
def test_pages_answer_in_the_chosen_language(client):
    user = UserFactory(language="ru")
    client.force_login(user)
    response = client.get("/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "ru"
    client.logout()
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response["Content-Language"] == "ru"
    assert "Accept-Language" in response["Vary"]
