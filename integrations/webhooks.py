"""Webhooks: each event, signed, to every subscription that wants it; retried, dead-lettered.

Receivers: see `webhook_signature_verify` for checking a request, and de-duplicate by the
body's "id" (a retry sends the same event again).

How a delivery goes
-------------------
`webhook_dispatch` runs when an event commits (integrations.events enqueues it): it numbers the
committed events (`events_sequence`), creates one delivery per active subscription that wants
the event's type, then sends what may go at once.
A delivery is pending until a receiver answers 2xx (delivered) or its last attempt fails
(dead-lettered). After the n-th failed attempt it waits WEBHOOK_RETRY_BASE_SECONDS x 2^(n-1):
30 s, 1, 2, 4, 8, 16, 32 min, 1 h 4, 2 h 8, 4 h 16, 8 h 32 with the defaults, so the 12th and
last attempt is made about 17 hours after the first. `webhook_sweep` (beat, every minute)
sends retries whose time has come. `webhook_redeliver` queues a dead or delivered one again.

Order: one at a time per subscription
-------------------------------------
Only a subscription's earliest pending delivery may be sent, and only when it is due. So a
receiver gets its events in sequence order, one request at a time; while a delivery waits for
a retry, the ones after it wait too (one request per backoff step to a receiver that is down,
however many events pile up), and when it comes back the backlog follows in order. A receiver
that cannot take one particular event holds back the others until that one is dead-lettered:
it should answer 2xx to events it ignores. Deliveries go in the events' feed positions, which
follow commit order: two events committed within milliseconds may still reach a receiver
swapped (their dispatch tasks race); `sequence` orders them.

Claims: no row lock is held while sending
-----------------------------------------
A sender claims deliveries in a short transaction (SELECT ... FOR UPDATE SKIP LOCKED, then
next_attempt_at pushed CLAIM_LEASE ahead), commits, sends, then records the outcome in another
short transaction, only if the claim is still its own. A claimed delivery is not due, so no
other sweep or dispatch sends it meanwhile, and a sender killed mid-send leaves it to be
retried when the lease ends.

Targets: public addresses only
------------------------------
A URL whose host resolves to a loopback, private, link-local or otherwise non-public address
is refused when it is set, and the connection of each attempt is refused too (DNS may answer
otherwise by then): see integrations.targets. WEBHOOK_ALLOW_PRIVATE_TARGETS lifts both. Such
an attempt dead-letters its delivery at once rather than retrying: the refusal is the
installation's rule, not the receiver being down, and 12 retries would hold every later event
of the subscription back for 17 hours to end the same way. Once the URL is fixed,
`webhook_redeliver` sends them again.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funnel.models import Role, User
from leadflow.errors import DomainError

from .events import events_sequence
from .models import (
    DeliveryStatus,
    Event,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
    webhook_secret,
)
from .targets import TargetRefused, target_connect, webhook_target_refusal

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Leadflow-Signature"
EVENT_HEADER = "X-Leadflow-Event"
DELIVERY_HEADER = "X-Leadflow-Delivery"
USER_AGENT = "Leadflow-Webhooks/1"
SCHEMES = ("http", "https")

URL_SCHEME_REFUSED = _("A webhook URL must start with http:// or https://.")
EVENTS_UNKNOWN = _("Unknown event types: {unknown}. Known types: {known}.")
REDELIVER_PENDING = _(
    "Delivery {id} is still pending: it is sent when due, without being queued again."
)
# A delivery's errors are stored (last_error, its attempts): they are written by the sender's
# threads, which speak the installation's language (LANGUAGE_CODE), whoever reads them later.
REDIRECT_NOT_FOLLOWED = _("Redirected to {location}: redirects are not followed; update the URL.")
NO_ANSWER = _("No answer within {seconds} s.")

# Longer than any sender lives (the tasks' hard time limits are 60 s): a live sender never
# loses its claim, and a killed one's deliveries are sent again when it ends.
CLAIM_LEASE = datetime.timedelta(minutes=5)
# With more attempts configured, waits stop doubling here.
RETRY_DELAY_CAP = datetime.timedelta(hours=12)
SEND_THREADS = 8  # subscriptions sent to at once; each gets one request at a time
ERROR_KEPT = 500  # characters of a connection error kept with the attempt
# The safety net for dispatch messages lost on the way (broker restarted, worker killed): the
# sweep fans out recent events that a minute after they occurred still have no deliveries.
OVERDUE_AFTER = datetime.timedelta(minutes=1)
OVERDUE_WINDOW = datetime.timedelta(minutes=15)
OVERDUE_SCAN = 1000  # latest feed positions looked at


class WebhookError(DomainError):
    code = "delivery_pending"
    status = 409


# --- signatures ----------------------------------------------------------------------------


def webhook_signature(secret: str, body: bytes, timestamp: int) -> str:
    """The X-Leadflow-Signature header: HMAC-SHA256 of "<timestamp>.<body>" with the secret."""
    digest = hmac.new(secret.encode(), b"%d." % timestamp + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},sha256={digest}"


def webhook_signature_verify(
    secret: str,
    header: str,
    body: bytes | str,
    tolerance_seconds: int = 300,
    *,
    now: float | None = None,
) -> bool:
    """Whether a webhook request is genuine and fresh. For receivers.

    `header` is the request's X-Leadflow-Signature (`t=<unix time>,sha256=<hex>`), `body` the
    raw request body, exactly as received (before any JSON parsing), `secret` the
    subscription's. False when the signature does not match, or when `t` is more than
    `tolerance_seconds` from now (a request captured and replayed later). A retry is signed
    afresh, so it passes; de-duplicate by the body's "id". For example, in a Django view:

        if not webhook_signature_verify(
            SECRET, request.headers.get("X-Leadflow-Signature", ""), request.body
        ):
            return HttpResponse(status=400)

    It needs only the standard library: receivers without Leadflow may copy it, with
    `webhook_signature`.
    """
    if isinstance(body, str):
        body = body.encode()
    timestamp, digests = None, []
    for part in (header or "").split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "sha256":
            digests.append(value.encode())
    if timestamp is None or not digests:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_seconds:
        return False
    expected = webhook_signature(secret, body, timestamp).rpartition("=")[2].encode()
    return any(hmac.compare_digest(expected, digest) for digest in digests)


# --- what is sent ----------------------------------------------------------------------------


def webhook_payload(event: Event) -> dict[str, Any]:
    """An event as webhooks and the event feed (GET /api/v1/events/) show it."""
    return {
        "id": str(event.uid),
        "sequence": event.position,
        "type": event.type,
        "occurred_at": event.occurred_at.astimezone(datetime.UTC)
        .isoformat()
        .replace("+00:00", "Z"),
        "data": event.data,
    }


def webhook_retry_delay(failures: int) -> datetime.timedelta | None:
    """How long a delivery waits after its `failures`-th failed attempt; None: dead-lettered."""
    if failures >= settings.WEBHOOK_MAX_ATTEMPTS:
        return None
    delay = datetime.timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (failures - 1))
    return min(delay, RETRY_DELAY_CAP)


# --- subscriptions ---------------------------------------------------------------------------

SUBSCRIPTION_FIELDS = {"url", "events", "secret", "active", "description"}


def webhook_url_check(url: str) -> None:
    """Refuse, as a ValidationError on "url", what a webhook may not be sent to."""
    if urlsplit(url).scheme.lower() not in SCHEMES:
        raise ValidationError({"url": [URL_SCHEME_REFUSED]})
    refusal = webhook_target_refusal(url)
    if refusal:
        raise ValidationError({"url": [refusal]})


def webhook_events_clean(events: Iterable[str]) -> list[str]:
    """Event types, each once, in the given order; unknown ones are refused by name."""
    events = list(dict.fromkeys(events))
    unknown = [name for name in events if name not in EventType.values]
    if unknown:
        message = EVENTS_UNKNOWN.format(
            unknown=", ".join(unknown), known=", ".join(EventType.values)
        )
        raise ValidationError({"events": [message]})
    return events


def _subscription_check(subscription: WebhookSubscription, *, url_changed: bool = True) -> None:
    # A URL kept as it is is not looked up again: a subscription made before the target rules
    # (or while they were lifted) may still be paused or described. Its deliveries are refused.
    if url_changed:
        webhook_url_check(subscription.url)
    # `events` is checked by webhook_events_clean; the model calls an empty list blank.
    subscription.full_clean(exclude=["events", "owner"])


@transaction.atomic
def webhook_subscription_create(
    *,
    owner: User,
    url: str,
    events: list[str] | None = None,
    secret: str = "",
    active: bool = True,
    description: str = "",
) -> WebhookSubscription:
    """Subscribe `url` to event types (none: all of them); a secret is made if none is given."""
    subscription = WebhookSubscription(
        owner=owner,
        url=url,
        events=webhook_events_clean(events or []),
        secret=secret or webhook_secret(),
        active=active,
        description=description,
    )
    _subscription_check(subscription)
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_update(
    *, subscription: WebhookSubscription, fields: dict[str, Any]
) -> WebhookSubscription:
    """Change a subscription; a new secret signs every request from now on, retries included."""
    unknown = sorted(set(fields) - SUBSCRIPTION_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in unknown})
    if "events" in fields:
        fields = {**fields, "events": webhook_events_clean(fields["events"])}
    current = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    changed = [name for name, value in fields.items() if getattr(current, name) != value]
    if not changed:
        return current
    for name in changed:
        setattr(current, name, fields[name])
    _subscription_check(current, url_changed="url" in changed)
    current.save(update_fields=changed)
    return current


@transaction.atomic
def webhook_secret_rotate(*, subscription: WebhookSubscription, actor: User) -> WebhookSubscription:
    """Give the subscription a new generated secret; the old one signs nothing from now on.

    Requests already claimed by a sender may still go out signed with the old one; every
    later attempt, retries included, is signed with the new one.
    """
    current = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    current.secret = webhook_secret()
    current.save(update_fields=["secret"])
    logger.info("Webhook subscription %s: secret rotated by %s", current.pk, actor.get_username())
    return current


def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Unsubscribe; its deliveries and their attempts go with it (the events stay)."""
    subscription.delete()


