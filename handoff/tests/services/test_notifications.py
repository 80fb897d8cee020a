import datetime
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funnel.tests.factories import UserFactory
from handoff.models import Activity, Notification, NotificationDelivery, NotificationPreference
from handoff.services.leads import lead_create
from handoff.services.notifications import (
    lead_summary,
    notification_deliveries_update,
    notification_digest_send,
    notification_email,
    notification_mark_read,
    notifications_mark_read,
    notifications_send,
    notify,
)

EMAIL, DIGEST, NONE = (
    NotificationDelivery.EMAIL,
    NotificationDelivery.DIGEST,
    NotificationDelivery.NONE,
)


def _prefer(user, delivery, *kinds):
    """`user` takes these kinds (every kind when none given) by `delivery`, through the page's
    service."""
    kinds = kinds or Notification.Kind.values
    notification_deliveries_update(user=user, deliveries=dict.fromkeys(kinds, delivery))


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
    _prefer(rep, DIGEST)

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


def test_a_notification_sent_twice_is_the_same_message(rep):
    # A worker that dies between sending and recording sends again: mail clients see one message.
    note = notify(user=rep, kind="assigned", subject="New lead", body="Acme")
    other = notify(user=rep, kind="assigned", subject="New lead", body="Acme")
    for notification in (note, note, other):
        Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
        notification_email(notification_id=notification.pk)

    ids = [m.message()["Message-ID"] for m in mail.outbox]
    assert ids[0] == ids[1] != ids[2]


def test_the_daily_digest_gathers_everything_unsent(rep):
    _prefer(rep, DIGEST)
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


# --- each kind by its user's delivery --------------------------------------------------------


def test_a_user_who_chose_nothing_gets_an_email_for_each(rep):
    note = notify(user=rep, kind="sla_warning", subject="Close", body="...")

    assert note.delivery == EMAIL
    assert not NotificationPreference.objects.exists()


def test_each_kind_goes_as_its_user_chose(rep, django_capture_on_commit_callbacks):
    # Given: the digest for new leads, nothing by email for warnings, breaches by email
    _prefer(rep, DIGEST, "assigned")
    _prefer(rep, NONE, "sla_warning")
    _prefer(rep, EMAIL, "sla_breach")

    with (
        mock.patch("handoff.tasks.notification_email_task.delay") as enqueue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assigned = notify(user=rep, kind="assigned", subject="New lead", body="...")
        warning = notify(user=rep, kind="sla_warning", subject="Close", body="...")
        breach = notify(user=rep, kind="sla_breach", subject="Late", body="...")

    # Then only the breach is emailed now; each keeps the delivery it was made with
    enqueue.assert_called_once_with(breach.pk)
    assert [n.delivery for n in (assigned, warning, breach)] == [DIGEST, NONE, EMAIL]
    assert Notification.objects.filter(user=rep).count() == 3


def test_in_the_app_only_is_stored_but_never_emailed_nor_in_the_digest(rep):
    _prefer(rep, DIGEST, "assigned")
    _prefer(rep, NONE, "escalation")
    quiet = notify(user=rep, kind="escalation", subject="Quiet one", body="...")
    notify(user=rep, kind="assigned", subject="Digest one", body="...")

    assert notification_email(notification_id=quiet.pk) is False
    assert notification_digest_send() == 1

    assert len(mail.outbox) == 1
    assert "Digest one" in mail.outbox[0].body and "Quiet one" not in mail.outbox[0].body
    quiet.refresh_from_db()
    assert (quiet.emailed_at, quiet.read_at) == (None, None)


def test_a_later_digest_does_not_send_what_was_made_for_the_app_only(rep):
    """The delivery is the one chosen when the notification was made."""
    _prefer(rep, NONE)
    notify(user=rep, kind="assigned", subject="Made quiet", body="...")
    _prefer(rep, DIGEST)
    notify(user=rep, kind="assigned", subject="Made for the digest", body="...")

    assert notification_digest_send() == 1

    assert "Made quiet" not in mail.outbox[0].body
    assert mail.outbox[0].subject == "[Leadflow] Your daily digest: 1 notification"


def test_choosing_again_replaces_the_choice(rep):
    _prefer(rep, DIGEST, "assigned")
    _prefer(rep, NONE, "assigned")

    assert list(NotificationPreference.objects.values_list("kind", "delivery")) == [
        ("assigned", NONE)
    ]


def test_an_unknown_kind_or_delivery_is_refused_and_nothing_is_written(rep):
    for deliveries in ({"assigned": EMAIL, "birthday": EMAIL}, {"assigned": "pigeon"}):
        with pytest.raises(ValueError):
            notification_deliveries_update(user=rep, deliveries=deliveries)

    assert not NotificationPreference.objects.exists()


def _send_statements(users, per_user: int) -> int:
    notes = [
        Notification(user=user, kind=kind, subject=f"{kind} {n}", body="...")
        for user in users
        for n in range(per_user)
        for kind in ("assigned", "sla_warning")
    ]
    with CaptureQueriesContext(connection) as queries:
        notifications_send(notes)
    return len(queries)


def test_sending_costs_two_statements_however_many_notifications_and_users(db):
    """The preferences are read once for the batch and the notifications inserted at once."""
    few = [UserFactory(username="few", email="few@example.com")]
    many = [UserFactory(username=f"many{n}", email=f"m{n}@example.com") for n in range(8)]
    for user in many[::2]:
        _prefer(user, DIGEST, "assigned")
        _prefer(user, NONE, "sla_warning")

    assert _send_statements(few, 1) == _send_statements(many, 5) == 2
    assert Notification.objects.filter(delivery=DIGEST).count() == 4 * 5
    assert Notification.objects.filter(delivery=NONE).count() == 4 * 5


# --- reading in the app ---------------------------------------------------------------------


def test_marking_read_keeps_the_first_time(rep):
    note = notify(user=rep, kind="assigned", subject="New lead", body="...")
    first = datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC)

    notification_mark_read(notification=note, now=first)
    notification_mark_read(notification=note, now=first + datetime.timedelta(hours=1))

    note.refresh_from_db()
    assert note.read_at == first


def test_marking_all_read_leaves_what_arrived_after_the_page_was_drawn(rep):
    other = UserFactory(username="otto")
    seen = notify(user=rep, kind="assigned", subject="Seen", body="...")
    theirs = notify(user=other, kind="assigned", subject="Not mine", body="...")
    seen_at = seen.created_at
    later = notify(user=rep, kind="assigned", subject="Arrived since", body="...")

    assert notifications_mark_read(user=rep, seen_at=seen_at) == 1

    unread = set(Notification.objects.filter(read_at=None).values_list("pk", flat=True))
    assert unread == {theirs.pk, later.pk}
