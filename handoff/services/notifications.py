"""In-app notifications, emailed one by one, in a daily digest or not at all, as each user
prefers for each kind; read and marked read in the app."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from funnel.models import User
from handoff.models import (
    Lead,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    Offer,
)
from leadflow.batches import ids_within
from leadflow.locale import speaking_to, user_time_zone

logger = logging.getLogger(__name__)

# The email safety net looks back this far: a notification older than that is not worth an
# email any more (it is in the app), and a mail server that refuses one is not asked forever.
EMAIL_OVERDUE_WINDOW = datetime.timedelta(days=1)
EMAIL_OVERDUE_BATCH = 200
EMAIL_OVERDUE_TIME_BUDGET = 40.0


def lead_summary(lead: Lead, activities: int = 10, *, tz: datetime.tzinfo | None = None) -> str:
    """Contact data and recent marketing activity: why marketing thinks the lead is ready. In
    the active language; times on `tz`'s clock (the recipient's), else as stored."""
    dash = "-"
    if lead.title and lead.company:
        # Translators: a lead's job title and company, e.g. "CTO at Acme".
        works = _("{title} at {company}").format(title=lead.title, company=lead.company)
    else:
        works = lead.title or lead.company
    lines = [
        f"{lead.first_name} {lead.last_name}".strip() or lead.email,
        works,
        _("Email: {email}  Phone: {phone}").format(email=lead.email, phone=lead.phone or dash),
        _("Country: {country}  Industry: {industry}  Employees: {employees}").format(
            country=lead.country or dash,
            industry=lead.industry or dash,
            employees=lead.employees or dash,
        ),
        _("Score: {score}  Source: {source}  Campaign: {campaign}").format(
            score=lead.score,
            source=lead.source or dash,
            campaign=lead.campaign.name if lead.campaign_id else dash,
        ),
    ]
    recent = list(lead.activities.order_by("-at")[:activities])
    if recent:
        lines.append(_("Recent activity:"))
        lines += [
            f"  {_local(a.at, tz):%Y-%m-%d %H:%M} {a.get_kind_display()} {a.detail or ''}"
            for a in recent
        ]
    return "\n".join(line for line in lines if line)


def _local(moment: datetime.datetime, tz: datetime.tzinfo | None) -> datetime.datetime:
    return (
        timezone.localtime(moment, tz) if tz is not None and timezone.is_aware(moment) else moment
    )


def recipient_local(moment: datetime.datetime, user: User) -> datetime.datetime:
    """`moment` on the clock `user` reads times on (their time zone, else the site's)."""
    return _local(moment, user_time_zone(user))


def notify(
    *,
    user: User,
    kind: str,
    subject: str,
    body: str,
    offer: Offer | None = None,
    lead: Lead | None = None,
) -> Notification:
    """Record a notification and email it after commit, if the user takes this kind by email."""
    [notification] = notifications_send(
        [Notification(user=user, kind=kind, subject=subject, body=body, offer=offer, lead=lead)]
    )
    return notification


def notifications_send(notifications: list[Notification]) -> list[Notification]:
    """Record several notifications in one insert, each with its user's delivery for its kind;
    email those taken one by one after commit, in one message. Two statements, however many."""
    from handoff.tasks import notification_email_task, notifications_email_task

    if not notifications:
        return []
    # One read by the (user, kind) unique index; a kind the user never chose is emailed.
    chosen = {
        (user_id, kind): delivery
        for user_id, kind, delivery in NotificationPreference.objects.filter(
            user_id__in={n.user_id for n in notifications},
            kind__in={n.kind for n in notifications},
        ).values_list("user_id", "kind", "delivery")
    }
    for n in notifications:
        n.delivery = chosen.get((n.user_id, n.kind), NotificationDelivery.EMAIL)
    Notification.objects.bulk_create(notifications)
    ids = [n.pk for n in notifications if n.delivery == NotificationDelivery.EMAIL and n.user.email]
    if len(ids) == 1:
        notification_email_task.delay_on_commit(ids[0])
    elif ids:
        notifications_email_task.delay_on_commit(ids)
    return notifications


def notification_message_id(notification_id: int) -> str:
    """The same Message-ID for every send of one notification: should a worker die between
    sending and recording it, the second send is the same message, and mail clients show it
    once."""
    return f"<notification.{notification_id}@leadflow>"


@transaction.atomic
def notification_email(*, notification_id: int) -> bool:
    """Send one notification's email once; False if it was sent already or cannot be."""
    notification = (
        Notification.objects.select_for_update().select_related("user").get(pk=notification_id)
    )
    if (
        notification.emailed_at
        or notification.delivery != NotificationDelivery.EMAIL
        or not notification.user.email
    ):
        return False
    # The subject and body were written in the recipient's language when it was made.
    with speaking_to(notification.user):
        message = EmailMessage(
            # A lead's name may hold a line break, and a header may not (BadHeaderError): one line.
            " ".join(f"[Leadflow] {notification.subject}".split()),
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.user.email],
            headers={"Message-ID": notification_message_id(notification.pk)},
        )
    message.send()
    notification.emailed_at = timezone.now()
    notification.save(update_fields=["emailed_at"])
    return True


