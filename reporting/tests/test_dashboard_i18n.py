"""The dashboard in Russian: it renders, says so (Content-Language), and keeps every number an
SVG or an attribute reads with a dot, whatever the language's decimal separator (Russian writes
12,5). The weekly report's page and email in Russian: test_weekly_i18n.py."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from funnel.models import Role
from funnel.tests.factories import UserFactory

ASKED = {"period": "custom", "date_from": "2026-09-07", "date_to": "2026-10-04"}
SVG = re.compile(r"<svg class=\"chart\".*?</svg>", re.DOTALL)
NUMBER_ATTRIBUTES = re.compile(
    r'\b(x|y|x1|x2|y1|y2|width|height|rx|font-size|stroke-width)="([^"]*)"'
)
VIEW_BOX = re.compile(r'viewBox="([^"]*)"')
PATH = re.compile(r'\bd="([^"]*)"')


@pytest.fixture(autouse=True)
def _language_reset():
    """A request in Russian leaves Russian active in this thread (LocaleMiddleware does not
    deactivate it): back to the site's language, so later tests build their data in English."""
    yield
    translation.deactivate()


def _numbers_are_floats(svg: str) -> int:
    """Every number attribute of the SVG parses as a float; returns how many were checked."""
    checked = 0
    for _name, value in NUMBER_ATTRIBUTES.findall(svg):
        float(value)  # "12,5" would raise
        checked += 1
    for box in VIEW_BOX.findall(svg):
        assert all(float(v) >= 0 for v in box.split()), box
        checked += 1
    for path in PATH.findall(svg):
        # The path's commands separate x,y pairs with a comma: each coordinate is a dot number.
        for pair in re.findall(r"[MLHV]([^MLHVZ]+)", path):
            for part in pair.split(","):
                float(part)
        checked += 1
    return checked


@pytest.mark.parametrize("mode", ["period", "cohort"])
def test_the_dashboard_in_russian_keeps_dot_numbers_in_its_charts(lifecycle, mode):
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(UserFactory(username="dash_ru", role=Role.MARKETING))

    response = client.get(reverse("reporting:dashboard"), {**ASKED, "mode": mode})

    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    text = response.content.decode()
    charts = SVG.findall(text)
    assert charts, "the dashboard draws its charts"
    assert sum(_numbers_are_floats(svg) for svg in charts) > 20
    # Attributes outside the charts that carry numbers stay numbers too.
    for value in re.findall(r'colspan="([^"]*)"', text):
        int(value)


def test_the_dashboard_by_a_russian_users_choice(lifecycle):
    client = Client()
    client.force_login(UserFactory(username="dash_ru_user", role=Role.MARKETING, language="ru"))

    response = client.get(reverse("reporting:dashboard"), ASKED)

    assert response.status_code == 200
    assert response["Content-Language"] == "ru"


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "7 Sep 2026 \u2013 4 Oct 2026"), ("ru", "7 сентября 2026 \u2013 4 октября 2026")],
)
def test_the_period_is_written_as_each_language_writes_a_day(lifecycle, language, said):
    """leadflow/formats: Russian puts the month in the genitive, lower case, not "7 Сен"."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(UserFactory(username=f"dash_{language}_day", role=Role.MARKETING))

    response = client.get(reverse("reporting:dashboard"), ASKED)

    assert response.status_code == 200
    assert said in response.content.decode()
