import factory

from funnel.models import Role
from funnel.tests.factories import UserFactory
from integrations.models import Event, EventType, WebhookSubscription


class EventFactory(factory.django.DjangoModelFactory):
    """An event in the outbox, as if a change had just written it."""

    class Meta:
        model = Event

    type = EventType.LEAD_CREATED
    data = factory.Sequence(lambda n: {"lead": {"id": n}})


class WebhookSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookSubscription

    url = factory.Sequence(lambda n: f"https://crm.example.com/hook/{n}")
    owner = factory.SubFactory(UserFactory, role=Role.INTEGRATION)
