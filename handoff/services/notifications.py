"""In-app notifications, emailed one by one or in a daily digest, as each user prefers."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from funnel.models import User
from handoff.models import Lead, Notification, Offer, RepProfile


def lead_summary(lead: Lead, activities: int = 10) -> str:
    """Contact data and recent marketing activity: why marketing thinks the lead is ready."""
    lines = [
        f"{lead.first_name} {lead.last_name}".strip() or lead.email,
        f"{lead.title} at {lead.company}".strip(" at"),
        f"Email: {lead.email}  Phone: {lead.phone or '-'}",
        f"Country: {lead.country or '-'}  Industry: {lead.industry or '-'}  "
        f"Employees: {lead.employees or '-'}",
        f"Score: {lead.score}  Source: {lead.source or '-'}  "
        f"Campaign: {lead.campaign.name if lead.campaign_id else '-'}",
    ]
    recent = list(lead.activities.order_by("-at")[:activities])
    if recent:
        lines.append("Recent activity:")
        lines += [
            f"  {a.at:%Y-%m-%d %H:%M} {a.get_kind_display()} {a.detail or ''}" for a in recent
        ]
    return "\n".join(line for line in lines if line)


def notify(
    *,
    user: User,
    kind: str,
    subject: str,
    body: str,
    offer: Offer | None = None,
    lead: Lead | None = None,
) -> Notification:
    """Record a notification and email it after commit, unless the user takes a daily digest."""
    [notification] = notifications_send(
        [Notification(user=user, kind=kind, subject=subject, body=body, offer=offer, lead=lead)]
    )
    return notification


def notifications_send(notifications: list[Notification]) -> list[Notification]:
    """Record several notifications in one insert; email each after commit, in one message,
    to the users who take them one by one."""
    from handoff.tasks import notification_email_task, notifications_email_task

    if not notifications:
        return []
    Notification.objects.bulk_create(notifications)
    digest = set(
        RepProfile.objects.filter(
            user_id__in={n.user_id for n in notifications}, email_digest=True
        ).values_list("user_id", flat=True)
    )
    ids = [n.pk for n in notifications if n.user_id not in digest and n.user.email]
    if len(ids) == 1:
        notification_email_task.delay_on_commit(ids[0])
    elif ids:
        notifications_email_task.delay_on_commit(ids)
    return notifications


@transaction.atomic
def notification_email(*, notification_id: int) -> bool:
    """Send one notification's email once; False if it was sent already or cannot be."""
    notification = (
        Notification.objects.select_for_update().select_related("user").get(pk=notification_id)
    )
    if notification.emailed_at or not notification.user.email:
        return False
    send_mail(
        f"[Leadflow] {notification.subject}",
        notification.body,
        settings.DEFAULT_FROM_EMAIL,
        [notification.user.email],
    )
    notification.emailed_at = timezone.now()
    notification.save(update_fields=["emailed_at"])
    return True


@transaction.atomic
def notification_digest_send() -> int:
    """One email per digest user with everything not yet emailed. Returns emails sent."""
    waiting = Notification.objects.filter(emailed_at__isnull=True).order_by("created_at")
    users = (
        User.objects.filter(rep_profile__email_digest=True, notifications__emailed_at__isnull=True)
        .exclude(email="")
        .distinct()
        .prefetch_related(Prefetch("notifications", queryset=waiting, to_attr="waiting"))
    )
    sent = 0
    now = timezone.now()
    for user in users:
        items = user.waiting
        body = "\n\n".join(f"{n.created_at:%Y-%m-%d %H:%M} {n.subject}\n{n.body}" for n in items)
        send_mail(
            f"[Leadflow] Your daily digest: {len(items)} notifications",
            body,
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=now)
        sent += 1
    return sent
