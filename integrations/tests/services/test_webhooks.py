"""Webhooks: signed deliveries to a real receiver on loopback, retries, dead letters, order."""

from __future__ import annotations

import datetime
import itertools
import socket
import threading
import time

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection, transaction
from django.urls import reverse

from funnel.models import Role
from funnel.tests.factories import UserFactory
from integrations.events import event_record, events_sequence
from integrations.models import (
    DeliveryStatus,
    Event,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from integrations.tests.fixtures import Received
from integrations.webhooks import (
    CLAIM_LEASE,
    REDELIVER_PENDING,
    REDIRECT_NOT_FOLLOWED,
    URL_SCHEME_REFUSED,
    WebhookError,
    webhook_dispatch,
    webhook_payload,
    webhook_redeliver,
    webhook_retry_delay,
    webhook_signature,
    webhook_signature_verify,
    webhook_subscription_create,
    webhook_sweep,
)

SECOND = datetime.timedelta(seconds=1)


def _event(n: int = 0, type: str = EventType.LEAD_CREATED) -> Event:
    with transaction.atomic():
        event = event_record(type=type, data={"lead": {"id": n}})
    events_sequence()  # committed, it is numbered as the feed and the dispatch number it
    event.refresh_from_db()
    return event


def _delivery(subscription, event) -> WebhookDelivery:
    return WebhookDelivery.objects.get(subscription=subscription, event=event)


def _sequences(requests: list[Received]) -> list[int]:
    return [r.payload["sequence"] for r in requests]


# --- what is sent ----------------------------------------------------------------------------


def test_the_payload_is_the_same_however_often_it_is_built(db):
    event = _event()
    assert webhook_payload(event) == webhook_payload(Event.objects.get(pk=event.pk))


# --- signatures ------------------------------------------------------------------------------


def test_a_signature_verifies_the_body_it_signed():
    body = b'{"id":"1"}'
    header = webhook_signature("s3cret", body, int(time.time()))

    assert webhook_signature_verify("s3cret", header, body) is True
    assert webhook_signature_verify("s3cret", header, body.decode()) is True


def test_a_tampered_body_or_another_secret_is_refused():
    body = b'{"id":"1","sequence":7}'
    header = webhook_signature("s3cret", body, int(time.time()))

    assert webhook_signature_verify("s3cret", header, b'{"id":"1","sequence":8}') is False
    assert webhook_signature_verify("other", header, body) is False


def test_a_stale_or_future_timestamp_is_refused():
    body = b"{}"
    signed_at = 1_800_000_000
    header = webhook_signature("s3cret", body, signed_at)

    assert webhook_signature_verify("s3cret", header, body, now=signed_at + 300) is True
    assert webhook_signature_verify("s3cret", header, body, now=signed_at + 301) is False
    assert webhook_signature_verify("s3cret", header, body, now=signed_at - 301) is False
    assert webhook_signature_verify("s3cret", header, body, 600, now=signed_at + 400) is True


@pytest.mark.parametrize(
    "header", ["", "t=abc,sha256=00", "sha256=00", "t=1800000000", "t=1800000000,sha256=é"]
)
def test_a_malformed_signature_header_is_refused(header):
    assert webhook_signature_verify("s3cret", header, b"{}", now=1_800_000_000) is False


# --- retries and dead letters ----------------------------------------------------------------


def test_the_retry_delay_doubles_from_30_seconds_and_the_12th_failure_is_the_last():
    delays = [webhook_retry_delay(n) for n in range(1, 12)]

    assert delays[0] == datetime.timedelta(seconds=30)
    assert delays[-1] == datetime.timedelta(minutes=512)
    assert all(later == 2 * earlier for earlier, later in itertools.pairwise(delays))
    # The last attempt comes about 17 hours after the first.
    assert sum(delays, datetime.timedelta()) == datetime.timedelta(seconds=30 * 2047)
    assert webhook_retry_delay(12) is None


def test_a_failed_attempt_is_retried_after_its_backoff(receiver, integration):
    subscription = receiver.subscribe(integration)
    event = _event()
    receiver.fail(times=1)
    start = event.occurred_at

    # When the first attempt gets a 500
    assert webhook_dispatch(event_id=event.pk, now=start) == 1

    # Then the delivery waits 30 s, with the attempt logged
    delivery = _delivery(subscription, event)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.next_attempt_at == start + 30 * SECOND
    assert delivery.last_status_code == 500
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code == 500
    assert attempt.at == start

    # And a sweep before then sends nothing; one after it delivers
    assert webhook_sweep(now=start + 29 * SECOND) == 0
    assert webhook_sweep(now=start + 30 * SECOND) == 1

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.delivered_at == start + 30 * SECOND
    assert [r.status for r in receiver.requests] == [500, 204]
    assert {r.headers["X-Leadflow-Delivery"] for r in receiver.requests} == {str(delivery.pk)}
    assert receiver.requests[1].verified is True


def test_a_receiver_that_keeps_failing_dead_letters_the_delivery_after_12_attempts(
    receiver, integration
):
    subscription = receiver.subscribe(integration)
    event = _event()
    receiver.fail()
    start = event.occurred_at
    webhook_dispatch(event_id=event.pk, now=start)

    # Sweep whenever the delivery is next due, until it is no longer pending
    delivery = _delivery(subscription, event)
    while delivery.status == DeliveryStatus.PENDING:
        assert webhook_sweep(now=delivery.next_attempt_at - SECOND) == 0
        assert webhook_sweep(now=delivery.next_attempt_at) == 1
        delivery.refresh_from_db()

    assert delivery.status == DeliveryStatus.DEAD
    assert delivery.attempts == 12
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == 12
    attempts = list(delivery.attempt_log.values_list("at", flat=True))
    waits = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert waits == [webhook_retry_delay(n) for n in range(1, 12)]
    assert webhook_sweep(now=attempts[-1] + datetime.timedelta(days=7)) == 0


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(receiver, integration):
    subscription = receiver.subscribe(integration)
    receiver.answers.append((302, {"Location": receiver.url("/elsewhere")}))
    event = _event()

    webhook_dispatch(event_id=event.pk)

    delivery = _delivery(subscription, event)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code == 302
    assert delivery.last_error == REDIRECT_NOT_FOLLOWED.format(location=receiver.url("/elsewhere"))
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_an_unreachable_receiver_is_a_failed_attempt_with_the_error(integration):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subscription = webhook_subscription_create(
        owner=integration, url=f"http://127.0.0.1:{port}/hook"
    )
    event = _event()

    webhook_dispatch(event_id=event.pk)

    delivery = _delivery(subscription, event)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.last_status_code is None
    assert "ConnectionRefusedError" in delivery.last_error
    assert delivery.attempt_log.get().error == delivery.last_error


def test_a_receiver_too_slow_to_answer_is_a_failed_attempt(receiver, integration, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    subscription = receiver.subscribe(integration)
    receiver.delay = 1.5
    event = _event()

    webhook_dispatch(event_id=event.pk)

    delivery = _delivery(subscription, event)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error == "No answer within 1 s."
    assert 900 <= delivery.attempt_log.get().duration_ms < 1500


def test_a_pending_delivery_is_not_queued_again(receiver, integration):
    subscription = receiver.subscribe(integration)
    receiver.fail()
    event = _event()
    webhook_dispatch(event_id=event.pk)
    delivery = _delivery(subscription, event)

    with pytest.raises(WebhookError, match="still pending") as refusal:
        webhook_redeliver(delivery=delivery, actor=integration)

    assert str(refusal.value) == REDELIVER_PENDING.format(id=delivery.pk)


# --- who gets what, once, in order ------------------------------------------------------------


def test_only_active_subscriptions_to_the_events_type_get_it(receiver, integration):
    everything = receiver.subscribe(integration, path="/all")
    receiver.subscribe(integration, path="/offers", events=[EventType.OFFER_CREATED])
    receiver.subscribe(integration, path="/paused", active=False)
    event = _event(type=EventType.LEAD_CREATED)

    webhook_dispatch(event_id=event.pk)

    assert [r.path for r in receiver.requests] == ["/all"]
    assert list(WebhookDelivery.objects.values_list("subscription", flat=True)) == [everything.pk]


def test_dispatching_an_event_twice_creates_and_sends_nothing_more(receiver, integration):
    first = receiver.subscribe(integration, path="/a")
    second = receiver.subscribe(integration, path="/b")
    event = _event()

    assert webhook_dispatch(event_id=event.pk) == 2
    assert webhook_dispatch(event_id=event.pk) == 0

    assert WebhookDelivery.objects.filter(event=event).count() == 2
    assert sorted(r.path for r in receiver.requests) == ["/a", "/b"]
    for subscription in (first, second):
        assert _delivery(subscription, event).attempt_log.count() == 1


def test_later_events_wait_behind_a_failed_delivery_then_follow_in_order(receiver, integration):
    subscription = receiver.subscribe(integration)
    receiver.fail()
    events = [_event(n) for n in range(3)]
    start = events[-1].occurred_at

    # While the receiver is down, only the first event is tried
    for event in events:
        webhook_dispatch(event_id=event.pk, now=start)
    assert _sequences(receiver.requests) == [events[0].pk]
    waiting = [_delivery(subscription, e) for e in events[1:]]
    assert [d.attempts for d in waiting] == [0, 0]

    # When it is back, the next sweep sends all three, in order
    receiver.recover()
    assert webhook_sweep(now=start + 30 * SECOND) == 3
    assert _sequences(receiver.delivered) == [e.pk for e in events]
    assert not WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()


def test_each_subscription_keeps_its_own_order(receiver, integration):
    down = receiver.subscribe(integration, path="/down")
    receiver.subscribe(integration, path="/up")
    events = [_event(n) for n in range(2)]
    receiver.broken.add("/down")

    for event in events:
        webhook_dispatch(event_id=event.pk)

    up = [r for r in receiver.delivered if r.path == "/up"]
    assert _sequences(up) == [e.pk for e in events]
    assert [d.attempts for d in down.deliveries.order_by("event_id")] == [1, 0]


def test_the_sweep_makes_up_for_a_dispatch_that_never_ran(receiver, integration):
    subscription = receiver.subscribe(integration)
    event = _event()  # its dispatch message is lost

    assert webhook_sweep(now=event.occurred_at + 30 * SECOND) == 0
    assert webhook_sweep(now=event.occurred_at + 2 * 60 * SECOND) == 1

    assert _delivery(subscription, event).status == DeliveryStatus.DELIVERED
    assert _sequences(receiver.delivered) == [event.pk]


def test_a_subscription_hears_of_no_event_older_than_itself_from_the_sweep(receiver, integration):
    event = _event()
    receiver.subscribe(integration)

    webhook_sweep(now=event.occurred_at + 2 * 60 * SECOND)

    assert receiver.requests == []


def test_a_sender_killed_mid_send_leaves_its_claim_to_a_sweep_after_the_lease(
    receiver, integration, monkeypatch
):
    subscription = receiver.subscribe(integration)
    event = _event()
    start = event.occurred_at

    def killed(claimed):
        raise SystemExit("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr("integrations.webhooks._post", killed)
        with pytest.raises(SystemExit):
            webhook_dispatch(event_id=event.pk, now=start)

    assert webhook_sweep(now=start + CLAIM_LEASE - SECOND) == 0
    assert webhook_sweep(now=start + CLAIM_LEASE) == 1
    assert _delivery(subscription, event).status == DeliveryStatus.DELIVERED
    assert len(receiver.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_delivery_once_and_in_order(receiver, dispatches):
    """Two workers sweep 20 subscriptions' backlogs of 5 events each, at the same time."""
    integration = UserFactory(username="crm_sync", role=Role.INTEGRATION)
    subscriptions = [receiver.subscribe(integration, path=f"/hook/{n}") for n in range(20)]
    receiver.fail()
    events = [_event(n) for n in range(5)]
    start = events[-1].occurred_at
    for event in events:
        webhook_dispatch(event_id=event.pk, now=start)
    assert len(receiver.requests) == 20  # each subscription's first delivery failed
    receiver.recover()
    go = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def sweep(i: int) -> None:
        try:
            go.wait()
            outcomes[i] = webhook_sweep(now=start + 30 * SECOND, batch_size=3)
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert sum(outcomes) == 100
    delivered = receiver.delivered
    assert len(delivered) == 100
    assert len({r.headers["X-Leadflow-Delivery"] for r in delivered}) == 100
    for subscription in subscriptions:
        path = subscription.url.rsplit(str(receiver.server.server_port), 1)[1]
        mine = [r for r in delivered if r.path == path]
        assert _sequences(mine) == [e.pk for e in events]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert WebhookAttempt.objects.count() == 120


# --- the admin -------------------------------------------------------------------------------


def test_the_admin_redeliver_action_queues_a_dead_letter_again(
    admin_client, receiver, integration, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    subscription = receiver.subscribe(integration)
    receiver.fail()
    dead, delivered = _event(1), _event(2)
    webhook_dispatch(event_id=dead.pk)
    receiver.recover()
    webhook_dispatch(event_id=delivered.pk)
    deliveries = [_delivery(subscription, e) for e in (dead, delivered)]
    assert [d.status for d in deliveries] == [DeliveryStatus.DEAD, DeliveryStatus.DELIVERED]
    settings.WEBHOOK_MAX_ATTEMPTS = 12
    receiver.fail()
    webhook_dispatch(event_id=_event(3).pk)
    pending = WebhookDelivery.objects.get(status=DeliveryStatus.PENDING)

    response = admin_client.post(
        reverse("admin:integrations_webhookdelivery_changelist"),
        {"action": "redeliver", "_selected_action": [d.pk for d in [*deliveries, pending]]},
        follow=True,
    )

    assert response.status_code == 200
    assert "2 queued again; 1 still pending, left as is." in response.content.decode()
    for delivery in deliveries:
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
        assert LogEntry.objects.filter(object_id=str(delivery.pk)).exists()
    change = reverse("admin:integrations_webhookdelivery_change", args=[deliveries[0].pk])
    page = admin_client.get(change)
    assert page.status_code == 200
    assert "Attempts" in page.content.decode()
    listing = admin_client.get(reverse("admin:integrations_webhooksubscription_changelist"))
    assert listing.status_code == 200


def test_the_admin_refuses_a_webhook_url_that_is_not_http(admin_client, integration):
    response = admin_client.post(
        reverse("admin:integrations_webhooksubscription_add"),
        {
            "url": "ftp://crm.example.com/hook",
            "events": ["lead.created"],
            "active": "on",
            "owner": integration.pk,
            "secret": "s" * 32,
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"url": [URL_SCHEME_REFUSED]}
    assert not WebhookSubscription.objects.exists()
