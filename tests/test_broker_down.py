"""The broker away: a change that committed answers 2xx, and the safety nets do what the lost
messages would have done, from the database."""

import datetime
import logging

import pytest
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from funnel.models import Role, Team
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from handoff.models import Lead, Offer, OfferStatus, SlaTimer
from handoff.services.leads import lead_create
from handoff.services.offers import offers_route_overdue
from handoff.services.setup import handoff_setup_defaults
from integrations.models import WebhookDelivery
from integrations.webhooks import webhook_sweep
from leadflow.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker_down(monkeypatch):
    """Every enqueue fails as kombu fails when Redis refuses connections."""

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(app, "send_task", refuse)


def _after_the_grace_period() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=settings.SAFETY_NET_GRACE_SECONDS + 60)


def test_a_committed_move_answers_2xx_and_its_offer_is_routed_by_the_safety_net(
    api_as, broker_down, caplog
):
    # Given the default funnel, a sales rep and a lead one move before MQL
    funnel_setup_defaults()
    handoff_setup_defaults()
    rep = UserFactory(username="rep", role=Role.SALES, team=Team.objects.get(key="sales"))
    lead = lead_create(actor=None, stage="qi", email="ann@acme.com")
    marketer = api_as(Role.MARKETING)

    # When the move to MQL commits while the broker refuses every message
    with caplog.at_level(logging.ERROR, logger="leadflow.enqueue"):
        response = marketer.post(
            f"/api/v1/leads/{lead.pk}/transition/", {"to": "mql"}, format="json"
        )

    # Then the client hears it happened, and the offer waits, unrouted, for the safety net
    assert response.status_code == 200, response.content
    assert Lead.objects.get(pk=lead.pk).stage.key == "mql"
    offer = Offer.objects.get(lead=lead, handoff__key="mql_sal")
    assert (offer.status, offer.routed_at, offer.assignee) == (OfferStatus.PENDING, None, None)
    assert "handoff.tasks.offer_route_task" in caplog.text

    # And the safety net routes it from the database, clocks and all
    assert offers_route_overdue(now=_after_the_grace_period()) == 1
    offer.refresh_from_db()
    assert offer.assignee == rep and offer.routed_at is not None
    assert SlaTimer.objects.filter(offer=offer, fired_at=None, cancelled_at=None).exists()


def test_events_whose_dispatch_was_never_sent_reach_subscribers_by_the_sweep(
    api_as, broker_down, receiver
):
    # Given a webhook subscriber to offer events
    funnel_setup_defaults()
    handoff_setup_defaults()
    UserFactory(username="rep", role=Role.SALES, team=Team.objects.get(key="sales"))
    subscription = receiver.subscribe(UserFactory(role=Role.ADMIN), events=["offer.created"])
    lead = lead_create(actor=None, stage="qi", email="ann@acme.com")

    # When a move commits while the broker refuses the dispatch message
    response = api_as(Role.MARKETING).post(
        f"/api/v1/leads/{lead.pk}/transition/", {"to": "mql"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert not WebhookDelivery.objects.filter(subscription=subscription).exists()

    # Then the minute's sweep finds the undispatched event and delivers it
    webhook_sweep(now=timezone.now() + datetime.timedelta(minutes=2))

    delivered = [r.payload["data"] for r in receiver.delivered]
    assert {(data["lead"], data["handoff"]) for data in delivered} >= {(lead.pk, "mql_sal")}