def webhook_subscription_list(*, user: User) -> QuerySet[WebhookSubscription]:
    """Subscriptions `user` may see and change: admins all, anyone else their own."""
    subscriptions = WebhookSubscription.objects.select_related("owner").order_by("id")
    if user.effective_role == Role.ADMIN:
        return subscriptions
    return subscriptions.filter(owner=user)


def webhook_delivery_list(
    *, subscription: WebhookSubscription, status: str | None = None
) -> QuerySet[WebhookDelivery]:
    """A subscription's deliveries, newest first."""
    deliveries = WebhookDelivery.objects.filter(subscription=subscription).select_related("event")
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries.order_by("-id")


def webhook_delivery_visible(*, user: User) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(
        subscription__in=webhook_subscription_list(user=user)
    ).select_related("event")


def event_list(*, after: int = 0, type: str | None = None) -> QuerySet[Event]:
    """Events after sequence number `after`, oldest first: what a reader has not seen yet.

    Positions are given after commit, in commit order (integrations.events), so a reader that
    has seen N never later finds an event below N appear: `after=<last sequence seen>` misses
    nothing. What has committed is numbered first, so the reader sees it now.
    """
    events_sequence()
    events = Event.objects.filter(position__gt=after)
    if type:
        events = events.filter(type=type)
    return events.order_by("position")


