"""Notifications and their emails speak the recipient's language, whatever is active when they
are made (a task, or someone else's request)."""

from unittest import mock

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext, ngettext

from funnel.models import Role, Team
from funnel.tests.factories import UserFactory
from handoff.models import Notification, NotificationDelivery, Offer, OfferStatus
from handoff.services import notifications, offers
from handoff.services.leads import lead_create
from handoff.services.notifications import (
    notification_deliveries_update,
    notification_digest_send,
    notification_email,
    notify,
)
from handoff.services.offers import offer_route


def _languages_seen(module, target: str):
    """Patch `module.target` to record the active language each time it is called."""
    seen = []
    real = getattr(module, target)

    def spy(*args, **kwargs):
        seen.append(translation.get_language())
        return real(*args, **kwargs)

    return seen, mock.patch.object(module, target, side_effect=spy)


def _digest(user):
    deliveries = dict.fromkeys(Notification.Kind.values, NotificationDelivery.DIGEST)
    notification_deliveries_update(user=user, deliveries=deliveries)


@pytest.fixture
def russian(db):
    return UserFactory(username="olga", email="olga@example.com", language="ru")


def test_a_notification_email_to_a_russian_reader_is_rendered_in_russian(russian):
    note = notify(user=russian, kind="assigned", subject="Новый лид", body="...")
    seen, spy = _languages_seen(notifications, "EmailMessage")

    with translation.override("en"), spy:
        assert notification_email(notification_id=note.pk) is True

    assert seen == ["ru"]
    assert mail.outbox[0].subject == "[Leadflow] Новый лид"


def test_the_digest_subject_is_in_the_readers_language(russian):
    notification_deliveries_update(
        user=russian,
        deliveries=dict.fromkeys(Notification.Kind.values, NotificationDelivery.DIGEST),
    )
    notify(user=russian, kind="assigned", subject="A", body="...")
    notify(user=russian, kind="assigned", subject="B", body="...")
    english = UserFactory(username="emma", email="emma@example.com", language="en")
    notification_deliveries_update(
        user=english,
        deliveries=dict.fromkeys(Notification.Kind.values, NotificationDelivery.DIGEST),
    )
    notify(user=english, kind="assigned", subject="C", body="...")

    with translation.override("en"):
        assert notification_digest_send() == 2

    subjects = {message.to[0]: message.subject for message in mail.outbox}
    with translation.override("ru"):
        said = ngettext(
            "Your daily digest: %(count)d notification",
            "Your daily digest: %(count)d notifications",
            2,
        ) % {"count": 2}
    assert subjects["olga@example.com"] == f"[Leadflow] {said}"
    assert subjects["emma@example.com"] == "[Leadflow] Your daily digest: 1 notification"


def test_a_new_lead_is_announced_in_its_assignees_language(handoffs):
    rep = UserFactory(
        username="ivan", role=Role.SALES, team=Team.objects.get(key="sales"), language="ru"
    )
    lead = lead_create(actor=None, stage="mql", email="lead@example.com", company="Acme")
    seen, spy = _languages_seen(offers, "lead_summary")

    with translation.override("en"), spy:
        offer = offer_route(offer_id=Offer.objects.get(lead=lead, status=OfferStatus.PENDING).pk)

    assert offer.assignee == rep
    assert seen == ["ru"]
    note = Notification.objects.get(user=rep, kind="assigned")
    with translation.override("ru"):
        assert note.subject == gettext("New lead for you: {lead}").format(lead=lead)
