"""Emailing a weekly report from its page, and the absolute links of the email (SITE_URL)."""

import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from funnel.models import Role
from funnel.tests.factories import UserFactory
from reporting.models import WeeklyReport
from reporting.tests.history import CHECK_AT, WEEK, travel
from reporting.views import NO_RECIPIENTS, SEND_FAILED
from reporting.weekly import weekly_report_build, weekly_report_message


@pytest.fixture
def report(report_people, berlin_time):
    """Last week's report of a sales team whose manager has an email address."""
    with travel(CHECK_AT):
        built, _ = weekly_report_build(week=WEEK)
    return built


def _email_url(report: WeeklyReport) -> str:
    return reverse("reporting:weekly-email", args=[report.pk])


def test_the_links_are_on_site_url(report, settings):
    settings.SITE_URL = "https://leads.example.com/"

    message = weekly_report_message(report=report, to=["boss@example.com"], images={})

    url = f"https://leads.example.com/reports/weekly/{report.pk}/"
    assert f"in Leadflow at {url}" in message.body
    html, _ = message.alternatives[0]
    assert f'<a href="{url}">Open this report in Leadflow</a>' in html
    # Inside the body, before the report itself; the stored snapshot is left as it was.
    assert html.index("<body") < html.index(url) < html.index('<div class="weekly">')
    assert url not in WeeklyReport.objects.get(pk=report.pk).html


def test_a_manager_emails_the_report_from_its_page(report, client):
    client.force_login(UserFactory(username="page_boss", role=Role.MANAGER, email=""))

    response = client.post(_email_url(report), follow=True)

    assert response.redirect_chain == [(reverse("reporting:weekly-detail", args=[report.pk]), 302)]
    assert "Emailed the weekly report 2026-W47 to 1 manager." in response.text
    assert [m.to for m in mail.outbox] == [["report_manager@example.com"]]
    report.refresh_from_db()
    assert report.emailed_at is not None


def test_a_report_emailed_before_is_sent_again_on_request(report, client):
    report.emailed_at = report.built_at
    report.save()
    client.force_login(UserFactory(username="page_boss", role=Role.MANAGER))

    page = client.get(reverse("reporting:weekly-detail", args=[report.pk]))
    client.post(_email_url(report))

    assert "Email it again to the managers" in page.text
    assert len(mail.outbox) == 2  # report_manager and page_boss, both managers


@pytest.mark.parametrize("role", [Role.MARKETING, Role.SALES])
def test_only_managers_and_admins_may_email_it(report, client, role):
    client.force_login(UserFactory(username="page_other", role=role))

    page = client.get(reverse("reporting:weekly-detail", args=[report.pk]))
    response = client.post(_email_url(report))

    assert response.status_code == 403
    assert not mail.outbox
    if role == Role.MARKETING:
        assert page.status_code == 200
        assert _email_url(report) not in page.text


def test_the_button_needs_a_post_with_a_csrf_token(report, client):
    client.force_login(UserFactory(username="page_boss", role=Role.MANAGER))
    assert client.get(_email_url(report)).status_code == 405

    client.handler.enforce_csrf_checks = True
    assert client.post(_email_url(report)).status_code == 403
    assert not mail.outbox


def test_a_failed_send_is_a_message_not_an_error_page(report, client):
    client.force_login(UserFactory(username="page_boss", role=Role.MANAGER))
    refused = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=refused
    ):
        response = client.post(_email_url(report), follow=True)

    assert response.status_code == 200
    assert SEND_FAILED.format(error=refused) in response.text
    report.refresh_from_db()
    assert report.emailed_at is None


def test_no_manager_to_email_is_said_so(report, client):
    report_people_manager = UserFactory(username="report_manager")
    report_people_manager.email = ""
    report_people_manager.save()
    client.force_login(UserFactory(username="root", role=Role.ADMIN, email=""))

    response = client.post(_email_url(report), follow=True)

    assert NO_RECIPIENTS in response.text
    assert not mail.outbox
