"""The user's own pages: the bell and the away note in the header, the notification list
(/notifications/) and the preferences page (/me/) with time away and each kind's delivery."""

import datetime

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.html import escape

from funnel.models import Role
from funnel.tests.factories import TeamFactory, UserFactory
from handoff.context_processors import header
from handoff.forms import AWAY_UNTIL_BEFORE_FROM, AWAY_UNTIL_MISSING, AWAY_UNTIL_PAST
from handoff.models import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    Offer,
    RepProfile,
)
from handoff.services.leads import lead_create
from handoff.services.notifications import notification_deliveries_update, notify
from handoff.services.offers import offer_route
from handoff.views.account import NOTIFICATIONS_PAGE_SIZE, PREFERENCES_SAVED

# A Wednesday, mid-morning in UTC (the default teams' time zone).
NOW = datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC)
TODAY = NOW.date()


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


def _note(user, subject="New lead", *, kind="assigned", lead=None) -> Notification:
    return notify(user=user, kind=kind, subject=subject, body="Acme, 200 people", lead=lead)


def _day(days: int) -> str:
    return (TODAY + datetime.timedelta(days=days)).isoformat()


def _preferences(**fields) -> dict:
    """The /me/ form as the page submits it: every kind emailed unless given."""
    data = {f"delivery_{kind}": "email" for kind in Notification.Kind.values}
    data.update(away_from="", away_until="")
    data.update(fields)
    return data


# --- the header ------------------------------------------------------------------------------


def test_the_bell_shows_the_unread_count(rep_client, rep):
    for n in range(3):
        _note(rep, f"Lead {n}")
    Notification.objects.filter(subject="Lead 0").update(read_at=NOW)
    _note(UserFactory(username="otto"), "Not hers")

    page = rep_client.get(reverse("handoff:notifications"))

    assert '<span class="badge" data-unread="2">2</span>' in page.text
    assert "Notifications, 2 unread" in page.text


def test_the_bell_has_no_badge_when_all_is_read(rep_client, rep):
    page = rep_client.get(reverse("handoff:notifications"))

    assert 'class="bell"' in page.text
    assert 'class="badge"' not in page.text


def test_the_badge_stops_counting_at_99(rep_client, rep):
    Notification.objects.bulk_create(
        Notification(user=rep, kind="assigned", subject=f"n{n}", body="") for n in range(100)
    )

    page = rep_client.get(reverse("handoff:preferences"))

    assert '<span class="badge" data-unread="100">99+</span>' in page.text


