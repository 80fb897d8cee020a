"""The integrations admin opens for superusers and refuses staff without permissions."""

import pytest
from django.contrib import admin

from funnel.tests.admin_pages import admin_url
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.tests.factories import EventFactory, WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "integrations"),
    key=lambda model: model._meta.label,
)


@pytest.fixture
def every_model_has_a_row(admin_user):
    hook = WebhookSubscriptionFactory(owner=admin_user)
    WebhookDelivery.objects.create(subscription=hook, event=EventFactory())


def test_the_webhook_models_are_registered():
    assert [WebhookDelivery, WebhookSubscription] == REGISTERED


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_superuser_sees_every_changelist(admin_client, every_model_has_a_row, model):
    response = admin_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_superuser_sees_every_change_page(admin_client, every_model_has_a_row, model):
    obj = model._default_manager.first()

    response = admin_client.get(admin_url(model, "change", obj.pk))

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_staff_without_permissions_is_refused(staff_client, every_model_has_a_row, model):
    obj = model._default_manager.first()

    assert staff_client.get(admin_url(model, "changelist")).status_code == 403
    assert staff_client.get(admin_url(model, "change", obj.pk)).status_code == 403
