"""The Content-Security-Policy: sent on every page, and no page of the app breaks it."""

import pytest

from funnel.models import Role
from funnel.tests.factories import UserFactory
from handoff.tests.factories import LeadFactory


def test_pages_and_api_answers_carry_the_policy(client, db):
    for url in ("/accounts/login/", "/api/v1/stages/", "/api/docs/"):
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0], url


@pytest.mark.slow
def test_no_page_breaks_the_policy_in_chromium(browser_login, funnel):
    """Chromium reports every blocked script, style or image on the console."""
    manager = UserFactory(username="csp_admin", role=Role.MANAGER, is_staff=True, is_superuser=True)
    lead = LeadFactory(owner=manager)
    page = browser_login(manager)
    blocked, at = [], [""]
    page.on("console", lambda m: "Content Security" in m.text and blocked.append((at[-1], m.text)))
    page.on("pageerror", lambda error: blocked.append((at[-1], str(error))))

    for url in ("/queue/", "/pipeline/", f"/leads/{lead.pk}/", "/team/", "/reports/weekly/",
                "/notifications/", "/me/", "/api/docs/", "/admin/", "/admin/handoff/lead/",
                f"/admin/handoff/lead/{lead.pk}/change/"):  # fmt: skip
        at.append(url)
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert page.title(), url

    assert blocked == []
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=15_000)  # its script ran, from a file