def test_the_header_costs_nothing_until_shown_then_one_query(rep, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = rep

    with django_assert_num_queries(0):
        context = header(request)
    with django_assert_num_queries(1):
        shown = (context["header"].unread, context["header"].away_now, context["header"].today)

    assert shown == (0, False, TODAY)


def test_an_anonymous_visitor_costs_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        page = Client().get(reverse("login"))

    assert 'class="bell"' not in page.text


def test_the_header_shows_time_away_with_a_link_to_change_it(rep_client, rep):
    RepProfile.objects.create(user=rep, away_until=TODAY + datetime.timedelta(days=10))

    page = rep_client.get(reverse("handoff:notifications"))

    assert f'<a class="away" href="{reverse("handoff:preferences")}"' in page.text
    assert "Away until 12 Dec</a>" in page.text


def test_time_away_ahead_shows_when_it_starts(rep_client, rep):
    RepProfile.objects.create(
        user=rep, away_from=datetime.date(2027, 1, 4), away_until=datetime.date(2027, 1, 8)
    )

    page = rep_client.get(reverse("handoff:notifications"))

    assert "Away from 4 Jan 2027</a>" in page.text


def test_time_away_over_shows_only_the_settings_link(rep_client, rep):
    RepProfile.objects.create(user=rep, away_until=TODAY - datetime.timedelta(days=1))

    page = rep_client.get(reverse("handoff:notifications"))

    assert 'class="away' not in page.text
    assert f'<a href="{reverse("handoff:preferences")}">Preferences</a>' in page.text


# --- the notification list -------------------------------------------------------------------


def test_the_list_needs_a_login(client, db):
    response = client.get(reverse("handoff:notifications"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_list_shows_own_notifications_newest_first_linking_to_their_lead(
    rep_client, rep, handoffs
):
    lead = lead_create(actor=None, email="cto@acme.com", first_name="Ada")
    _note(rep, "Older one")
    _note(rep, "Newer one", lead=lead)
    _note(UserFactory(username="otto"), "Someone else's")

    page = rep_client.get(reverse("handoff:notifications")).text

    assert page.index("Newer one") < page.index("Older one")
    assert f'href="{reverse("handoff:lead", args=[lead.pk])}">Newer one</a>' in page
    assert "Someone else" not in page


def test_the_list_is_paginated(rep_client, rep, time_machine):
    for n in range(NOTIFICATIONS_PAGE_SIZE + 1):
        time_machine.move_to(NOW + datetime.timedelta(minutes=n), tick=False)
        _note(rep, f"Note {n:02d}")

    first = rep_client.get(reverse("handoff:notifications")).text
    second = rep_client.get(reverse("handoff:notifications") + "?page=2").text

    assert first.count('<article class="card note') == NOTIFICATIONS_PAGE_SIZE
    assert "Note 20" in first and "Note 00" not in first
    assert second.count('<article class="card note') == 1 and "Note 00" in second
    assert f"1\u2013{NOTIFICATIONS_PAGE_SIZE} of {NOTIFICATIONS_PAGE_SIZE + 1}" in first


def test_marking_one_read_drops_the_count_and_goes_back_to_the_page(rep_client, rep):
    note, _ = _note(rep, "First"), _note(rep, "Second")

    response = rep_client.post(reverse("handoff:notification-read", args=[note.pk]) + "?page=2")

    assert response.status_code == 302
    assert response.url == reverse("handoff:notifications") + "?page=2"
    note.refresh_from_db()
    assert note.read_at == NOW
    page = rep_client.get(reverse("handoff:notifications")).text
    assert 'data-unread="1"' in page


def test_another_users_notification_is_a_404_and_stays_unread(rep_client):
    theirs = _note(UserFactory(username="otto"), "Not hers")

    response = rep_client.post(reverse("handoff:notification-read", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_takes_a_post(rep_client, rep):
    note = _note(rep)

    response = rep_client.get(reverse("handoff:notification-read", args=[note.pk]))

    assert response.status_code == 405
    note.refresh_from_db()
    assert note.read_at is None


def test_marking_read_needs_the_csrf_token(rep):
    note = _note(rep)
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)

    response = client.post(reverse("handoff:notification-read", args=[note.pk]))

    assert response.status_code == 403
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_all_read_marks_only_own_and_only_what_the_page_showed(rep_client, rep, time_machine):
    seen = [_note(rep, "Seen one"), _note(rep, "Seen two")]
    theirs = _note(UserFactory(username="otto"), "Not hers")
    page = rep_client.get(reverse("handoff:notifications")).text
    assert f'name="seen_at" value="{NOW.isoformat()}"' in page
    time_machine.move_to(NOW + datetime.timedelta(minutes=1), tick=False)
    arrived = _note(rep, "Arrived since")

    response = rep_client.post(
        reverse("handoff:notifications-read-all"), {"seen_at": NOW.isoformat()}
    )

    assert response.status_code == 302
    unread = set(Notification.objects.filter(read_at=None).values_list("pk", flat=True))
    assert unread == {theirs.pk, arrived.pk}
    assert all(Notification.objects.get(pk=n.pk).read_at for n in seen)


def test_mark_all_read_with_a_bad_time_changes_nothing(rep_client, rep):
    note = _note(rep)

    response = rep_client.post(reverse("handoff:notifications-read-all"), {"seen_at": "soon"})

    assert response.status_code == 302
    note.refresh_from_db()
    assert note.read_at is None


# --- the preferences page: time away --------------------------------------------------------


def test_the_page_shows_each_kind_emailed_by_default(rep_client):
    page = rep_client.get(reverse("handoff:preferences")).text

    for _, label in Notification.Kind.choices:
        assert escape(str(label)) in page
    assert page.count('<option value="email" selected>Email each</option>') == len(
        Notification.Kind.values
    )


def test_setting_time_away_creates_the_profile_and_shows_in_the_header(rep_client, rep):
    response = rep_client.post(reverse("handoff:preferences"), _preferences(away_until=_day(10)))

    assert response.status_code == 302
    profile = RepProfile.objects.get(user=rep)
    assert (profile.away_from, profile.away_until) == (None, datetime.date(2026, 12, 12))
    page = rep_client.get(response.url).text
    assert PREFERENCES_SAVED in page
    assert "Away until 12 Dec" in page
    assert f'value="{_day(10)}"' in page


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        pytest.param({"away_until": _day(-1)}, AWAY_UNTIL_PAST, id="until-before-today"),
        pytest.param(
            {"away_from": _day(5), "away_until": _day(3)}, AWAY_UNTIL_BEFORE_FROM, id="until-first"
        ),
        pytest.param({"away_from": _day(5)}, AWAY_UNTIL_MISSING, id="no-last-day"),
        pytest.param({"away_until": "12/31/2026x"}, "Enter a valid date.", id="not-a-date"),
    ],
)
def test_bad_dates_change_nothing_and_keep_what_was_typed(rep_client, rep, fields, error):
    data = _preferences(delivery_assigned="digest", **fields)

    response = rep_client.post(reverse("handoff:preferences"), data)

    assert response.status_code == 200
    assert escape(error) in response.text
    for value in fields.values():
        assert f'value="{value}"' in response.text
    assert '<option value="digest" selected>Daily digest</option>' in response.text
    assert not RepProfile.objects.filter(user=rep).exists()
    assert not NotificationPreference.objects.exists()


def test_a_first_day_in_the_past_is_fine_while_away(rep_client, rep):
    RepProfile.objects.create(user=rep, away_from=TODAY - datetime.timedelta(days=3))

    data = _preferences(away_from=_day(-3), away_until=_day(2))
    response = rep_client.post(reverse("handoff:preferences"), data)

    assert response.status_code == 302
    profile = RepProfile.objects.get(user=rep)
    assert (profile.away_from, profile.away_until) == (
        TODAY - datetime.timedelta(days=3),
        TODAY + datetime.timedelta(days=2),
    )


def test_clearing_the_last_day_ends_time_away(rep_client, rep):
    RepProfile.objects.create(user=rep, away_from=TODAY, away_until=TODAY)

    # The old first day stays in the form; only the last day is cleared
    response = rep_client.post(reverse("handoff:preferences"), _preferences(away_from=_day(0)))

    assert response.status_code == 302
    profile = RepProfile.objects.get(user=rep)
    assert (profile.away_from, profile.away_until) == (None, None)
    assert "Settings</a>" in rep_client.get(response.url).text


def test_im_back_ends_time_away(rep_client, rep):
    RepProfile.objects.create(user=rep, away_until=TODAY + datetime.timedelta(days=4))
    assert "I'm back" in rep_client.get(reverse("handoff:preferences")).text

    data = _preferences(away_until=_day(4), away_end="1")
    rep_client.post(reverse("handoff:preferences"), data)

    assert RepProfile.objects.get(user=rep).away_until is None


def test_an_open_ended_absence_stays_when_only_deliveries_change(rep_client, rep):
    """Set in the admin with no last day: saving the page untouched keeps it."""
    RepProfile.objects.create(user=rep, away_from=TODAY - datetime.timedelta(days=3))

    response = rep_client.post(
        reverse("handoff:preferences"),
        _preferences(away_from=_day(-3), delivery_escalation="none"),
    )

    assert response.status_code == 302
    assert RepProfile.objects.get(user=rep).away_from == TODAY - datetime.timedelta(days=3)
    assert NotificationPreference.objects.get(user=rep, kind="escalation").delivery == "none"


def test_saving_without_time_away_creates_no_profile(rep_client, rep):
    rep_client.post(reverse("handoff:preferences"), _preferences())

    assert not RepProfile.objects.filter(user=rep).exists()


def test_today_is_the_teams_day(client, db, time_machine):
    """20:00 UTC on 2 Dec is already 3 Dec in Auckland: 2 Dec is in the past there."""
    auckland = TeamFactory(key="nz", time_zone="Pacific/Auckland")
    rep = UserFactory(username="kiri", team=auckland)
    client.force_login(rep)
    time_machine.move_to(datetime.datetime(2026, 12, 2, 20, tzinfo=datetime.UTC), tick=False)

    response = client.post(reverse("handoff:preferences"), _preferences(away_until="2026-12-02"))

    assert escape(AWAY_UNTIL_PAST) in response.text
    assert 'min="2026-12-03"' in response.text


def test_routing_skips_a_rep_who_set_time_away_on_the_page(client, sales_team):
    _team, _manager, (rep_a, rep_b) = sales_team
    client.force_login(rep_a)
    client.post(reverse("handoff:preferences"), _preferences(away_until=_day(1)))

    assignees = set()
    for n in range(3):
        lead = lead_create(actor=None, stage="mql", email=f"away{n}@acme.com")
        assignees.add(offer_route(offer_id=Offer.objects.get(lead=lead).pk).assignee_id)

    assert assignees == {rep_b.pk}


# --- the preferences page: deliveries -------------------------------------------------------


def test_each_kind_is_saved_and_shown_as_chosen(rep_client, rep):
    data = _preferences(delivery_assigned="digest", delivery_sla_warning="none")

    response = rep_client.post(reverse("handoff:preferences"), data)

    assert response.status_code == 302
    chosen = dict(NotificationPreference.objects.filter(user=rep).values_list("kind", "delivery"))
    assert chosen == {**dict.fromkeys(Notification.Kind.values, "email"), **{
        "assigned": "digest", "sla_warning": "none"
    }}  # fmt: skip
    page = rep_client.get(reverse("handoff:preferences")).text
    assert page.count('<option value="digest" selected>') == 1
    assert page.count('<option value="none" selected>') == 1


def test_an_unknown_delivery_changes_nothing(rep_client, rep):
    notification_deliveries_update(user=rep, deliveries={"assigned": "digest"})

    data = _preferences(delivery_assigned="pigeon", away_until=_day(2))
    response = rep_client.post(reverse("handoff:preferences"), data)

    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert NotificationPreference.objects.get(user=rep).delivery == "digest"
    assert not RepProfile.objects.filter(user=rep).exists()


def test_a_missing_kind_is_an_error(rep_client, rep):
    data = _preferences()
    del data["delivery_recycled"]

    response = rep_client.post(reverse("handoff:preferences"), data)

    assert response.status_code == 200
    assert "This field is required." in response.text
    assert not NotificationPreference.objects.exists()


def test_the_choice_reaches_the_next_notification(rep_client, rep):
    rep_client.post(reverse("handoff:preferences"), _preferences(delivery_queued="none"))

    note = _note(rep, kind="queued")

    assert note.delivery == NotificationDelivery.NONE


def test_the_preferences_page_needs_a_login(client, db):
    response = client.get(reverse("handoff:preferences"))

    assert response.status_code == 302


def test_the_preferences_admin_opens(client, rep):
    notification_deliveries_update(user=rep, deliveries={"assigned": "digest"})
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    response = client.get(reverse("admin:handoff_notificationpreference_changelist"))

    assert response.status_code == 200
    assert "nina" in response.text
