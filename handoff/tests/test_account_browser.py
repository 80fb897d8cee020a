"""In a real browser: a rep sees the bell's count, opens the list, marks one read, and marks
themselves away from the preferences page, then sees it in the header."""

import datetime

import pytest
from django.utils import timezone

from handoff.services.notifications import notify
from leadflow.testing.browser import PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _away_label(day: datetime.date) -> str:
    label = f"{day.day} {day:%b}"
    return label if day.year == timezone.localdate().year else f"{label} {day.year}"


def test_a_rep_reads_a_notification_and_goes_away(browser_login, sales_team, sla_enqueues):
    rep = sales_team[2][0]
    for subject in ("New lead for you: Ada", "SLA warning: Bo"):
        notify(user=rep, kind="assigned", subject=subject, body="Acme")

    # Given the rep signed in, with two unread
    page = browser_login(rep)
    bell = page.locator("header.top a.bell")
    assert bell.locator(".badge").inner_text() == "2"

    # When they open the list and mark one read, the count drops
    bell.click()
    page.wait_for_url("**/notifications/")
    assert page.locator("article.note.unread").count() == 2
    page.locator("article.note", has_text="SLA warning: Bo").get_by_role("button").click()
    page.wait_for_load_state()
    assert bell.locator(".badge").inner_text() == "1"
    assert page.locator("article.note.unread").count() == 1

    # And when they set their last day away, the header says so, linking back to change it
    until = timezone.localdate() + datetime.timedelta(days=10)
    page.locator("header.top").get_by_role("link", name="Preferences").click()
    page.wait_for_url("**/me/")
    page.get_by_label("Last day away").fill(until.isoformat())
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    away = page.locator("header.top a.away")
    assert away.inner_text() == f"Away until {_away_label(until)}"
    assert page.get_by_role("status").inner_text() == "Saved."
    away.click()
    page.wait_for_url("**/me/")
    assert page.get_by_label("Last day away").input_value() == until.isoformat()


def test_the_header_fits_a_phone(browser_login, sales_team, sla_enqueues):
    rep = sales_team[2][0]
    notify(user=rep, kind="assigned", subject="New lead", body="Acme")

    page = browser_login(rep, viewport=PHONE)
    page.goto("/notifications/")

    bell = page.locator("header.top a.bell")
    assert bell.is_visible() and bell.locator(".badge").inner_text() == "1"
    # Nothing pushes the page sideways at 375 px
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
