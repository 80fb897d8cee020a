"""The query count of the manager's console, pinned at two sizes, so an N+1 fails here
whatever the pinned figure."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from funnel.models import Role
from funnel.tests.factories import UserFactory
from handoff.models import Notification, Offer
from reporting.models import WeeklyReport
from web.views import PAGE_SIZE

TEAM = reverse("web:team")


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(queries)


def _more_of_everything(people, offers, n: int) -> None:
    """`n` open offers, a third of them accepted, escalations, reps and weekly reports."""
    made = offers(n, accepted=n // 3, prefix=f"q{n}-")
    late = timezone.now() - datetime.timedelta(hours=1)
    Offer.objects.filter(pk__in=[o.pk for o in made[-2:]]).update(accept_due_at=late)
    for offer in made[:3]:
        Notification.objects.create(
            user=people.manager, kind=Notification.Kind.ESCALATION, offer=offer,
            lead_id=offer.lead_id, subject=f"Escalation: {offer.lead_id}", body="",
        )  # fmt: skip
    for i in range(n // 6):
        UserFactory(username=f"con_extra_{n}_{i}", role=Role.SALES, team=people.teams["sales"])
    for i in range(2):
        WeeklyReport.objects.get_or_create(
            week=datetime.date(2026, 11, 2) + datetime.timedelta(weeks=i + n),
            defaults={"data": {"sections": {"reps": {"rows": []}}}, "html": ""},
        )


@pytest.mark.parametrize("url", [TEAM, f"{TEAM}?page=2", f"{TEAM}?show=overdue"])
def test_the_console_costs_the_same_with_6_or_60_offers(client, people, offers, url):
    client.force_login(people.manager)
    _more_of_everything(people, offers, 6)
    small = _queries(client, url)
    _more_of_everything(people, offers, 54)

    # The session and the user; the teams; the team's handoffs and reps; a count and a page
    # of the offers; the load by rep; the black hole (two); the escalations; the weekly
    # snapshots; the agreements; the header's unread notifications.
    assert _queries(client, url) == small == 14


def test_the_console_shows_a_page_of_offers_not_all(client, people, offers):
    client.force_login(people.manager)
    offers(PAGE_SIZE + 5)

    response = client.get(TEAM)

    assert response.text.count('<li class="offer-row') == PAGE_SIZE
    assert Offer.objects.count() == PAGE_SIZE + 5
