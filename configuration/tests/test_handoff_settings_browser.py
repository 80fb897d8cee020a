"""In Chromium: the marketer changes a handoff's target from 100% to 60% from today, and sees
the new version, the old one kept, and the change in the audit trail (at 1280 and 375 px)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from funnel.models import HandoffPair, HandoffTarget, Role, Team
from funnel.selectors import target_in_force, target_today
from funnel.setup import defaults_install
from funnel.tests.factories import UserFactory
from leadflow.testing.browser import DESKTOP, PHONE


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_marketer_changes_a_target_and_sees_the_version_and_the_trail(
    browser_login, transactional_db, viewport
):
    defaults_install()
    marketer = UserFactory(
        username="cfg_browser_marketer",
        role=Role.MARKETING,
        team=Team.objects.get(key="marketing"),
    )
    pair = HandoffPair.objects.get(key="mql_sal")
    page = browser_login(marketer, viewport=viewport)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto("/settings/handoffs/")
    card = page.locator("#handoff-mql_sal")
    assert "100%" in card.locator(".target-now").inner_text()
    # The day defaults to today: the marketer only types the rate.
    assert card.locator("input[name='mql_sal-effective_from']").input_value() == (
        target_today().isoformat()
    )
    card.locator("input[name='mql_sal-rate']").fill("60")
    card.get_by_role("button", name="Set the target").click()
    page.wait_for_load_state()

    assert page.url.endswith("/settings/handoffs/#handoff-mql_sal")
    assert "the target is 60% from" in page.locator("p.flash").inner_text()
    card = page.locator("#handoff-mql_sal")
    assert "60%" in card.locator(".target-now").inner_text()
    versions = card.locator("ul.versions li")
    assert versions.count() == 2
    assert "60%" in versions.nth(0).inner_text() and "in force" in versions.nth(0).inner_text()
    assert "100%" in versions.nth(1).inner_text()  # the old version kept
    trail = page.locator(".audit-trail")
    assert trail.locator("text=cfg_browser_marketer").count() >= 1
    said = trail.inner_text()
    assert re.search(r"\b60(\.0)?%", said) and re.search(r"\b100(\.0)?%", said)
    # Nothing overflows the phone's width.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"]
    assert errors == []
    assert target_in_force(handoff=pair, day=target_today()) == Decimal("0.600")
    assert HandoffTarget.objects.filter(handoff=pair).count() == 2
