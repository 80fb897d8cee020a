"""The safety nets: offers whose routing message was lost are routed, notifications whose email
message was lost are emailed, from the database, once, after a grace period."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from funnel.models import Role, Team
from funnel.tests.factories import UserFactory
from handoff.models import Notification, NotificationDelivery, Offer, OfferHolding, SlaTimer
from handoff.services.leads import lead_create
from handoff.services.notifications import (
    notification_deliveries_update,
    notifications_email_overdue,
    notify,
)
from handoff.services.offers import offer_route, offers_route_overdue

GRACE = datetime.timedelta(seconds=settings.SAFETY_NET_GRACE_SECONDS)


@pytest.fixture
def lost(monkeypatch, django_capture_on_commit_callbacks):
    """Messages enqueued on commit are lost: accepted by nobody, never run."""
    from handoff.tasks import (
        notification_email_task,
        notifications_email_task,
        offer_route_task,
        offers_route_task,
    )

    for task in (offer_route_task, offers_route_task, notification_email_task,
                 notifications_email_task):  # fmt: skip
        monkeypatch.setattr(task, "delay", lambda *args, **kwargs: None)
    with django_capture_on_commit_callbacks(execute=True):
        yield


@pytest.fixture
def rep(handoffs):
    return UserFactory(
        username="net_rep", role=Role.SALES, team=Team.objects.get(key="sales"), email="r@x.io"
    )


def _lost_offer(email: str = "ann@acme.com") -> Offer:
    return Offer.objects.get(lead=lead_create(actor=None, stage="mql", email=email))


def _running_timers(offer: Offer) -> list[tuple]:
    return list(
        SlaTimer.objects.filter(offer=offer, fired_at=None, cancelled_at=None)
        .order_by("pk")
        .values_list("clock", "kind", "due_at")
    )


def test_an_offer_whose_routing_message_was_lost_is_routed_with_its_clocks(rep, lost):
    offer = _lost_offer()
    assert (offer.routed_at, offer.assignee, _running_timers(offer)) == (None, None, [])

    assert offers_route_overdue(now=offer.offered_at + GRACE + datetime.timedelta(seconds=1)) == 1

    offer.refresh_from_db()
    assert offer.assignee == rep and offer.routed_at is not None
    assert offer.accept_due_at is not None and _running_timers(offer)


def test_running_the_safety_net_again_changes_nothing(rep, lost):
    offer = _lost_offer()
    later = offer.offered_at + GRACE + datetime.timedelta(minutes=1)
    offers_route_overdue(now=later)
    offer.refresh_from_db()
    routed = (offer.routed_at, offer.assignee_id, _running_timers(offer))

    assert offers_route_overdue(now=later + datetime.timedelta(minutes=1)) == 0

    offer.refresh_from_db()
    assert (offer.routed_at, offer.assignee_id, _running_timers(offer)) == routed
    assert OfferHolding.objects.filter(offer=offer).count() == 1


def test_an_offer_within_the_grace_period_is_left_to_its_message(rep, lost):
    offer = _lost_offer()

    assert offers_route_overdue(now=offer.offered_at + GRACE - datetime.timedelta(seconds=1)) == 0

    offer.refresh_from_db()
    assert offer.routed_at is None


def test_the_late_message_of_an_offer_the_safety_net_routed_changes_nothing(rep, lost):
    offer = _lost_offer()
    offers_route_overdue(now=offer.offered_at + GRACE + datetime.timedelta(seconds=1))
    offer.refresh_from_db()

    offer_route(offer_id=offer.pk)

    assert Offer.objects.get(pk=offer.pk).routed_at == offer.routed_at
    assert OfferHolding.objects.filter(offer=offer).count() == 1


def test_offers_are_routed_in_batches(rep, lost, monkeypatch):
    monkeypatch.setattr("handoff.services.offers.OVERDUE_BATCH", 2)
    offers = [_lost_offer(f"lead{n}@acme.com") for n in range(5)]

    assert offers_route_overdue(now=timezone.now() + GRACE + datetime.timedelta(seconds=1)) == 5

    assert not Offer.objects.filter(pk__in=[o.pk for o in offers], routed_at=None).exists()


# --- emails ---------------------------------------------------------------------------------


def _notify(user, subject: str = "New lead for you") -> Notification:
    return notify(user=user, kind=Notification.Kind.ASSIGNED, subject=subject, body="Ann")


def test_a_notification_whose_email_was_lost_is_emailed_once(rep, lost):
    notification = _notify(rep)
    later = notification.created_at + GRACE + datetime.timedelta(seconds=1)

    assert notifications_email_overdue(now=later) == 1
    assert notifications_email_overdue(now=later + datetime.timedelta(minutes=1)) == 0

    assert [m.to for m in mail.outbox] == [["r@x.io"]]
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_a_fresh_notification_is_left_to_its_message(rep, lost):
    notification = _notify(rep)

    assert notifications_email_overdue(now=notification.created_at + GRACE / 2) == 0
    assert mail.outbox == []


def test_only_notifications_taken_by_email_are_emailed(rep, lost):
    notification_deliveries_update(
        user=rep, deliveries={Notification.Kind.ASSIGNED: NotificationDelivery.DIGEST}
    )
    notification = _notify(rep)
    assert notification.delivery == NotificationDelivery.DIGEST

    assert notifications_email_overdue(now=notification.created_at + 2 * GRACE) == 0
    assert mail.outbox == []


def test_an_exhausted_time_budget_leaves_the_rest_for_the_next_run(rep, lost):
    offers = [_lost_offer(f"later{n}@acme.com") for n in range(3)]
    later = timezone.now() + GRACE + datetime.timedelta(seconds=1)

    assert offers_route_overdue(now=later, time_budget=0) == 0
    assert Offer.objects.filter(pk__in=[o.pk for o in offers], routed_at=None).count() == 3
    assert offers_route_overdue(now=later) == 3
