"""In a real browser: a manager reassigns an overdue lead from the console and sees the
confirmation; proposes and signs an agreement version with the other team's manager; the
console fits a phone. Screenshots go to LEADFLOW_SCREENSHOTS (default: the test's tmp dir)."""

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone

from handoff.models import Lead, Offer, SlaAgreement
from leadflow.testing.browser import PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("LEADFLOW_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> None:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")

    return save


def test_a_manager_reassigns_an_overdue_lead(browser_login, people, offers, sla_enqueues, shots):
    # Given a lead rep A accepted and left past its touches deadline, and one waiting
    worked, waiting = offers(2, accepted=1)
    Offer.objects.filter(pk=worked.pk).update(
        touches_due_at=timezone.now() - datetime.timedelta(hours=5)
    )
    rep_b = people.reps[1]

    # When their manager opens the console, ticks the late lead and hands it to rep B
    page = browser_login(people.manager)
    page.goto("/team/")
    row = page.locator(f"#offer-{worked.pk}")
    assert "late" in row.get_attribute("class")
    assert "touches overdue by 5h" in row.inner_text()
    assert page.locator(f"#offer-{waiting.pk}").is_visible()
    shots(page, "team-console")
    row.get_by_role("checkbox").check()
    page.get_by_label("Reassign to").select_option(label="Repb")
    page.get_by_role("button", name="Reassign chosen leads").click()
    page.wait_for_load_state()

    # Then they see the confirmation, and the lead is rep B's, who was told
    assert page.get_by_role("status").inner_text() == (
        "Reassigned 1 lead to Repb; they have been notified."
    )
    assert "worked by Repb" in page.locator(f"#offer-{worked.pk}").inner_text()
    shots(page, "team-console-reassigned")
    assert Lead.objects.get(pk=worked.lead_id).owner == rep_b
    assert rep_b.notifications.filter(offer=worked, kind="assigned").exists()
    assert Offer.objects.get(pk=waiting.pk).assignee == people.reps[0]


def test_two_managers_bring_a_new_version_into_force(browser_login, people, sla_enqueues, shots):
    # Given the sales manager on the console
    page = browser_login(people.manager)
    page.goto("/team/")

    # When they propose version 2 with a shorter accept window and sign it
    page.get_by_role("link", name="Propose a new version").click()
    page.wait_for_url("**/agreements/mql_sal/propose/**")
    page.get_by_label("Accept within hours").fill("4")
    shots(page, "team-agreement-propose")
    page.get_by_role("button", name="Propose version").click()
    page.wait_for_load_state()
    assert (
        "Proposed Inside → Sales (MQL → SAL) version 2" in page.get_by_role("status").inner_text()
    )
    page.get_by_role("button", name="Sign off version 2").click()
    page.wait_for_load_state()
    assert "waits for the other side" in page.get_by_role("status").inner_text()
    assert page.get_by_role("button", name="Sign off version 2").count() == 0

    # Then the inside manager signs too, and version 2 is in force
    page = browser_login(people.managers["inside"])
    page.goto("/team/")
    page.get_by_role("button", name="Sign off version 2").click()
    page.wait_for_load_state()
    assert "it is in force" in page.get_by_role("status").inner_text()
    shots(page, "team-agreements-signed")
    signed = SlaAgreement.objects.get(handoff__key="mql_sal", version=2)
    assert signed.effective_at is not None
    assert signed.accept_within_hours == 4


def test_the_console_fits_a_phone(browser_login, people, offers, sla_enqueues, shots):
    offers(4, accepted=2)

    page = browser_login(people.manager, viewport=PHONE)
    page.goto("/team/")

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = page.locator("li.offer-row label.pick").first.bounding_box()
    assert box["width"] >= 40 and box["height"] >= 40
    assert page.get_by_role("button", name="Reassign chosen leads").bounding_box()["height"] >= 40
    shots(page, "team-console-phone")