# --- redelivery ------------------------------------------------------------------------------


@transaction.atomic
def webhook_redeliver(
    *, delivery: WebhookDelivery, actor: User | None, now: datetime.datetime | None = None
) -> WebhookDelivery:
    """Queue a dead-lettered (or delivered) delivery again, with a fresh set of attempts.

    It is sent by the next sweep, before the subscription's later pending deliveries: it is the
    earliest. The attempts it had stay in its log.
    """
    current = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if current.status == DeliveryStatus.PENDING:
        raise WebhookError(REDELIVER_PENDING.format(id=current.pk))
    logger.info(
        "Webhook delivery %s (event %s to subscription %s), %s after %s attempts, "
        "queued again by %s",
        current.pk,
        current.event_id,
        current.subscription_id,
        current.status,
        current.attempts,
        actor.get_username() if actor else "system",
    )
    current.status = DeliveryStatus.PENDING
    current.attempts = 0
    current.next_attempt_at = now or timezone.now()
    current.delivered_at = None
    current.last_status_code = None
    current.last_error = ""
    current.save(
        update_fields=[
            "status",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "last_status_code",
            "last_error",
        ]
    )
    return current


# --- dispatch and sweep ----------------------------------------------------------------------


def _wants(subscription: WebhookSubscription, event_type: str) -> bool:
    return not subscription.events or event_type in subscription.events