def notifications_email_overdue(
    *, now: datetime.datetime | None = None, time_budget: float = EMAIL_OVERDUE_TIME_BUDGET
) -> int:
    """Email the notifications taken one by one that are older than the grace period
    (SAFETY_NET_GRACE_SECONDS, within EMAIL_OVERDUE_WINDOW) and were never emailed; how many.
    The safety net for email messages lost on the way (the broker away, a worker killed
    holding them): beat runs it every minute. `notification_email` locks each and sends it
    once, so a late original message, or another run at once, sends nothing again."""
    now = now or timezone.now()
    overdue = (
        Notification.objects.filter(
            delivery=NotificationDelivery.EMAIL,
            emailed_at__isnull=True,  # the notification_email_waiting index
            created_at__lte=now - datetime.timedelta(seconds=settings.SAFETY_NET_GRACE_SECONDS),
            created_at__gte=now - EMAIL_OVERDUE_WINDOW,
        )
        .exclude(user__email="")
        .order_by("pk")
    )
    sent = 0
    for notification_id in ids_within(overdue, batch=EMAIL_OVERDUE_BATCH, seconds=time_budget):
        try:
            sent += notification_email(notification_id=notification_id)
        except Exception:
            # A mail server refusing one must not hold back the others.
            logger.exception("Safety net: notification %s not emailed", notification_id)
    if sent:
        logger.warning("Safety net: %s notifications emailed that their message missed", sent)
    return sent


@transaction.atomic
def notification_digest_send() -> int:
    """One email per user with everything made for their digest and not yet sent. Returns
    emails sent."""
    waiting = Notification.objects.filter(
        delivery=NotificationDelivery.DIGEST, emailed_at__isnull=True
    ).order_by("created_at")
    users = (
        User.objects.filter(
            notifications__delivery=NotificationDelivery.DIGEST,
            notifications__emailed_at__isnull=True,
        )
        .exclude(email="")
        .distinct()
        .prefetch_related(Prefetch("notifications", queryset=waiting, to_attr="waiting"))
    )
    sent = 0
    now = timezone.now()
    for user in users:
        items = user.waiting
        with speaking_to(user):
            body = "\n\n".join(
                f"{recipient_local(n.created_at, user):%Y-%m-%d %H:%M} {n.subject}\n{n.body}"
                for n in items
            )
            count = len(items)
            subject = "[Leadflow] " + ngettext(
                "Your daily digest: %(count)d notification",
                "Your daily digest: %(count)d notifications",
                count,
            ) % {"count": count}
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=now)
        sent += 1
    return sent


# --- the user's own settings and reading ---------------------------------------------------


@transaction.atomic
def notification_deliveries_update(*, user: User, deliveries: dict[str, str]) -> None:
    """Set how `user` takes each kind given ({kind: delivery}), in one statement. It applies to
    notifications made from now on."""
    unknown = set(deliveries) - set(Notification.Kind.values)
    unknown |= set(deliveries.values()) - set(NotificationDelivery.values)
    if unknown:
        raise ValueError(f"Unknown kinds or deliveries: {sorted(unknown)}")
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(user=user, kind=kind, delivery=delivery)
            for kind, delivery in deliveries.items()
        ],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["delivery"],
    )


def notification_mark_read(
    *, notification: Notification, now: datetime.datetime | None = None
) -> Notification:
    """Mark one notification read; marking it again keeps the first time."""
    now = now or timezone.now()
    # Conditional, so two tabs marking it at once agree on when it was read.
    if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
        notification.read_at = now
    return notification


def notifications_mark_read(
    *, user: User, seen_at: datetime.datetime | None = None, now: datetime.datetime | None = None
) -> int:
    """Mark all of `user`'s unread notifications read, or only those made by `seen_at` (when the
    page they clicked on was drawn: one arriving since stays unread). Returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if seen_at is not None:
        unread = unread.filter(created_at__lte=seen_at)
    return unread.update(read_at=now or timezone.now())
