"""Text a user enters is shown as text: escaped on every page, in the admin and in every email.

Payloads go in through the models (as the API or a form would store them) and are looked for
where they come out: the raw payload must be absent, its escaped form present.
"""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from funnel.models import Campaign, ReasonCode, Role
from funnel.tests.factories import UserFactory
from handoff.models import Disposition
from reporting.tests.conftest import berlin, berlin_time, report_people  # noqa: F401 (fixtures)
from reporting.tests.history import CHECK_AT, WEEK, travel
from reporting.tests.test_weekly_report import week_history  # noqa: F401 (fixture)
from reporting.weekly import weekly_report_build, weekly_report_email

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"
PAYLOADS = (SCRIPT, IMG)


def escaped(text: str) -> str:
    """As Django's autoescape writes it (quotes as &quot; and &#x27;)."""
    return escape(text)


def assert_shown_as_text(page: str, *payloads: str) -> None:
    for payload in payloads:
        assert payload not in page, payload
        assert escaped(payload) in page, payload


@pytest.fixture
def hostile_week(week_history):  # noqa: F811 (the imported fixture)
    """The W47 history with user-entered text replaced by payloads: the won lead's name and
    company, the lost deal's reason label and competitor, a campaign, a rep's name."""
    won = Disposition.objects.get(kind="won", at__gte=berlin(2026, 11, 16))
    lead = won.lead
    lead.first_name, lead.last_name, lead.company = SCRIPT, TEMPLATE, IMG
    lead.save()
    won.actor.first_name, won.actor.last_name = IMG, SCRIPT
    won.actor.save()
    lost = Disposition.objects.get(kind="lost", at__gte=berlin(2026, 11, 16))
    lost.competitor = SCRIPT
    lost.save()
    ReasonCode.objects.filter(pk=lost.reason_id).update(label=IMG)
    Campaign.objects.filter(name="Winter launch").update(name=SCRIPT + TEMPLATE)
    with travel(CHECK_AT):
        report, _ = weekly_report_build(week=WEEK)
    return report


def test_the_weekly_report_page_shows_user_text_escaped(hostile_week, client):
    client.force_login(UserFactory(username="esc_manager", role=Role.MANAGER))

    page = client.get(reverse("reporting:weekly-detail", args=[hostile_week.pk])).content.decode()

    assert_shown_as_text(page, *PAYLOADS)
    assert TEMPLATE in page  # user text is never itself rendered as a template


def test_the_weekly_report_email_shows_user_text_escaped(hostile_week):
    with travel(CHECK_AT):
        assert weekly_report_email(report=hostile_week) > 0

    message = mail.outbox[0]
    body, _ = message.alternatives[0]
    assert_shown_as_text(body, *PAYLOADS)
    assert escaped(hostile_week.html) != hostile_week.html  # the stored HTML is markup...
    assert SCRIPT not in hostile_week.html  # ...with the user's text escaped in it


def test_the_weekly_report_list_and_admin_show_user_text_escaped(hostile_week, admin_client):
    for url in (
        reverse("admin:funnel_campaign_changelist"),
        reverse("admin:funnel_reasoncode_changelist"),
        reverse("admin:handoff_disposition_changelist"),
    ):
        page = admin_client.get(url)
        assert page.status_code == 200, url
        assert SCRIPT not in page.content.decode() and IMG not in page.content.decode(), url


# --- notification emails: plain text, one line of subject whatever the lead's name ---------


def test_a_notification_about_a_lead_with_markup_and_line_breaks_is_emailed_intact(funnel):
    from handoff.models import NotificationDelivery
    from handoff.services.notifications import notification_email, notify
    from handoff.tests.factories import LeadFactory

    user = UserFactory(username="esc_rep", role=Role.SALES)
    lead = LeadFactory(first_name=SCRIPT, last_name="x\r\nBcc: victim@example.com")
    notification = notify(
        user=user, kind="assigned", subject=f"New lead for you: {lead}", body=f"{lead}", lead=lead
    )
    type(notification).objects.filter(pk=notification.pk).update(
        delivery=NotificationDelivery.EMAIL
    )

    assert notification_email(notification_id=notification.pk)

    message = mail.outbox[-1]
    sent = message.message()
    assert sent["Bcc"] is None and "victim@example.com" not in str(sent["To"])
    assert "\n" not in message.subject and "\r" not in message.subject
    assert SCRIPT in message.subject  # plain text: shown as typed, no HTML part to run it
    assert not getattr(message, "alternatives", [])
