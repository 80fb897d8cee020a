"""The preferences page (/me/): the language and time zone pages and emails use for the user."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from funnel.models import Role
from funnel.tests.factories import UserFactory
from handoff.forms import TIME_ZONE_UNKNOWN
from handoff.models import Notification, NotificationPreference, RepProfile
from handoff.services.account import preferences_update
from handoff.services.notifications import notify
from handoff.views.account import PREFERENCES_SAVED
from leadflow.locale import time_zone_names

NOW = datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC)
TODAY = NOW.date()
ME = "handoff:preferences"


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def rep(db):
    return UserFactory(username="nina", email="nina@example.com", role=Role.SALES)


@pytest.fixture
def rep_client(client, rep):
    client.force_login(rep)
    return client


def _preferences(**fields) -> dict:
    """The /me/ form as the page submits it: every kind emailed, no time away, blank language
    and time zone, unless given."""
    data = {f"delivery_{kind}": "email" for kind in Notification.Kind.values}
    data.update(away_from="", away_until="", language="", time_zone="")
    data.update(fields)
    return data


def _ru(msgid: str) -> str:
    """The Russian of `msgid` as the catalogue has it (English until it is compiled)."""
    with translation.override("ru"):
        return translation.gettext(msgid)


def test_the_page_has_the_language_and_time_zone_section(rep_client):
    response = rep_client.get(reverse(ME))

    page = response.text
    assert response["Content-Language"] == "en"
    assert '<section class="card" id="locale">' in page
    assert "<h2>Language and time zone</h2>" in page
    assert '<option value="" selected>As my browser asks</option>' in page
    # Each language named in its own language.
    assert '<option value="en">English</option>' in page
    assert '<option value="ru">Русский</option>' in page
    site = f"The site&#x27;s time zone ({settings.TIME_ZONE})"
    assert f'<option value="" selected>{site}</option>' in page
    assert '<option value="Europe/Moscow">Europe/Moscow</option>' in page
    assert page.count('<option value="') >= len(time_zone_names())


def test_the_time_zones_are_sorted_iana_names():
    names = time_zone_names()

    assert list(names) == sorted(names)
    assert {"UTC", "Europe/Berlin", "America/New_York"} <= set(names)
    assert "localtime" not in names


def test_saving_russian_answers_the_next_page_in_russian(rep_client, rep):
    data = _preferences(language="ru", time_zone="Europe/Moscow")

    response = rep_client.post(reverse(ME), data)

    assert response.status_code == 302
    rep.refresh_from_db()
    assert (rep.language, rep.time_zone) == ("ru", "Europe/Moscow")
    page = rep_client.get(response.url)
    assert page["Content-Language"] == "ru"
    # The confirmation and the page in Russian (the same English text until the shared
    # catalogue is compiled).
    assert escape(_ru(PREFERENCES_SAVED)) in page.text
    assert escape(_ru("Language and time zone")) in page.text
    assert '<option value="ru" selected>Русский</option>' in page.text
    assert '<option value="Europe/Moscow" selected>Europe/Moscow</option>' in page.text


def test_the_language_holds_whatever_the_browser_asks(rep_client, rep):
    rep_client.post(reverse(ME), _preferences(language="ru"))

    response = rep_client.get(reverse(ME), headers={"accept-language": "en"})

    assert response["Content-Language"] == "ru"


def test_a_bad_time_zone_answers_the_field_error_and_saves_nothing(rep_client, rep):
    data = _preferences(language="ru", time_zone="Mars/Olympus", delivery_assigned="digest")

    response = rep_client.post(reverse(ME), data)

    assert response.status_code == 200
    assert escape(str(TIME_ZONE_UNKNOWN) % {"value": "Mars/Olympus"}) in response.text
    assert 'class="card has-error" id="locale"' in response.text
    rep.refresh_from_db()
    assert (rep.language, rep.time_zone) == ("", "")
    assert not NotificationPreference.objects.filter(user=rep).exists()
    assert response["Content-Language"] == "en"  # the page as it was: nothing was saved


def test_an_unknown_language_saves_nothing(rep_client, rep):
    response = rep_client.post(reverse(ME), _preferences(language="de", time_zone="Asia/Tokyo"))

    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    rep.refresh_from_db()
    assert (rep.language, rep.time_zone) == ("", "")


def test_blank_values_restore_the_browser_language_and_the_site_time_zone(client, db):
    rep = UserFactory(username="olga", role=Role.SALES, language="ru", time_zone="Asia/Tokyo")
    client.force_login(rep)
    assert client.get(reverse(ME))["Content-Language"] == "ru"

    response = client.post(reverse(ME), _preferences())

    assert response.status_code == 302
    rep.refresh_from_db()
    assert (rep.language, rep.time_zone) == ("", "")
    english = client.get(response.url, headers={"accept-language": "en"})
    assert english["Content-Language"] == "en"
    assert PREFERENCES_SAVED in english.text  # the confirmation in the browser's language
    assert '<option value="" selected>As my browser asks</option>' in english.text
    russian = client.get(reverse(ME), headers={"accept-language": "ru"})
    assert russian["Content-Language"] == "ru"


def test_the_time_zone_shows_times_on_the_users_clock(rep_client, rep):
    notify(user=rep, kind="assigned", subject="New lead", body="")

    rep_client.post(reverse(ME), _preferences(time_zone="Asia/Tokyo"))
    in_tokyo = rep_client.get(reverse("handoff:notifications")).text
    rep_client.post(reverse(ME), _preferences())
    on_site_clock = rep_client.get(reverse("handoff:notifications")).text

    assert "Wed 2 Dec, 19:00" in in_tokyo  # 10:00 UTC
    assert "Wed 2 Dec, 10:00" in on_site_clock


def test_saving_the_rest_keeps_language_and_time_zone_unless_given(rep):
    rep.language, rep.time_zone = "ru", "Asia/Tokyo"
    rep.save()

    preferences_update(user=rep, away_from=None, away_until=TODAY, deliveries={})

    rep.refresh_from_db()
    assert (rep.language, rep.time_zone) == ("ru", "Asia/Tokyo")
    assert RepProfile.objects.get(user=rep).away_until == TODAY