def webhook_dispatch(
    *, event_id: int, now: datetime.datetime | None = None, time_budget: float = 15.0
) -> int:
    """Create the event's deliveries (once, however often it runs), then send what may go.

    Each new delivery is tried at once when it is its subscription's earliest pending one;
    otherwise it waits its turn, and whoever sends the one before it goes on with it. Returns
    the number of attempts made.
    """
    events_sequence()
    event = Event.objects.filter(pk=event_id, position__isnull=False).first()
    if event is None:  # rolled back, or a sequencer holding it has not committed yet
        return 0
    subscribers = [
        subscription
        for subscription in WebhookSubscription.objects.filter(active=True)
        if _wants(subscription, event.type)
    ]
    if not subscribers:
        return 0
    created = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription=subscription,
                event=event,
                next_attempt_at=now or created,
                created_at=created,
            )
            for subscription in subscribers
        ],
        ignore_conflicts=True,  # delivery_once_per_subscriber: a re-run adds nothing
    )
    return _send_due(now=now, subscription_ids=[s.pk for s in subscribers], time_budget=time_budget)


def webhook_sweep(
    *, now: datetime.datetime | None = None, batch_size: int = 50, time_budget: float = 35.0
) -> int:
    """Send every delivery whose turn has come; returns the number of attempts made.

    Rounds of at most `batch_size` deliveries, one per subscription, sent in parallel, until
    nothing is due or `time_budget` seconds have gone (the rest waits for the next minute's
    sweep: with 10 s timeouts, the budget keeps a sweep inside its task's 50 s limit). Several
    sweeps, and dispatches, may run at once: each delivery is claimed by one of them.
    """
    events_sequence()
    _fanout_overdue(now=now or timezone.now())
    return _send_due(now=now, subscription_ids=None, batch_size=batch_size, time_budget=time_budget)


def _fanout_overdue(*, now: datetime.datetime) -> int:
    """Deliveries for recent events whose dispatch never ran: the outbox's safety net."""
    subscriptions = list(WebhookSubscription.objects.filter(active=True))
    last = Event.objects.aggregate(last=Max("position"))["last"]
    if not subscriptions or last is None:
        return 0
    recent = list(
        Event.objects.filter(
            position__gt=last - OVERDUE_SCAN,
            occurred_at__gte=now - OVERDUE_WINDOW,
            occurred_at__lte=now - OVERDUE_AFTER,
        ).only("id", "type", "occurred_at")
    )
    if not recent:
        return 0
    have = set(
        WebhookDelivery.objects.filter(event__in=recent).values_list("subscription_id", "event_id")
    )
    missing = [
        WebhookDelivery(subscription=subscription, event=event, next_attempt_at=now)
        for event in recent
        for subscription in subscriptions
        # A subscription hears of events from its creation on.
        if _wants(subscription, event.type)
        and event.occurred_at >= subscription.created_at
        and (subscription.pk, event.pk) not in have
    ]
    if missing:
        WebhookDelivery.objects.bulk_create(missing, ignore_conflicts=True)
        logger.warning("Webhooks: %s deliveries of undispatched events created", len(missing))
    return len(missing)


@dataclass(frozen=True)
class _Outgoing:
    """A claimed delivery, with all the sending thread needs: no database access there."""

    delivery_id: int
    lease: datetime.datetime
    url: str
    secret: str
    event_type: str
    body: bytes


@dataclass(frozen=True)
class _Outcome:
    status_code: int | None
    error: str
    duration_ms: int
    refused: bool = False  # the target was refused: no retry can succeed

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _send_due(
    *,
    now: datetime.datetime | None,
    subscription_ids: list[int] | None,
    batch_size: int = 50,
    time_budget: float,
) -> int:
    started = time.monotonic()
    attempts = 0
    while time.monotonic() - started < time_budget:
        sent = _send_round(
            now=now or timezone.now(), subscription_ids=subscription_ids, limit=batch_size
        )
        if not sent:
            break
        attempts += sent
    return attempts


def _send_round(*, now: datetime.datetime, subscription_ids: list[int] | None, limit: int) -> int:
    outgoing = _claim(now=now, subscription_ids=subscription_ids, limit=limit)
    if not outgoing:
        return 0
    # One delivery per subscription: sending them in parallel keeps each receiver's order.
    with ThreadPoolExecutor(max_workers=min(SEND_THREADS, len(outgoing))) as pool:
        outcomes = list(pool.map(_post, outgoing))
    for claimed, outcome in zip(outgoing, outcomes, strict=True):
        _record(claimed, outcome, now=now)
    return len(outgoing)


