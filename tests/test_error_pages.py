"""Error pages are the app's own pages, with a way back; the API docs have one too."""

import pytest
from django.test import Client
from django.urls import reverse

from funnel.models import Role
from funnel.tests.factories import UserFactory


@pytest.mark.django_db
def test_a_missing_page_is_the_apps_own_page(client, settings):
    settings.DEBUG = False
    client.force_login(UserFactory(role=Role.SALES))

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.text
    assert 'href="/"' in response.text and "leadflow" in response.text.lower()


@pytest.mark.django_db
def test_a_server_error_is_the_apps_own_page(settings):
    from django.urls import path

    def broken(request):
        raise RuntimeError("boom")

    settings.DEBUG = False
    settings.ROOT_URLCONF = type("urls", (), {"urlpatterns": [path("broken/", broken)]})
    response = Client(raise_request_exception=False).get("/broken/")

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "boom" not in response.text  # no traceback, no internals


@pytest.mark.django_db
def test_the_api_docs_lead_back_to_the_app(client):
    client.force_login(UserFactory(role=Role.SALES))

    response = client.get(reverse("api-docs"))

    assert response.status_code == 200
    assert "Back to Leadflow" in response.text and 'id="swagger-ui"' in response.text
