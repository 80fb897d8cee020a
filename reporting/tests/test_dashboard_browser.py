"""In a real browser: a marketer follows a campaign's MQL count to its leads; the dashboard fits
a 375 px phone; a changed target moves this week's line and leaves last month's at 100%.

Each test saves screenshots to /tmp/lf/shots/ (looked at when the page changes)."""

from __future__ import annotations

import datetime
import pathlib
import re
from decimal import Decimal

import pytest

from funnel.models import Campaign, HandoffPair, Role
from funnel.selectors import target_today
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from handoff.services.leads import lead_create
from handoff.services.setup import handoff_setup_defaults
from leadflow.testing.browser import PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = pathlib.Path("/tmp/lf/shots")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"dashboard-{name}.png"), full_page=True)


@pytest.fixture
def handoffs(db):
    """The default funnel, agreements and routing rules."""
    funnel_setup_defaults()
    handoff_setup_defaults()


@pytest.fixture
def marketer(handoffs):
    return UserFactory(username="dash_browser_marketer", role=Role.MARKETING)


@pytest.fixture
def campaign_leads(handoffs):
    """Three leads of "Autumn webinar" sent to MQL today, one of another campaign, one in
    inquiry."""
    autumn = Campaign.objects.create(name="Autumn webinar")
    other = Campaign.objects.create(name="Pricing ebook")
    for n in range(3):
        lead_create(actor=None, stage="mql", email=f"mql{n}@example.com", campaign=autumn,
                    source="webinar", country="DE")  # fmt: skip
    lead_create(actor=None, stage="mql", email="other@example.com", campaign=other, source="ads")
    lead_create(actor=None, stage="inquiry", email="new@example.com", campaign=autumn)
    return autumn


def test_clicking_a_campaigns_mql_count_opens_a_leads_list_with_that_many_rows(
    browser_login, marketer, campaign_leads
):
    page = browser_login(marketer)
    page.goto("/")
    assert page.url.endswith("/dashboard/")  # marketing lands on the dashboard at "/"
    row = page.locator(f'#campaigns-table tr[data-group="{campaign_leads.pk}"]')
    link = row.locator('a[data-figure="mql"]')
    shown = int(link.inner_text())
    assert shown == 3
    shot(page, "1280")
    link.click()
    page.wait_for_url("**/leads/?*")
    assert page.locator("#lead-count [data-count]").get_attribute("data-count") == str(shown)
    assert page.locator("table.lead-table tbody tr").count() == shown


def test_the_dashboard_fits_a_375_px_phone(browser_login, marketer, campaign_leads):
    page = browser_login(marketer, viewport=PHONE)
    page.goto("/dashboard/")
    page.locator("#funnel svg.chart").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    shot(page, "375")
    assert width <= 375
    # The charts scale to the column: the waterfall is as wide as its card, not wider.
    box = page.locator("#funnel svg.chart").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375


def _targets_drawn(page, handoff: str) -> dict[str, str]:
    """Week label -> the target the chart compares it with, from the chart's description."""
    text = page.locator(f'[data-handoff="{handoff}"] svg.chart desc').text_content()
    return dict(re.findall(r"(W\d\d): [^;]*?\(target ([\d.]+%)\)", text))


def test_a_target_changed_today_moves_this_weeks_line_and_not_last_months(
    browser_login, marketer, campaign_leads
):
    pair = HandoffPair.objects.get(key="mql_sal")
    assert pair.target_rate == Decimal("1.000")
    page = browser_login(marketer)
    page.goto("/dashboard/")
    before = _targets_drawn(page, "mql_sal")
    assert set(before.values()) == {"100%"}

    page.goto("/settings/handoffs/")
    form = page.locator("#handoff-mql_sal form.target-form")
    form.get_by_label("Target acceptance rate (%)").fill("60")
    form.get_by_label("Takes effect on").fill(target_today().isoformat())
    form.get_by_role("button", name="Set the target").click()
    page.wait_for_load_state()

    page.goto("/dashboard/")
    after = _targets_drawn(page, "mql_sal")
    today = target_today()
    this_week = f"W{today.isocalendar()[1]:02d}"
    month_ago = today - datetime.timedelta(weeks=4)
    last_month = f"W{month_ago.isocalendar()[1]:02d}"
    assert after[this_week] == "60%"
    assert after[last_month] == before[last_month] == "100%"
    handoff = page.locator('[data-handoff="mql_sal"] .rate')
    assert "target 60%" in handoff.inner_text()
    shot(page, "target-moved-1280")
