"""In a real browser: a marketer filters the leads list and exports exactly what it shows; picks
every lead on the page and sets their campaign, confirming first."""

import csv
import io

import pytest

from funnel.models import Campaign, Role, Stage
from funnel.tests.factories import UserFactory
from handoff.models import Lead
from handoff.tests.factories import LeadFactory
from leadflow.testing.browser import PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def marketer(handoffs):
    return UserFactory(username="browser_marketer", role=Role.MARKETING)


def test_a_marketer_filters_then_exports_what_is_shown(browser_login, marketer):
    mql = Stage.objects.get(key="mql")
    wanted = {LeadFactory(stage=mql, company=f"Wanted {n}").email for n in range(3)}
    LeadFactory(stage=Stage.objects.get(key="sal"), company="=cmd|' /C calc'!A0")
    page = browser_login(marketer, viewport=PHONE)
    page.get_by_role("link", name="Leads", exact=True).click()
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Stage", exact=True).select_option("mql")
    page.get_by_role("button", name="Show leads").click()
    page.wait_for_url("**/leads/?*stage=mql*")
    assert page.locator("#lead-count [data-count]").get_attribute("data-count") == "3"
    assert page.locator("table.lead-table tbody tr").count() == 3

    with page.expect_download() as download:
        page.get_by_role("link", name="Export these leads (CSV)").click()
    with open(download.value.path(), encoding="utf-8") as exported:
        rows = list(csv.DictReader(io.StringIO(exported.read())))
    assert {row["email"] for row in rows} == wanted
    assert {row["stage"] for row in rows} == {"mql"}


def test_a_marketer_sets_the_campaign_of_every_lead_on_the_page(browser_login, marketer):
    spring = Campaign.objects.create(name="Spring launch")
    leads = [LeadFactory(first_name=name) for name in ("Ada", "Bo")]
    page = browser_login(marketer)
    page.goto("/leads/")
    page.get_by_label("Choose all on this page").check()
    assert page.locator("input[name=leads]:checked").count() == 2
    bar = page.locator(".bulk-bar")
    assert bar.locator("select[name=campaign]").is_hidden()  # until the action is chosen
    bar.locator("select[name=action]").select_option("campaign")
    bar.locator("select[name=campaign]").select_option(str(spring.pk))
    bar.get_by_role("button", name="Apply to chosen leads…").click()

    page.get_by_role("heading", name="Confirm: Set campaign").wait_for()
    assert Lead.objects.filter(campaign=spring).count() == 0
    page.get_by_role("button", name="Yes, Set campaign").click()
    page.get_by_role("heading", name="Set campaign: done for 2 leads").wait_for()
    assert page.locator(".bulk-results .ok").count() == 2
    assert set(Lead.objects.filter(campaign=spring).values_list("pk", flat=True)) == {
        lead.pk for lead in leads
    }
    page.screenshot(path="/tmp/lf/shots/leads-bulk-done-1280.png", full_page=True)
