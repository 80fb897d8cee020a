"""The weekly report in Russian: the page renders in the reader's language, and each recipient
gets the email in theirs (the stored English one for English readers)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from funnel.models import Role
from funnel.tests.factories import UserFactory
from reporting.tests.history import CHECK_AT, travel
from reporting.tests.test_weekly_report import _build, week_history  # noqa: F401 (fixture)
from reporting.weekly import weekly_report_email, weekly_report_recipients


@pytest.fixture(autouse=True)
def _language_reset():
    """A request in Russian leaves Russian active in this thread (LocaleMiddleware does not
    deactivate it): back to the site's language, so later tests build their data in English."""
    yield
    translation.deactivate()


def test_the_weekly_report_page_and_email_in_russian(week_history, client):  # noqa: F811
    report, _ = _build()
    client.force_login(UserFactory(username="weekly_ru", role=Role.MANAGER, language="ru"))

    response = client.get(reverse("reporting:weekly-detail", args=[report.pk]))

    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    page = response.content.decode()
    assert 'width="640"' in page
    assert 'src="data:image/png;base64,' in page

    # A recipient who reads Russian gets the report rendered in Russian; the others the stored
    # English one, byte for byte.
    manager = report_recipient_in_russian()
    with travel(CHECK_AT):
        sent = weekly_report_email(report=report, force=True)
    recipients = weekly_report_recipients()
    assert sent == len(recipients) == 4  # the three managers and the one who reads Russian
    by_address = {m.to[0]: m for m in mail.outbox}
    english = by_address[next(u.email for u in recipients if not u.language)]
    assert english.subject == "[Leadflow] Weekly feedback report 2026-W47"
    assert (
        report.html.split("<body", 1)[1].split(">", 1)[1].strip()[:40]
        in (english.alternatives[0][0])
    )
    russian = by_address[manager.email]
    assert '<html lang="ru">' in russian.alternatives[0][0]
    assert '<html lang="en">' in english.alternatives[0][0]


def report_recipient_in_russian():
    manager = weekly_report_recipients()[0]
    manager.language = "ru"
    manager.save(update_fields=["language"])
    return manager