def _claim(
    *, now: datetime.datetime, subscription_ids: list[int] | None, limit: int
) -> list[_Outgoing]:
    """Claim each subscription's earliest pending delivery, where it is due."""
    pending = WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, subscription__active=True
    )
    if subscription_ids is not None:
        pending = pending.filter(subscription_id__in=subscription_ids)
    # Over pending deliveries only (the delivery_pending_due index), never the whole history.
    heads = pending.order_by().values("subscription_id").annotate(first=Min("event__position"))
    turns = Q()
    for head in heads:
        turns |= Q(subscription_id=head["subscription_id"], event__position=head["first"])
    if not turns:
        return []
    lease = now + CLAIM_LEASE
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_related("event", "subscription")
            .select_for_update(skip_locked=True, of=("self",))
            .filter(turns, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .order_by("event__position")[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in due]).update(next_attempt_at=lease)
    return [
        _Outgoing(
            delivery_id=delivery.pk,
            lease=lease,
            url=delivery.subscription.url,
            secret=delivery.subscription.secret,
            event_type=delivery.event.type,
            body=json.dumps(webhook_payload(delivery.event), separators=(",", ":")).encode(),
        )
        for delivery in due
    ]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect fails the attempt: followed, a POST would become a GET without its body, and
    a public URL could hand the sender on to a private one (the guarded connection would refuse
    that too)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx status


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # connect() opens its socket through this attribute: here, to checked addresses only.
        self._create_connection = target_connect


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = target_connect  # TLS still checks the URL's host name


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        _NoRedirects,
        _GuardedHTTPHandler,
        _GuardedHTTPSHandler,
        # No proxy from the environment: a proxy would look the name up itself, past the check.
        urllib.request.ProxyHandler({}),
    )


def _post(claimed: _Outgoing) -> _Outcome:
    """One attempt: POST the signed body. Runs in a thread; never touches the database."""
    started = time.monotonic()
    status_code, error = None, ""
    if urlsplit(claimed.url).scheme.lower() not in SCHEMES:  # urllib also opens file: and ftp:
        return _Outcome(None, str(URL_SCHEME_REFUSED), 0)
    request = urllib.request.Request(
        claimed.url,
        data=claimed.body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: webhook_signature(claimed.secret, claimed.body, int(time.time())),
            EVENT_HEADER: claimed.event_type,
            DELIVERY_HEADER: str(claimed.delivery_id),
        },
    )
    try:
        with _opener().open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            status_code = response.status
    except urllib.error.HTTPError as exc:
        status_code = exc.code
        # The answer's body is not kept: a URL pointed at an internal service must not
        # become a way to read it.
        if 300 <= exc.code < 400:
            error = REDIRECT_NOT_FOLLOWED.format(location=exc.headers.get("Location", "?"))
        exc.close()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # URLError wraps what failed on connecting; a read that times out raises it bare.
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, TargetRefused):
            return _Outcome(None, str(reason), int((time.monotonic() - started) * 1000), True)
        if isinstance(reason, TimeoutError):
            error = NO_ANSWER.format(seconds=settings.WEBHOOK_TIMEOUT_SECONDS)
        elif isinstance(reason, BaseException):
            error = f"{type(reason).__name__}: {reason}"[:ERROR_KEPT]
        else:
            error = str(reason)[:ERROR_KEPT]
    return _Outcome(status_code, error, int((time.monotonic() - started) * 1000))


def _record(claimed: _Outgoing, outcome: _Outcome, *, now: datetime.datetime) -> None:
    """Log the attempt and move the delivery on, if the claim is still this sender's."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update().filter(pk=claimed.delivery_id).first()
        )
        if delivery is None:  # its subscription was deleted meanwhile
            return
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
        if delivery.status != DeliveryStatus.PENDING or delivery.next_attempt_at != claimed.lease:
            logger.warning("Webhook delivery %s: claim lost, outcome not applied", delivery.pk)
            return
        delivery.attempts += 1
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        if outcome.ok:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
        else:
            delay = None if outcome.refused else webhook_retry_delay(delivery.attempts)
            if delay is None:
                delivery.status = DeliveryStatus.DEAD
                delivery.next_attempt_at = None
                logger.warning(
                    "Webhook delivery %s dead-lettered after %s attempts: %s",
                    delivery.pk,
                    delivery.attempts,
                    outcome.error or outcome.status_code,
                )
            else:
                delivery.next_attempt_at = now + delay
        delivery.save(
            update_fields=[
                "attempts",
                "status",
                "next_attempt_at",
                "delivered_at",
                "last_status_code",
                "last_error",
            ]
        )
