"""The integrations API: webhook subscriptions, their deliveries, and the event feed."""

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from funnel.models import Role
from integrations.events import event_record, events_sequence
from integrations.models import (
    DeliveryStatus,
    Event,
    EventType,
    WebhookDelivery,
    WebhookSubscription,
)
from integrations.tasks import webhook_dispatch_task
from integrations.tests.fixtures import WebhookReceiver
from integrations.webhooks import (
    EVENTS_UNKNOWN,
    URL_SCHEME_REFUSED,
    webhook_dispatch,
    webhook_payload,
    webhook_subscription_create,
    webhook_sweep,
)

WEBHOOKS = "/api/v1/webhooks/"
EVENTS = "/api/v1/events/"


@pytest.fixture(autouse=True)
def _dispatches(monkeypatch):
    """Dispatch enqueues are recorded, not sent to Redis; tests call webhook_dispatch."""
    monkeypatch.setattr(webhook_dispatch_task, "delay", lambda event_id: None)


@pytest.fixture
def receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def crm(api_as):
    return api_as(Role.INTEGRATION, username="crm")


def _event(n: int = 0, type: str = EventType.LEAD_CREATED) -> Event:
    with transaction.atomic():
        event = event_record(type=type, data={"lead": {"id": n}})
    events_sequence()  # committed, it is numbered as the feed and the dispatch number it
    event.refresh_from_db()
    return event


def _subscribe(client: APIClient, receiver: WebhookReceiver, path: str = "/hook", **fields):
    response = client.post(WEBHOOKS, {"url": receiver.url(path), **fields})
    assert response.status_code == 201, response.data
    receiver.secrets[path] = response.data["secret"]
    return response.data


# --- subscriptions ---------------------------------------------------------------------------


def test_an_integration_subscribes_and_is_shown_a_generated_secret(crm):
    response = crm.post(
        WEBHOOKS,
        {
            "url": "https://crm.example.com/leadflow",
            "events": ["lead.created", "offer.accepted"],
            "description": "CRM sync",
        },
    )

    assert response.status_code == 201, response.data
    body = response.data
    assert body["url"] == "https://crm.example.com/leadflow"
    assert body["events"] == ["lead.created", "offer.accepted"]
    assert body["active"] is True
    assert body["owner"] == "crm"
    assert len(body["secret"]) >= 32
    assert "secret" not in crm.get(f"{WEBHOOKS}{body['id']}/").data  # shown once only


def test_a_secret_given_is_kept(crm):
    response = crm.post(WEBHOOKS, {"url": "https://crm.example.com/", "secret": "x" * 20})

    assert response.data["secret"] == "x" * 20


@pytest.mark.parametrize("url", ["ftp://crm.example.com/hook", "file:///etc/passwd"])
def test_a_url_that_is_not_http_or_https_is_refused(crm, url):
    response = crm.post(WEBHOOKS, {"url": url})

    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert "url" in response.data["errors"]
    if url.startswith("ftp"):
        assert response.data["errors"]["url"] == [URL_SCHEME_REFUSED]


def test_something_that_is_not_a_url_is_refused(crm):
    response = crm.post(WEBHOOKS, {"url": "crm.example.com hook"})

    assert response.status_code == 400
    assert list(response.data["errors"]) == ["url"]


def test_unknown_event_types_are_refused_by_name(crm):
    response = crm.post(
        WEBHOOKS,
        {"url": "https://crm.example.com/", "events": ["lead.created", "lead.deleted", "x"]},
    )

    assert response.status_code == 400
    [message] = response.data["errors"]["events"]
    assert message == EVENTS_UNKNOWN.format(
        unknown="lead.deleted, x", known=", ".join(EventType.values)
    )


def test_unknown_fields_are_refused(crm):
    response = crm.post(WEBHOOKS, {"url": "https://crm.example.com/", "owner": "admin"})

    assert response.status_code == 400
    assert response.data["errors"] == {"owner": ["Unknown field."]}


def test_an_integration_sees_and_changes_only_its_own_subscriptions(crm, api_as):
    other = api_as(Role.INTEGRATION, username="map")
    mine = crm.post(WEBHOOKS, {"url": "https://crm.example.com/"}).data
    theirs = other.post(WEBHOOKS, {"url": "https://map.example.com/"}).data

    listed = crm.get(WEBHOOKS).data
    assert [s["id"] for s in listed["results"]] == [mine["id"]]
    assert listed["count"] == 1
    url = f"{WEBHOOKS}{theirs['id']}/"
    assert crm.get(url).status_code == 404
    assert crm.patch(url, {"active": False}).status_code == 404
    assert crm.delete(url).status_code == 404
    assert crm.get(f"{url}deliveries/").status_code == 404
    assert other.get(url).data["active"] is True


