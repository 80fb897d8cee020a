"""Webhooks go to public addresses only: refused when a URL is set, and at each connection.

No test here uses the network: names are resolved by a stand-in for getaddrinfo, and IP
literals resolve without DNS.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from funnel.models import Role
from funnel.tests.admin_pages import admin_url
from integrations.events import event_record, events_sequence
from integrations.models import (
    DeliveryStatus,
    Event,
    EventType,
    WebhookDelivery,
    WebhookSubscription,
)
from integrations.targets import (
    TARGET_REFUSED,
    address_kind,
    target_connect,
    webhook_target_refusal,
)
from integrations.webhooks import webhook_dispatch, webhook_subscription_create

pytestmark = pytest.mark.usefixtures("dispatches")

WEBHOOKS = "/api/v1/webhooks/"
PUBLIC = "93.184.216.34"


def _event() -> Event:
    with transaction.atomic():
        event = event_record(type=EventType.LEAD_CREATED, data={"lead": {"id": 1}})
    events_sequence()  # committed, it is numbered as the dispatch numbers it
    event.refresh_from_db()
    return event


@pytest.fixture
def private_refused(settings):
    """The production rule: the test settings allow private targets for the loopback receiver."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False


@pytest.fixture
def dns(monkeypatch):
    """`dns["name"] = [addresses]`: what getaddrinfo answers for a name; IP literals as usual."""
    names: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host not in names:
            return real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        if not names[host]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (ip, port, 0, 0) if ":" in ip else (ip, port),
            )
            for ip in names[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


class Listener:
    """A tiny HTTP server on 127.0.0.1 that counts every connection made to it."""

    def __init__(self):
        self.connections = 0
        listener = self

        class Server(ThreadingHTTPServer):
            def verify_request(self, request, client_address):
                listener.connections += 1
                return True

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    listener = Listener()
    yield listener
    listener.close()


# --- the address check -------------------------------------------------------------------------

REFUSED = [
    ("http://127.0.0.1/hook", "127.0.0.1", "loopback"),
    ("http://localhost:8000/hook", "127.0.0.1", "loopback"),
    ("http://10.1.2.3/hook", "10.1.2.3", "private"),
    ("http://192.168.1.20/hook", "192.168.1.20", "private"),
    ("https://172.16.0.1/hook", "172.16.0.1", "private"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "link-local"),
    ("http://[::1]:8080/hook", "::1", "loopback"),
    ("http://[fd00::1]/hook", "fd00::1", "private"),
    ("http://[::ffff:127.0.0.1]/hook", "::ffff:127.0.0.1", "loopback"),
    ("http://0.0.0.0/hook", "0.0.0.0", "unspecified"),
    ("http://224.0.0.1/hook", "224.0.0.1", "multicast"),
    ("http://240.0.0.1/hook", "240.0.0.1", "reserved"),
    ("http://100.64.0.1/hook", "100.64.0.1", "non-public"),
    ("http://[fec0::1]/hook", "fec0::1", "site-local"),
    ("http://[::ffff:10.0.0.1]/hook", "::ffff:10.0.0.1", "private"),
    ("http://[2002:a9fe:a9fe::]/hook", "2002:a9fe:a9fe::", "link-local"),  # 6to4 of the metadata
    ("http://[64:ff9b::7f00:1]/hook", "64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
]


@pytest.mark.parametrize(("url", "address", "kind"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_host_at_a_non_public_address_is_refused(private_refused, dns, url, address, kind):
    dns["localhost"] = ["127.0.0.1"]  # as /etc/hosts says, without depending on it

    refusal = webhook_target_refusal(url)

    host = urlsplit(url).hostname
    assert refusal == TARGET_REFUSED.format(host=host, address=address, kind=kind)


def test_a_name_that_resolves_to_loopback_is_refused(private_refused, dns):
    dns["hooks.example.com"] = ["127.0.0.1"]

    assert webhook_target_refusal("https://hooks.example.com/in") == TARGET_REFUSED.format(
        host="hooks.example.com", address="127.0.0.1", kind="loopback"
    )


def test_a_name_with_one_private_address_among_public_ones_is_refused(private_refused, dns):
    dns["hooks.example.com"] = [PUBLIC, "10.0.0.7"]

    assert "10.0.0.7, a private address" in webhook_target_refusal("https://hooks.example.com/")


@pytest.mark.parametrize("url", ["https://hooks.example.com/in", "http://8.8.8.8/in"])
def test_a_public_address_is_accepted(private_refused, dns, url):
    dns["hooks.example.com"] = [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"]

    assert webhook_target_refusal(url) is None


def test_a_name_that_does_not_resolve_yet_is_accepted_and_checked_at_delivery(private_refused, dns):
    dns["not-yet.example.com"] = []

    assert webhook_target_refusal("https://not-yet.example.com/") is None


@pytest.mark.parametrize(("url", "address", "kind"), REFUSED[:10], ids=[r[0] for r in REFUSED[:10]])
def test_the_setting_allows_private_targets(settings, url, address, kind):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True

    assert webhook_target_refusal(url) is None


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2001:4860:4860::8888"])
def test_a_public_address_has_no_kind(address):
    assert address_kind(address) is None


# --- through the API -------------------------------------------------------------------------


@pytest.fixture
def crm(api_as):
    return api_as(Role.INTEGRATION, username="crm")


def test_creating_a_webhook_to_a_private_address_is_refused_on_its_url(private_refused, crm):
    response = crm.post(WEBHOOKS, {"url": "http://169.254.169.254/latest/meta-data/"})

    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert response.data["errors"] == {
        "url": [
            TARGET_REFUSED.format(
                host="169.254.169.254", address="169.254.169.254", kind="link-local"
            )
        ]
    }
    assert response.data["detail"] == response.data["errors"]["url"][0]
    assert not WebhookSubscription.objects.exists()


def test_changing_a_webhooks_url_to_a_private_address_is_refused(private_refused, crm, dns):
    dns["hooks.example.com"] = [PUBLIC]
    created = crm.post(WEBHOOKS, {"url": "https://hooks.example.com/in"})
    assert created.status_code == 201, created.data

    response = crm.patch(f"{WEBHOOKS}{created.data['id']}/", {"url": "http://[::1]:9000/"})

    assert response.status_code == 400
    assert list(response.data["errors"]) == ["url"]
    assert WebhookSubscription.objects.get().url == "https://hooks.example.com/in"


def test_a_webhook_kept_at_a_private_url_may_still_be_paused(private_refused, crm):
    subscription = WebhookSubscription.objects.create(owner=crm.user, url="http://10.0.0.5/")

    response = crm.patch(f"{WEBHOOKS}{subscription.pk}/", {"active": False})

    assert response.status_code == 200, response.data
    assert response.data["active"] is False


def test_a_public_url_is_accepted_by_the_api(private_refused, crm, dns):
    dns["hooks.example.com"] = [PUBLIC]

    assert crm.post(WEBHOOKS, {"url": "https://hooks.example.com/in"}).status_code == 201


def test_anonymous_requests_learn_nothing_of_targets(private_refused, db):
    assert APIClient().post(WEBHOOKS, {"url": "http://127.0.0.1/"}).status_code == 401


# --- at each delivery --------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_delivery_to_a_stored_loopback_url_connects_nowhere_and_is_dead_lettered(
    private_refused, listener, integration, scheme
):
    # Given a subscription stored before the rule applied, at a real loopback receiver
    url = f"{scheme}://127.0.0.1:{listener.port}/hook"
    subscription = WebhookSubscription.objects.create(owner=integration, url=url)
    event = _event()

    # When its delivery is attempted
    webhook_dispatch(event_id=event.pk)

    # Then nothing reached the receiver, and the refusal is the attempt's error
    delivery = WebhookDelivery.objects.get(subscription=subscription, event=event)
    refusal = TARGET_REFUSED.format(host="127.0.0.1", address="127.0.0.1", kind="loopback")
    assert listener.connections == 0
    assert delivery.status == DeliveryStatus.DEAD
    assert delivery.attempts == 1
    assert delivery.next_attempt_at is None
    assert delivery.last_status_code is None
    assert delivery.last_error == refusal
    assert delivery.attempt_log.get().error == refusal


def test_a_name_that_turns_to_loopback_after_the_check_connects_nowhere(
    private_refused, listener, integration, dns
):
    # Given a name public when subscribed, then pointed at loopback (DNS rebinding)
    dns["rebind.example.com"] = [PUBLIC]
    subscription = webhook_subscription_create(
        owner=integration, url=f"http://rebind.example.com:{listener.port}/hook"
    )
    dns["rebind.example.com"] = ["127.0.0.1"]
    event = _event()

    webhook_dispatch(event_id=event.pk)

    delivery = WebhookDelivery.objects.get(subscription=subscription, event=event)
    assert listener.connections == 0
    assert delivery.status == DeliveryStatus.DEAD
    assert "a loopback address" in delivery.last_error


def test_a_name_that_does_not_resolve_at_delivery_is_retried(private_refused, integration, dns):
    dns["gone.example.com"] = []
    subscription = WebhookSubscription.objects.create(
        owner=integration, url="https://gone.example.com/hook"
    )
    event = _event()

    webhook_dispatch(event_id=event.pk)

    delivery = WebhookDelivery.objects.get(subscription=subscription, event=event)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at is not None
    assert "gaierror" in delivery.last_error


def test_the_connection_goes_to_the_address_checked_without_a_second_lookup(
    private_refused, dns, monkeypatch
):
    answers = iter([[PUBLIC], ["127.0.0.1"]])  # a second lookup would be told loopback
    lookups = []
    fake = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "flip.example.com":
            lookups.append(host)
            dns[host] = next(answers)
        return fake(host, *args, **kwargs)

    connected = []

    def create_connection(address, *args):
        connected.append(address)
        raise ConnectionRefusedError("not on this machine")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)

    with pytest.raises(ConnectionRefusedError):
        target_connect(("flip.example.com", 443), 5)

    assert lookups == ["flip.example.com"]
    assert connected == [(PUBLIC, 443)]


def test_with_private_targets_allowed_the_loopback_receiver_gets_the_delivery(
    settings, listener, integration
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    subscription = webhook_subscription_create(
        owner=integration, url=f"http://127.0.0.1:{listener.port}/hook"
    )
    event = _event()

    webhook_dispatch(event_id=event.pk)

    delivery = WebhookDelivery.objects.get(subscription=subscription, event=event)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert listener.connections == 1


def test_the_admin_refuses_a_private_url_but_keeps_a_stored_one(private_refused, admin_client):
    add = admin_url(WebhookSubscription, "add")
    fields = {"active": "on", "description": "", "owner": ""}

    refused = admin_client.post(add, {**fields, "url": "http://10.0.0.5/hook"})

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["url"] == [
        TARGET_REFUSED.format(host="10.0.0.5", address="10.0.0.5", kind="private")
    ]
    stored = WebhookSubscription.objects.create(
        owner=refused.wsgi_request.user, url="http://10.0.0.5/hook"
    )
    kept = admin_client.post(
        admin_url(WebhookSubscription, "change", stored.pk),
        {**fields, "url": stored.url, "owner": stored.owner_id, "active": ""},
    )
    assert kept.status_code == 302, kept.context["adminform"].form.errors
    stored.refresh_from_db()
    assert stored.active is False
