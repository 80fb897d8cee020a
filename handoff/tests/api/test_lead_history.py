"""GET /api/v1/leads/{id}/history/: the lead's story and its merged duplicates', in time order."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from handoff.models import Lead, Offer
from handoff.services.leads import lead_create
from handoff.services.offers import offer_accept
from handoff.services.work import activity_record, lead_disposition, touch_log

from .conftest import offered_lead


def _history(client, lead, **params):
    response = client.get(f"/api/v1/leads/{lead.pk}/history/", params)
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.fixture
def story(people, worked_lead):
    """The worked lead, taken on by api_rep_a: a webinar before it all, a call, the accept and
    a qualified disposition; and a duplicate with a call of its own, merged into it."""
    activity_record(
        lead=worked_lead,
        kind="webinar",
        at=timezone.now() - datetime.timedelta(days=3),
        detail={"title": "Pipeline hygiene"},
    )
    touch_log(lead=worked_lead, actor=people.rep_a, kind="call", outcome="connected")
    offer_accept(offer=Offer.objects.get(lead=worked_lead, status="pending"), actor=people.rep_a)
    lead_disposition(
        lead=Lead.objects.get(pk=worked_lead.pk), actor=people.rep_a, disposition="qualified"
    )
    duplicate = lead_create(actor=people.marketer, stage="inquiry", email="dup@acme.com")
    touch_log(lead=duplicate, actor=people.admin, kind="email", outcome="sent")
    # Marked merged directly: the history reads merged leads wherever a merge left their rows.
    Lead.objects.filter(pk=duplicate.pk).update(merged_into=worked_lead, merged_at=timezone.now())
    return worked_lead, duplicate


def test_the_history_is_every_item_in_time_order(people, story, client_for):
    lead, duplicate = story

    items = _history(client_for(people.admin), lead)["results"]

    assert [(item["type"], item["lead"]) for item in items] == [
        ("activity", lead.pk),
        ("transition", lead.pk),  # new → QI
        ("offer", lead.pk),  # QI → QIA
        ("transition", lead.pk),  # accepted by inside: QIA
        ("transition", lead.pk),  # MQL
        ("offer", lead.pk),  # MQL → SAL
        ("touch", lead.pk),
        ("transition", lead.pk),  # accepted by rep_a: SAL
        ("transition", lead.pk),  # qualified: SQL
        ("disposition", lead.pk),
        ("transition", duplicate.pk),  # the duplicate's new → inquiry
        ("touch", duplicate.pk),
    ]
    assert items == sorted(items, key=lambda item: item["at"])


def test_each_item_says_what_happened(people, story, client_for):
    lead, _ = story

    items = _history(client_for(people.admin), lead)["results"]

    by_type = {}
    for item in items:
        by_type.setdefault(item["type"], []).append(item)
    accepted = by_type["transition"][3]
    assert {k: accepted[k] for k in ("from_stage", "to_stage", "actor", "handoff")} == {
        "from_stage": "mql",
        "to_stage": "sal",
        "actor": "api_rep_a",
        "handoff": "mql_sal",
    }
    assert by_type["transition"][0]["actor"] == "api_marketer"
    offer = by_type["offer"][1]
    assert {k: offer[k] for k in ("handoff", "status", "assignee", "decided_by")} == {
        "handoff": "mql_sal",
        "status": "accepted",
        "assignee": "api_rep_a",
        "decided_by": "api_rep_a",
    }
    assert offer["agreement_version"] == 1
    assert by_type["touch"][0] | {"at": None, "id": None} == {
        "type": "touch",
        "at": None,
        "id": None,
        "lead": lead.pk,
        "user": "api_rep_a",
        "kind": "call",
        "outcome": "connected",
        "note": "",
        "offer": offer["id"],
    }
    assert (by_type["activity"][0]["kind"], by_type["activity"][0]["detail"]) == (
        "webinar",
        {"title": "Pipeline hygiene"},
    )
    assert (by_type["disposition"][0]["kind"], by_type["disposition"][0]["actor"]) == (
        "qualified",
        "api_rep_a",
    )


def test_the_history_takes_the_same_queries_however_long_it_is(people, story, client_for):
    short = offered_lead(email="short@acme.com")
    client = client_for(people.admin)

    with CaptureQueriesContext(connection) as short_queries:
        assert _history(client, short)["count"] == 2
    with CaptureQueriesContext(connection) as long_queries:
        assert _history(client, story[0])["count"] == 12

    assert len(long_queries) == len(short_queries)


def test_the_history_comes_in_pages(people, story, client_for):
    page = _history(client_for(people.admin), story[0], page_size=5, page=2)

    assert page["count"] == 12
    assert [item["type"] for item in page["results"]] == [
        "offer",
        "touch",
        "transition",
        "transition",
        "disposition",
    ]
    assert page["next"] and page["previous"]


def test_a_merged_duplicate_has_no_history_of_its_own(people, story, client_for):
    response = client_for(people.admin).get(f"/api/v1/leads/{story[1].pk}/history/")

    assert response.status_code == 404
