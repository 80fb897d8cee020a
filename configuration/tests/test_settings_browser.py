"""In a real browser, on a phone: a marketer edits a stage's name in the settings and the
stage's audit trail shows who changed what, old → new. Screenshots go to
LEADFLOW_SCREENSHOTS (default: the test's tmp dir)."""

import os
from pathlib import Path

import pytest

from funnel.models import Role, Stage, Team
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from leadflow.testing.browser import PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_marketer_edits_a_stage_name_and_the_audit_trail_shows_who_and_what(
    browser_login, tmp_path
):
    # Given the default funnel and a marketer
    funnel_setup_defaults()
    marketer = UserFactory(
        username="mona", role=Role.MARKETING, team=Team.objects.get(key="marketing")
    )
    shots = Path(os.environ.get("LEADFLOW_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    # When she opens Settings from the header, then Stages, then MQL, and renames it
    page = browser_login(marketer, viewport=PHONE)
    page.locator("header nav a[href='/settings/']").click()
    page.get_by_role("link", name="Stages").click()
    page.get_by_role("link", name="Marketing Qualified Lead").click()
    name = page.get_by_label("Name")
    name.fill("Marketing Qualified")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()

    # Then the list says so and shows the new name; the stage's page shows who and what
    assert page.get_by_role("status").inner_text() == "Saved: Marketing Qualified."
    assert page.locator(f"#stage-{Stage.objects.get(key='mql').pk}").is_visible()
    page.get_by_role("link", name="Marketing Qualified", exact=True).click()
    trail = page.locator(".audit-trail tbody tr").first
    text = trail.inner_text()
    assert "mona" in text
    assert "Marketing Qualified Lead" in text and "→" in text and "Marketing Qualified" in text
    # Nothing is wider than the phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    page.screenshot(path=str(shots / "cfgfunnel-stage-audit-375.png"), full_page=True)
    assert Stage.objects.get(key="mql").name == "Marketing Qualified"
