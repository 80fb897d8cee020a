from unittest import mock

import pytest
from django.core import mail

from funnel.tests.factories import UserFactory
from handoff.models import Activity, Notification, RepProfile
from handoff.services.leads import lead_create
from handoff.services.notifications import (
    lead_summary,
    notification_digest_send,
    notification_email,
    notify,
)


@pytest.fixture
def rep(db):
    return UserFactory(username="nina", email="nina@example.com")


def test_a_notification_is_emailed_after_commit(rep, django_capture_on_commit_callbacks):
    with (
        mock.patch("handoff.tasks.notification_email_task.delay") as enqueue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        note = notify(user=rep, kind="assigned", subject="New lead", body="Acme")

    enqueue.assert_called_once_with(note.pk)


def test_a_digest_user_gets_no_single_emails(rep, django_capture_on_commit_callbacks):
    RepProfile.objects.create(user=rep, email_digest=True)

    with django_capture_on_commit_callbacks() as callbacks:
        notify(user=rep, kind="assigned", subject="New lead", body="Acme")

    assert callbacks == []


def test_an_email_is_sent_once(rep):
    note = notify(user=rep, kind="assigned", subject="New lead", body="Acme")

    assert notification_email(notification_id=note.pk) is True
    assert notification_email(notification_id=note.pk) is False

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "[Leadflow] New lead"
    assert mail.outbox[0].to == ["nina@example.com"]


def test_the_daily_digest_gathers_everything_unsent(rep):
    RepProfile.objects.create(user=rep, email_digest=True)
    other = UserFactory(username="otto", email="otto@example.com")
    for subject in ("Lead one", "Lead two"):
        notify(user=rep, kind="assigned", subject=subject, body="...")
    notify(user=other, kind="assigned", subject="Not in a digest", body="...")

    assert notification_digest_send() == 1
    assert notification_digest_send() == 0

    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.subject == "[Leadflow] Your daily digest: 2 notifications"
    assert "Lead one" in digest.body and "Lead two" in digest.body
    assert not Notification.objects.filter(user=rep, emailed_at=None).exists()
    assert Notification.objects.filter(user=other, emailed_at=None).count() == 1


def test_the_alert_carries_contact_data_and_activity_history(handoffs):
    lead = lead_create(
        actor=None, email="cto@acme.com", first_name="Ada", last_name="Byron", company="Acme",
        title="CTO", phone="+49 30 1234",
    )  # fmt: skip
    from django.utils import timezone

    Activity.objects.create(lead=lead, kind="webinar", at=timezone.now(), detail={"t": "Demo"})

    summary = lead_summary(lead)

    assert "Ada Byron" in summary
    assert "CTO at Acme" in summary
    assert "+49 30 1234" in summary
    assert "Webinar attended" in summary