def test_an_admin_sees_every_subscription_but_no_secret(crm, api_as):
    admin = api_as(Role.ADMIN, username="boss")
    theirs = crm.post(WEBHOOKS, {"url": "https://crm.example.com/"}).data
    own = admin.post(WEBHOOKS, {"url": "https://ops.example.com/"}).data

    listed = {s["id"]: s for s in admin.get(WEBHOOKS).data["results"]}

    assert set(listed) == {theirs["id"], own["id"]}
    assert all("secret" not in s for s in listed.values())
    assert admin.patch(f"{WEBHOOKS}{theirs['id']}/", {"active": False}).status_code == 200


@pytest.mark.parametrize("role", [Role.SALES, Role.INSIDE, Role.MANAGER, Role.MARKETING])
def test_other_roles_may_not_use_webhooks(api_as, role):
    client = api_as(role)

    assert client.get(WEBHOOKS).status_code == 403
    response = client.post(WEBHOOKS, {"url": "https://crm.example.com/"})
    assert response.status_code == 403
    assert response.data["code"] == "permission_denied"


def test_anonymous_requests_are_refused(db):
    assert APIClient().get(WEBHOOKS).status_code == 401
    assert APIClient().get(EVENTS).status_code == 401


def test_a_subscription_is_changed_paused_and_deleted(crm):
    created = crm.post(WEBHOOKS, {"url": "https://crm.example.com/"}).data
    url = f"{WEBHOOKS}{created['id']}/"

    changed = crm.patch(url, {"events": ["offer.accepted"], "active": False, "secret": "y" * 16})
    assert changed.status_code == 200, changed.data
    assert changed.data["events"] == ["offer.accepted"]
    assert changed.data["active"] is False
    assert "secret" not in changed.data
    assert WebhookSubscription.objects.get(pk=created["id"]).secret == "y" * 16
    assert changed.data["url"] == "https://crm.example.com/"

    assert crm.patch(url, {"url": "ftp://crm.example.com/"}).status_code == 400
    assert crm.patch(url, {"events": ["nope"]}).status_code == 400

    assert crm.delete(url).status_code == 204
    assert crm.get(url).status_code == 404


# --- deliveries and redelivery ---------------------------------------------------------------


