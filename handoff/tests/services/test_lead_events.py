"""A lead's changes reach integrations as signed webhooks, in the change's transaction."""

from handoff.services.leads import lead_create, lead_transition
from integrations.models import DeliveryStatus, Event, EventType, WebhookDelivery
from integrations.webhooks import webhook_dispatch


def _delivery(subscription, event) -> WebhookDelivery:
    return WebhookDelivery.objects.get(subscription=subscription, event=event)


def test_an_event_is_posted_signed_to_its_subscriber(funnel, receiver, integration, dispatches):
    subscription = receiver.subscribe(integration)
    lead = lead_create(actor=None, email="ada@example.com", first_name="Ada")
    event = Event.objects.get(type=EventType.LEAD_CREATED)

    assert webhook_dispatch(event_id=event.pk) == 1

    [request] = receiver.requests
    assert request.verified is True
    delivery = _delivery(subscription, event)
    assert request.headers["X-Leadflow-Event"] == "lead.created"
    assert request.headers["X-Leadflow-Delivery"] == str(delivery.pk)
    assert request.headers["Content-Type"] == "application/json"
    assert request.payload == {
        "id": str(event.uid),
        "sequence": event.pk,
        "type": "lead.created",
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }
    assert request.payload["data"]["lead"]["id"] == lead.pk
    assert request.payload["data"]["lead"]["email"] == "ada@example.com"
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1
    assert delivery.next_attempt_at is None
    [attempt] = delivery.attempt_log.all()
    assert (attempt.status_code, attempt.error) == (204, "")


def test_a_stage_change_carries_the_previous_and_the_new_stage(
    funnel, receiver, integration, dispatches
):
    receiver.subscribe(integration, events=[EventType.LEAD_STAGE_CHANGED])
    lead = lead_create(actor=None, email="ada@example.com")
    lead_transition(lead=lead, to="mql", actor=None)

    for event in Event.objects.all():
        webhook_dispatch(event_id=event.pk)

    [request] = receiver.requests
    data = request.payload["data"]
    assert data["changes"]["stage"] == {"from": "inquiry", "to": "mql"}
    assert data["lead"]["stage"] == "mql"


def test_committing_a_change_enqueues_the_dispatch_of_its_event(
    funnel, dispatches, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lead_create(actor=None, email="ada@example.com")

    assert dispatches == [Event.objects.get(type=EventType.LEAD_CREATED).pk]
