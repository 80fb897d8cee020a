"""Merging a duplicate lead into its survivor: what moves, what stays, what is refused."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from handoff.models import (
    Activity,
    Disposition,
    Lead,
    Notification,
    Offer,
    OfferStatus,
    ScoringRule,
    SlaTimer,
    StageTransition,
    Touch,
)
from handoff.services.leads import lead_create
from handoff.services.merge import (
    ALREADY_MERGED,
    MERGE_INTO_MERGED,
    MERGE_SELF,
    MergeError,
    lead_merge,
)
from handoff.services.offers import offer_accept, offer_route
from handoff.services.work import activity_record, lead_disposition, touch_log
from integrations.models import Event, EventType


def _routed(lead: Lead) -> Offer:
    return offer_route(offer_id=Offer.objects.get(lead=lead, status=OfferStatus.PENDING).pk)


def _merge(survivor: Lead, duplicate: Lead, actor=None) -> Lead:
    return lead_merge(survivor=survivor, duplicate=duplicate, actor=actor)


@pytest.fixture
def worked_duplicate(ingest_rep, marketer):
    """A lead sales accepted, touched and qualified: SQL, with an offer, a touch, an activity and
    a disposition, and three transitions (mql, sal, sql)."""
    rep = ingest_rep
    lead = lead_create(actor=marketer, stage="mql", external_id="m-dup", email="dup@acme.io",
                       phone="+47 1234", company="Dup Co")  # fmt: skip
    offer_accept(offer=_routed(lead), actor=rep)
    touch_log(lead=lead, actor=rep, kind="call", outcome="connected")
    activity_record(lead=lead, kind="webinar", at=timezone.now())
    lead_disposition(lead=lead, actor=rep, disposition="qualified")
    return Lead.objects.get(pk=lead.pk)


def test_merge_moves_offers_touches_activities_and_dispositions(worked_duplicate, marketer):
    survivor = lead_create(actor=marketer, email="ann@acme.io")

    _merge(survivor, worked_duplicate, marketer)

    for model in (Offer, Touch, Activity, Disposition, Notification):
        assert model.objects.exists()
        assert set(model.objects.values_list("lead_id", flat=True)) == {survivor.pk}, model


def test_merge_keeps_every_transition_on_the_lead_that_made_it(worked_duplicate, marketer):
    survivor = lead_create(actor=marketer, email="ann@acme.io")

    survivor = _merge(survivor, worked_duplicate, marketer)

    history = StageTransition.objects.filter(
        lead__in=[survivor, *survivor.merged_leads.all()]
    ).order_by("at", "id")
    assert [(t.lead_id, t.to_stage.key) for t in history] == [
        (worked_duplicate.pk, "mql"),
        (worked_duplicate.pk, "sal"),
        (worked_duplicate.pk, "sql"),
        (survivor.pk, "inquiry"),
    ]


def test_merge_keeps_the_duplicate_marked_merged(worked_duplicate, marketer):
    survivor = lead_create(actor=marketer, email="ann@acme.io")

    _merge(survivor, worked_duplicate, marketer)

    duplicate = Lead.objects.get(pk=worked_duplicate.pk)
    assert duplicate.merged_into_id == survivor.pk
    assert duplicate.merged_at is not None
    assert (duplicate.stage.key, duplicate.external_id) == ("sql", "m-dup")


def test_merge_fills_only_the_survivors_empty_contact_fields(worked_duplicate, marketer):
    survivor = lead_create(actor=marketer, email="ann@acme.io", company="Acme",
                           attributes={"plan": "pro"})  # fmt: skip
    Lead.objects.filter(pk=worked_duplicate.pk).update(attributes={"plan": "free", "seats": 5})

    survivor = _merge(survivor, worked_duplicate, marketer)

    assert (survivor.email, survivor.company, survivor.phone) == ("ann@acme.io", "Acme", "+47 1234")
    assert survivor.attributes == {"plan": "pro", "seats": 5}
    assert survivor.external_id is None  # the duplicate's stays its own


def test_merge_adds_the_moved_activities_points_to_the_score(marketer):
    ScoringRule.objects.create(name="Form", kind="form", points=10)
    survivor = lead_create(actor=marketer, email="ann@acme.io", score=3)
    duplicate = lead_create(actor=marketer, external_id="m-1", score=50)
    activity_record(lead=duplicate, kind="form", at=timezone.now())

    survivor = _merge(survivor, duplicate, marketer)

    assert survivor.score == 13


def test_merge_withdraws_the_duplicates_pending_offer_and_cancels_its_timers(ingest_rep, marketer):
    survivor = lead_create(actor=marketer, stage="mql", email="ann@acme.io")
    duplicate = lead_create(actor=marketer, stage="mql", email="dup@acme.io")
    kept, withdrawn = _routed(survivor), _routed(duplicate)

    _merge(survivor, duplicate, marketer)

    assert Offer.objects.get(pk=kept.pk).status == OfferStatus.PENDING
    offer = Offer.objects.get(pk=withdrawn.pk)
    assert (offer.status, offer.lead_id, offer.decided_by) == (
        OfferStatus.WITHDRAWN,
        survivor.pk,
        marketer,
    )
    assert not SlaTimer.objects.filter(offer=offer, cancelled_at=None, fired_at=None).exists()
    assert SlaTimer.objects.filter(offer=kept, cancelled_at=None).exists()


def test_merge_records_a_lead_merged_event_with_both_ids(marketer):
    survivor = lead_create(actor=marketer, email="ann@acme.io")
    duplicate = lead_create(actor=marketer, external_id="m-1")

    _merge(survivor, duplicate, marketer)

    event = Event.objects.get(type=EventType.LEAD_MERGED)
    assert (event.data["survivor"], event.data["duplicate"]) == (survivor.pk, duplicate.pk)
    assert (event.data["lead"]["id"], event.data["actor"]) == (survivor.pk, marketer.username)


def test_a_lead_cannot_be_merged_into_itself(marketer):
    lead = lead_create(actor=marketer, email="ann@acme.io")

    with pytest.raises(ValidationError, match=re.escape(MERGE_SELF)):
        _merge(lead, lead)

    assert Lead.objects.get(pk=lead.pk).merged_into_id is None


def test_a_merged_lead_cannot_be_merged_again(marketer):
    survivor = lead_create(actor=marketer, email="ann@acme.io")
    other = lead_create(actor=marketer, email="bob@acme.io")
    duplicate = lead_create(actor=marketer, external_id="m-1")
    _merge(survivor, duplicate)
    events = Event.objects.count()

    when = Lead.objects.get(pk=duplicate.pk).merged_at
    said = ALREADY_MERGED.format(id=duplicate.pk, into=survivor.pk, when=when)

    with pytest.raises(MergeError, match=re.escape(said)):
        _merge(other, duplicate)

    assert Lead.objects.get(pk=duplicate.pk).merged_into_id == survivor.pk
    assert Event.objects.count() == events


def test_nothing_is_merged_into_a_merged_lead(marketer):
    survivor = lead_create(actor=marketer, email="ann@acme.io")
    merged = lead_create(actor=marketer, external_id="m-1")
    other = lead_create(actor=marketer, email="bob@acme.io")
    activity_record(lead=other, kind="form", at=timezone.now() - datetime.timedelta(days=1))
    _merge(survivor, merged)

    when = Lead.objects.get(pk=merged.pk).merged_at
    said = MERGE_INTO_MERGED.format(id=merged.pk, into=survivor.pk, when=when)

    with pytest.raises(MergeError, match=re.escape(said)):
        _merge(merged, other)

    assert Lead.objects.get(pk=other.pk).merged_into_id is None
    assert Activity.objects.get().lead_id == other.pk
