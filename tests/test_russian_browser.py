"""In a real browser, in Russian: a manager who chose Russian in Preferences, and a rep and a
marketer whose browsers only ask for it (Accept-Language), see the dashboard, the queue and the
lead page with no English left on them, on a funnel installed with `setup_funnel --language ru`.

"No English left" is read off the page: every Latin word in its visible text must be data
(usernames, email addresses, a notification's stored subject) or one of the abbreviations the
product keeps in every language.
Screenshots go to /tmp/lf/shots/ (looked at when a page changes).
"""

from __future__ import annotations

import pathlib
import re

import pytest
from django.core.management import call_command

from funnel.models import Campaign, Role, Team
from funnel.tests.factories import UserFactory
from handoff.models import Notification, Offer
from handoff.services.leads import lead_create
from handoff.services.offers import offer_route
from leadflow.testing.browser import PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = pathlib.Path("/tmp/lf/shots")
# The product's own name and the funnel's abbreviations, the same in every language.
KEPT = {"Leadflow", "SLA", "MQL", "SAL", "SQL", "QI", "QIA", "CSV", "API"}
USERNAMES = {"ivanova", "petrov", "smirnova"}


def english_left(page) -> list[str]:
    text = page.locator("body").inner_text()
    text = re.sub(r"\S+@\S+", " ", text)  # email addresses are data
    words = set(re.findall(r"[A-Za-z]{2,}", text))
    return sorted(words - KEPT - USERNAMES - stored_words())


def stored_words() -> set[str]:
    """Words of notifications' subjects: text stored when it was written, in the language of
    its one reader (a rep with no language chosen reads the site's, English)."""
    subjects = " ".join(Notification.objects.values_list("subject", flat=True))
    return set(re.findall(r"[A-Za-z]{2,}", subjects))


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"ru-{name}.png"), full_page=True)


def assert_russian(page, name: str) -> None:
    assert page.locator("html").get_attribute("lang") == "ru"
    shot(page, name)
    assert english_left(page) == [], f"English on {page.url}"


@pytest.fixture
def russian_funnel(db, monkeypatch):
    """The default funnel in Russian; a sales team with a manager and a rep; an offer routed to
    the rep. Task enqueues are dropped: the offer is routed here, in the test."""
    from handoff.tasks import notification_email_task, notifications_email_task, offer_route_task

    for task in (offer_route_task, notification_email_task, notifications_email_task):
        monkeypatch.setattr(task, "delay_on_commit", lambda *args, **kwargs: None)
    call_command("setup_funnel", language="ru", verbosity=0)
    sales = Team.objects.get(key="sales")
    manager = UserFactory(
        username="ivanova", first_name="Ольга", last_name="Иванова", role=Role.MANAGER, team=sales
    )
    sales.manager = manager
    sales.save(update_fields=["manager"])
    rep = UserFactory(
        username="petrov", first_name="Пётр", last_name="Петров", role=Role.SALES, team=sales
    )
    campaign = Campaign.objects.create(name="Осенний вебинар")
    lead = lead_create(
        actor=None,
        stage="mql",
        email="anna@romashka.example",
        first_name="Анна",
        last_name="Смирнова",
        company="Ромашка",
        campaign=campaign,
    )
    offer = offer_route(offer_id=Offer.objects.get(lead=lead).pk)
    assert offer.assignee == rep
    return manager, rep, lead


def test_the_default_funnel_installs_in_russian(russian_funnel):
    lead = russian_funnel[2]
    assert lead.stage.name == "Лид, квалифицированный маркетингом (MQL)"


def test_a_manager_who_chose_russian_reads_every_page_in_it(browser_login, russian_funnel):
    manager, _, lead = russian_funnel
    manager.language = "ru"
    manager.save(update_fields=["language"])
    page = browser_login(manager)  # the browser asks for English
    for name, url in [
        ("dashboard", "/dashboard/"),
        ("manager-queue", "/queue/"),
        ("manager-lead", f"/leads/{lead.pk}/"),
    ]:
        page.goto(url)
        assert_russian(page, name)
    page = browser_login(manager, viewport=PHONE)
    page.goto("/dashboard/")
    assert_russian(page, "dashboard-375")
    # Russian words are longer: still nothing wider than the phone.
    wide = page.evaluate(
        """[...document.querySelectorAll('body *')].filter(e => {
             const r = e.getBoundingClientRect();
             return r.right > 376 && getComputedStyle(e).position !== 'fixed'
               && !e.closest('.table-scroll, .scroll');
           }).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 40))"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, wide


def test_browsers_asking_for_russian_get_it(browser_login, russian_funnel):
    _, rep, lead = russian_funnel
    page = browser_login(rep, locale="ru-RU")
    page.goto("/queue/")
    assert page.locator(f"#lead-{lead.pk}").is_visible()
    assert_russian(page, "queue")
    page.goto(f"/leads/{lead.pk}/")
    assert_russian(page, "lead")

    marketer = UserFactory(username="smirnova", role=Role.MARKETING)
    page = browser_login(marketer, locale="ru-RU")
    assert page.url.endswith("/dashboard/")  # a marketer's home
    assert_russian(page, "marketer-dashboard")
