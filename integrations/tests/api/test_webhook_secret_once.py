"""A webhook's secret is shown once: in the answer that makes it, or that rotates it."""

import pytest
from rest_framework.test import APIClient

from funnel.models import Role
from funnel.tests.admin_pages import admin_url
from integrations.models import WebhookSubscription
from integrations.tests.factories import WebhookSubscriptionFactory
from integrations.webhooks import webhook_dispatch, webhook_signature_verify

from .test_integrations import WEBHOOKS, _event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _dispatches(dispatches):
    """Dispatch enqueues are recorded, not sent to Redis; tests call webhook_dispatch."""


@pytest.fixture
def crm(api_as):
    return api_as(Role.INTEGRATION, username="crm")


def _rotate(client: APIClient, pk: int):
    return client.post(f"{WEBHOOKS}{pk}/rotate-secret/")


# --- made: shown once --------------------------------------------------------------------------


def test_the_create_answer_shows_the_generated_secret(crm):
    response = crm.post(WEBHOOKS, {"url": "https://crm.example.com/"})

    assert response.status_code == 201
    assert response.data["secret"] == WebhookSubscription.objects.get().secret
    assert len(response.data["secret"]) >= 32


def test_the_create_answer_shows_a_given_secret(crm):
    response = crm.post(WEBHOOKS, {"url": "https://crm.example.com/", "secret": "s" * 20})

    assert response.data["secret"] == "s" * 20


def test_the_owner_never_sees_the_secret_again(crm):
    created = crm.post(WEBHOOKS, {"url": "https://crm.example.com/"}).data
    url = f"{WEBHOOKS}{created['id']}/"

    answers = [
        crm.get(url),
        crm.get(WEBHOOKS),
        crm.patch(url, {"description": "CRM", "secret": "n" * 16}),
    ]

    assert [a.status_code for a in answers] == [200, 200, 200]
    shown, listed, changed = answers[0].data, answers[1].data["results"][0], answers[2].data
    for body in (shown, listed, changed):
        assert "secret" not in body
        assert created["secret"] not in str(body)
    assert "n" * 16 not in str(changed)


@pytest.mark.parametrize("who", ["admin", "superuser"])
def test_an_admin_or_superuser_never_sees_a_secret(crm, api_as, who):
    boss = (
        api_as(Role.ADMIN, username="boss")
        if who == "admin"
        else api_as(Role.SALES, username="root", is_superuser=True, is_staff=True)
    )
    theirs = crm.post(WEBHOOKS, {"url": "https://crm.example.com/"}).data
    own = boss.post(WEBHOOKS, {"url": "https://ops.example.com/"}).data
    assert "secret" in own  # their own create answer, once

    bodies = [
        *boss.get(WEBHOOKS).data["results"],
        boss.get(f"{WEBHOOKS}{theirs['id']}/").data,
        boss.get(f"{WEBHOOKS}{own['id']}/").data,
        boss.patch(f"{WEBHOOKS}{theirs['id']}/", {"active": False}).data,
    ]

    assert len(bodies) == 5
    for body in bodies:
        assert "secret" not in body
        assert theirs["secret"] not in str(body) and own["secret"] not in str(body)


# --- rotated: the new one shown once, and signing -----------------------------------------------


def test_a_rotation_answers_a_new_secret_once(crm):
    created = crm.post(WEBHOOKS, {"url": "https://crm.example.com/"}).data

    rotated = _rotate(crm, created["id"])

    assert rotated.status_code == 200
    assert rotated.data["id"] == created["id"]
    assert rotated.data["secret"] != created["secret"]
    assert rotated.data["secret"] == WebhookSubscription.objects.get().secret
    assert "secret" not in crm.get(f"{WEBHOOKS}{created['id']}/").data


def test_after_a_rotation_requests_are_signed_with_the_new_secret_only(crm, receiver):
    created = crm.post(WEBHOOKS, {"url": receiver.url("/hook")}).data
    new = _rotate(crm, created["id"]).data["secret"]
    receiver.secrets["/hook"] = new

    webhook_dispatch(event_id=_event().pk)

    [request] = receiver.requests
    assert request.verified is True
    signature = request.headers["X-Leadflow-Signature"]
    assert webhook_signature_verify(created["secret"], signature, request.body) is False


def test_an_admin_may_rotate_anyones_secret(crm, api_as):
    created = crm.post(WEBHOOKS, {"url": "https://crm.example.com/"}).data

    rotated = _rotate(api_as(Role.ADMIN), created["id"])

    assert rotated.status_code == 200
    assert rotated.data["secret"] == WebhookSubscription.objects.get().secret != created["secret"]


def test_another_integration_cannot_rotate_a_secret_nor_learn_the_webhook_exists(crm, api_as):
    created = crm.post(WEBHOOKS, {"url": "https://crm.example.com/"}).data

    response = _rotate(api_as(Role.INTEGRATION, username="map"), created["id"])

    assert response.status_code == 404
    assert response.data["code"] == "not_found"
    assert WebhookSubscription.objects.get().secret == created["secret"]


@pytest.mark.parametrize("role", [Role.SALES, Role.INSIDE, Role.MANAGER, Role.MARKETING])
def test_other_roles_cannot_rotate_a_secret(api_as, role):
    subscription = WebhookSubscriptionFactory()

    assert _rotate(api_as(role), subscription.pk).status_code == 403
    assert _rotate(APIClient(), subscription.pk).status_code == 401
    assert WebhookSubscription.objects.get().secret == subscription.secret


# --- the contract and the admin ------------------------------------------------------------------


def test_the_schema_says_the_secret_is_shown_once_and_only_on_create_and_rotate(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    webhooks = schema["paths"]["/api/v1/webhooks/"]
    rotate = schema["paths"]["/api/v1/webhooks/{id}/rotate-secret/"]

    created = webhooks["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    rotated = rotate["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert created == rotated == {"$ref": "#/components/schemas/WebhookSecretOutput"}
    assert "Shown once" in components["WebhookSecretOutput"]["properties"]["secret"]["description"]
    assert "secret" in components["WebhookSecretOutput"]["required"]
    assert "secret" not in components["WebhookOutput"]["properties"]


def test_the_admin_shows_no_secret(admin_client, admin_user):
    subscription = WebhookSubscriptionFactory(owner=admin_user)

    change = admin_client.get(admin_url(WebhookSubscription, "change", subscription.pk))
    listed = admin_client.get(admin_url(WebhookSubscription, "changelist"))

    assert change.status_code == listed.status_code == 200
    assert "secret" not in change.context["adminform"].form.fields
    assert subscription.secret not in change.content.decode()
    assert subscription.secret not in listed.content.decode()
    assert "••••" in change.content.decode()