def test_a_dead_letter_is_redelivered_through_the_api_once_the_receiver_recovers(crm, receiver):
    subscription = _subscribe(crm, receiver)
    receiver.fail()
    event = _event()
    webhook_dispatch(event_id=event.pk, now=event.occurred_at)
    delivery = WebhookDelivery.objects.get()
    # Given a receiver down through all 12 attempts
    while delivery.status == DeliveryStatus.PENDING:
        webhook_sweep(now=delivery.next_attempt_at)
        delivery.refresh_from_db()
    dead = crm.get(f"{WEBHOOKS}{subscription['id']}/deliveries/", {"status": "dead"}).data
    assert dead["count"] == 1
    [listed] = dead["results"]
    assert listed["id"] == delivery.pk
    assert listed["status"] == "dead"
    assert listed["attempts"] == 12
    assert listed["last_status_code"] == 500
    assert (listed["event"], listed["sequence"]) == (str(event.uid), event.pk)
    assert len(receiver.requests) == 12

    # When it is back, and the delivery is queued again
    receiver.recover()
    response = crm.post(f"{WEBHOOKS}deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 200, response.data
    assert response.data["status"] == "pending"
    assert response.data["attempts"] == 0

    # Then the next sweep delivers it, once
    assert webhook_sweep() == 1
    assert webhook_sweep() == 0
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1
    assert delivery.attempt_log.count() == 13
    assert [r.payload["id"] for r in receiver.delivered] == [str(event.uid)]
    assert receiver.delivered[0].verified is True


def test_a_pending_delivery_is_not_queued_again(crm, receiver):
    _subscribe(crm, receiver)
    receiver.fail()
    event = _event()
    webhook_dispatch(event_id=event.pk)
    delivery = WebhookDelivery.objects.get()

    response = crm.post(f"{WEBHOOKS}deliveries/{delivery.pk}/redeliver/")

    assert response.status_code == 409
    assert response.data["code"] == "delivery_pending"


def test_another_integrations_delivery_cannot_be_redelivered(crm, api_as, receiver):
    _subscribe(crm, receiver)
    event = _event()
    webhook_dispatch(event_id=event.pk)
    delivery = WebhookDelivery.objects.get()
    other = api_as(Role.INTEGRATION, username="map")
    redeliver = f"{WEBHOOKS}deliveries/{delivery.pk}/redeliver/"

    assert other.post(redeliver).status_code == 404
    assert api_as(Role.ADMIN).post(redeliver).status_code == 200


def test_deliveries_are_listed_newest_first_a_page_at_a_time(crm, receiver):
    subscription = _subscribe(crm, receiver)
    events = [_event(n) for n in range(3)]
    for event in events:
        webhook_dispatch(event_id=event.pk)
    url = f"{WEBHOOKS}{subscription['id']}/deliveries/"

    first = crm.get(url, {"page_size": 2}).data

    assert first["count"] == 3
    assert [d["sequence"] for d in first["results"]] == [events[2].pk, events[1].pk]
    assert first["next"] is not None
    assert crm.get(url, {"status": "delivered"}).data["count"] == 3
    assert crm.get(url, {"status": "dead"}).data["count"] == 0
    assert crm.get(url, {"status": "lost"}).status_code == 400


# --- the event feed --------------------------------------------------------------------------


def test_events_after_a_sequence_are_listed_oldest_first(crm):
    events = [_event(n) for n in range(4)]

    response = crm.get(EVENTS, {"after": events[1].pk})

    assert response.status_code == 200
    assert response.data["count"] == 2
    assert response.data["results"] == [webhook_payload(e) for e in events[2:]]
    assert set(response.data) == {"count", "next", "previous", "results"}


def test_the_feed_shows_an_event_exactly_as_its_webhook_carries_it(crm, receiver):
    _subscribe(crm, receiver)
    event = _event()
    webhook_dispatch(event_id=event.pk)

    [item] = crm.get(EVENTS).data["results"]

    assert item == receiver.requests[0].payload
    assert set(item) == {"id", "sequence", "type", "occurred_at", "data"}


def test_a_replay_by_sequence_returns_exactly_the_events_missed_while_the_receiver_was_down(
    crm, receiver
):
    _subscribe(crm, receiver)
    before = _event(0)
    webhook_dispatch(event_id=before.pk)
    last_seen = receiver.delivered[-1].payload["sequence"]
    # While the receiver is down, three events happen
    receiver.fail()
    missed = [
        _event(n, type=t)
        for n, t in enumerate(["lead.created", "offer.created", "lead.stage_changed"])
    ]
    for event in missed:
        webhook_dispatch(event_id=event.pk)
    assert receiver.delivered[-1].payload["sequence"] == last_seen

    # Then reading the feed after the last sequence seen returns exactly those, in order
    replay = crm.get(EVENTS, {"after": last_seen}).data

    assert [e["sequence"] for e in replay["results"]] == [e.pk for e in missed]
    assert [e["id"] for e in replay["results"]] == [str(e.uid) for e in missed]
    assert replay["next"] is None


def test_the_feed_pages_and_filters_by_type(crm):
    created = [_event(n) for n in range(3)]
    offered = _event(9, type=EventType.OFFER_CREATED)

    page = crm.get(EVENTS, {"page_size": 2}).data
    assert [e["sequence"] for e in page["results"]] == [e.pk for e in created[:2]]
    following = crm.get(page["next"]).data
    assert [e["sequence"] for e in following["results"]] == [created[2].pk, offered.pk]

    only = crm.get(EVENTS, {"type": "offer.created"}).data
    assert [e["sequence"] for e in only["results"]] == [offered.pk]


def test_a_page_holds_at_most_500_events(crm):
    Event.objects.bulk_create(Event(type=EventType.LEAD_CREATED) for _ in range(501))

    page = crm.get(EVENTS, {"page_size": 1000}).data

    assert len(page["results"]) == 500
    assert page["count"] == 501


@pytest.mark.parametrize("after", ["abc", "1.5", "-1"])
def test_an_after_that_is_not_a_sequence_number_is_refused(crm, after):
    response = crm.get(EVENTS, {"after": after})

    assert response.status_code == 400
    assert list(response.data["errors"]) == ["after"]


def test_an_unknown_type_filter_is_refused(crm):
    response = crm.get(EVENTS, {"type": "lead.deleted"})

    assert response.status_code == 400
    assert list(response.data["errors"]) == ["type"]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ADMIN, 200),
        (Role.INTEGRATION, 200),
        (Role.MARKETING, 200),
        (Role.SALES, 403),
        (Role.INSIDE, 403),
        (Role.MANAGER, 403),
    ],
)
def test_the_feed_is_for_admins_integrations_and_marketing(api_as, role, status):
    assert api_as(role).get(EVENTS).status_code == status


def test_a_subscription_created_by_the_api_receives_signed_events(crm, receiver):
    _subscribe(crm, receiver, events=["lead.created"])
    for event in (_event(1), _event(2, type=EventType.OFFER_CREATED)):
        webhook_dispatch(event_id=event.pk)

    [request] = receiver.requests

    assert request.verified is True
    assert request.payload["type"] == "lead.created"


def test_the_service_and_the_api_make_the_same_subscription(crm):
    made = webhook_subscription_create(owner=crm.user, url="https://crm.example.com/")

    shown = crm.get(f"{WEBHOOKS}{made.pk}/").data

    assert (shown["url"], shown["events"], shown["owner"]) == (made.url, [], "crm")
