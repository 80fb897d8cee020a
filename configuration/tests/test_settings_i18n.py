"""The settings pages in Russian: Django's Russian formats write decimals with a comma, so every
number a form takes back (an input's value, a placeholder) must still be written with a dot,
or the form shown would not save as shown. The words come from the shared catalogue, compiled
later: these tests assert the language and the numbers, not the Russian text."""

from __future__ import annotations

import datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from funnel.models import Campaign, HandoffPair, HandoffTarget, Role
from funnel.selectors import target_in_force, target_today
from funnel.services import handoff_target_set
from funnel.setup import defaults_install
from funnel.tests.factories import UserFactory

RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}


class _Forms(HTMLParser):
    """Each <form> of a page: its action, and the values it would post as shown (checked boxes,
    selected options, textareas), and its inputs' attributes by name."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "data": {}, "inputs": {}})
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name:
            form["inputs"][name] = a
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form["data"].setdefault(name, []).append(a.get("value", "on"))
            elif kind not in ("submit", "button") and "disabled" not in a:
                form["data"][name] = [a.get("value", "")]
        elif tag == "select" and name:
            self._select = name if "disabled" not in a else None
            if self._select and "multiple" not in a:
                form["data"][name] = []
        elif tag == "option" and self._select and "selected" in a:
            form["data"].setdefault(self._select, []).append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            form["data"][name] = [""]

    def handle_data(self, data):
        if self._textarea:
            self.forms[-1]["data"][self._textarea] = [data.removeprefix("\n")]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _forms(response) -> list[dict]:
    parser = _Forms()
    parser.feed(response.content.decode())
    return parser.forms


@pytest.fixture
def admin(db, client):
    defaults_install()
    client.force_login(UserFactory(username="cfg_i18n_admin", role=Role.ADMIN))
    return client


def test_the_handoffs_page_in_russian_keeps_a_dot_in_the_rate_it_takes_back(admin):
    pair = HandoffPair.objects.get(key="mql_sal")
    yesterday = target_today() - datetime.timedelta(days=1)
    handoff_target_set(handoff=pair, rate=Decimal("0.625"), effective_from=yesterday, actor=None)

    response = admin.get(reverse("configuration:handoffs"), **RU)

    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    card = response.content.decode().split('id="handoff-mql_sal"')[1].split("</article>")[0]
    assert "<strong>62,5%</strong>" in card  # the text speaks Russian numbers…
    form = next(f for f in _forms(response) if f["action"].endswith("/mql_sal/target/"))
    rate = form["inputs"]["mql_sal-rate"]
    assert rate["type"] == "number"
    assert rate["placeholder"] == "62.5" and rate["step"] == "0.1"  # …the input a dot
    day = form["data"]["mql_sal-effective_from"][0]
    assert day == target_today().isoformat()

    # The target in force typed back, on the day the form shows: it saves.
    form["data"]["mql_sal-rate"] = [rate["placeholder"]]
    response = admin.post(form["action"], form["data"], **RU)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert HandoffTarget.objects.filter(handoff=pair, effective_from=target_today()).exists()
    assert target_in_force(handoff=pair, day=target_today()) == Decimal("0.625")


def test_a_target_re_shown_in_russian_keeps_the_dot_and_then_saves(admin):
    url = reverse("configuration:handoff-target", args=["mql_sal"])

    response = admin.post(url, {"mql_sal-rate": "62.5", "mql_sal-effective_from": ""}, **RU)

    assert response.status_code == 400
    assert response["Content-Language"] == "ru"
    form = next(f for f in _forms(response) if f["action"] == url)
    assert form["data"]["mql_sal-rate"] == ["62.5"]
    form["data"]["mql_sal-effective_from"] = [target_today().isoformat()]

    response = admin.post(url, form["data"], **RU)

    assert response.status_code == 302
    pair = HandoffPair.objects.get(key="mql_sal")
    assert target_in_force(handoff=pair, day=target_today()) == Decimal("0.625")


def test_a_campaign_with_a_decimal_cost_saves_as_shown_in_russian(admin):
    campaign = Campaign.objects.create(
        name="Осенний вебинар",
        channel="webinar",
        start=datetime.date(2030, 10, 1),
        cost=Decimal("1234.50"),
    )
    url = reverse("configuration:campaign-edit", args=[campaign.pk])

    response = admin.get(url, **RU)

    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    form = next(f for f in _forms(response) if "cost" in f["inputs"])
    assert form["inputs"]["cost"]["value"] == "1234.50"
    assert form["inputs"]["start"]["value"] == "2030-10-01"

    response = admin.post(url, form["data"], **RU)

    assert response.status_code == 302, response.content.decode()[:2000]
    campaign.refresh_from_db()
    assert (campaign.cost, campaign.start) == (Decimal("1234.50"), datetime.date(2030, 10, 1))


def test_the_campaigns_list_in_russian_shows_a_comma_in_the_cost(admin):
    Campaign.objects.create(name="Весна", channel="webinar", cost=Decimal("99.50"))

    response = admin.get(reverse("configuration:campaigns"), **RU)

    assert response["Content-Language"] == "ru"
    assert "99,50" in response.content.decode()
