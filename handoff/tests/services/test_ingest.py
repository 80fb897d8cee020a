import re
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from funnel.services import funnel_setup_defaults
from handoff.models import (
    Activity,
    Lead,
    ScoringRule,
    StageTransition,
)
from handoff.services.ingest import (
    IDENTITY_NEEDED,
    SCORE_OF_EXISTING,
    STAGE_OF_EXISTING,
    RowStatus,
    activities_ingest,
    lead_upsert,
    leads_ingest,
)
from handoff.services.leads import lead_create
from handoff.services.merge import (
    lead_merge,
)
from integrations.models import Event


def _merge(survivor: Lead, duplicate: Lead, actor=None) -> Lead:
    return lead_merge(survivor=survivor, duplicate=duplicate, actor=actor)


# --- upsert: create ---------------------------------------------------------------------------


def test_a_new_row_creates_a_lead_in_inquiry_with_its_first_transition(marketer):
    lead, status = lead_upsert(actor=marketer, fields={"email": " Ann@Acme.io ", "company": "Acme"})

    assert status == RowStatus.CREATED
    assert (lead.email, lead.company, lead.stage.key) == ("ann@acme.io", "Acme", "inquiry")
    assert list(lead.transitions.values_list("to_stage__key", "actor")) == [
        ("inquiry", marketer.pk)
    ]


def test_a_new_row_takes_its_entry_stage_and_initial_score(marketer):
    lead, _ = lead_upsert(
        actor=marketer, fields={"external_id": "m-1", "stage": "mql", "score": 40}
    )

    assert (lead.stage.key, lead.score) == ("mql", 40)


def test_a_row_with_neither_external_id_nor_email_is_refused(marketer):
    with pytest.raises(ValidationError, match=re.escape(IDENTITY_NEEDED)):
        lead_upsert(actor=marketer, fields={"company": "Acme", "external_id": None})

    assert not Lead.objects.exists()


# --- upsert: matching -------------------------------------------------------------------------


def test_a_row_finds_its_lead_by_external_id_and_updates_its_contact_fields(marketer):
    lead = lead_create(actor=marketer, external_id="m-1", email="ann@acme.io")

    updated, status = lead_upsert(
        actor=marketer, fields={"external_id": "m-1", "email": "ann@new.io", "title": "CTO"}
    )

    assert (updated.pk, status) == (lead.pk, RowStatus.UPDATED)
    assert (updated.email, updated.title) == ("ann@new.io", "CTO")


def test_a_row_without_external_id_finds_its_lead_by_normalised_email(marketer):
    lead = lead_create(actor=marketer, email="ann@acme.io")

    updated, status = lead_upsert(actor=marketer, fields={"email": "  ANN@Acme.IO", "city": "Oslo"})

    assert (updated.pk, status, updated.city) == (lead.pk, RowStatus.UPDATED, "Oslo")


def test_a_new_external_id_adopts_the_lead_with_that_email_and_none_yet(marketer):
    lead = lead_create(actor=marketer, email="ann@acme.io")

    updated, status = lead_upsert(
        actor=marketer, fields={"external_id": "m-1", "email": "ann@acme.io"}
    )

    assert (updated.pk, status, updated.external_id) == (lead.pk, RowStatus.UPDATED, "m-1")


def test_a_lead_with_another_external_id_is_another_record(marketer):
    other = lead_create(actor=marketer, external_id="m-1", email="ann@acme.io")

    lead, status = lead_upsert(
        actor=marketer, fields={"external_id": "m-2", "email": "ann@acme.io"}
    )

    assert status == RowStatus.CREATED
    assert lead.pk != other.pk
    assert Lead.objects.get(pk=other.pk).external_id == "m-1"


def test_a_row_without_external_id_never_clears_the_leads(marketer):
    lead = lead_create(actor=marketer, external_id="m-1", email="ann@acme.io")

    _, status = lead_upsert(actor=marketer, fields={"email": "ann@acme.io", "external_id": None})

    assert status == RowStatus.UNCHANGED
    assert Lead.objects.get(pk=lead.pk).external_id == "m-1"


def test_the_same_row_again_is_unchanged_and_writes_nothing(marketer):
    fields = {"external_id": "m-1", "email": "ann@acme.io", "country": "de", "stage": "qi"}
    lead, _ = lead_upsert(actor=marketer, fields=fields)
    events, updated_at = Event.objects.count(), Lead.objects.get(pk=lead.pk).updated_at

    again, status = lead_upsert(actor=marketer, fields={**fields, "score": 0})

    assert (again.pk, status) == (lead.pk, RowStatus.UNCHANGED)
    assert Lead.objects.get(pk=lead.pk).updated_at == updated_at
    assert Event.objects.count() == events


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"stage": "mql"}, "stage", STAGE_OF_EXISTING),
        ({"score": 99}, "score", SCORE_OF_EXISTING),
    ],
)
def test_an_existing_leads_stage_or_score_may_be_repeated_but_not_changed(
    marketer, fields, field, message
):
    lead = lead_create(actor=marketer, external_id="m-1", score=5)

    with pytest.raises(ValidationError) as refused:
        lead_upsert(actor=marketer, fields={"external_id": "m-1", "company": "Acme", **fields})

    said = message.format(id=lead.pk, stage=lead.stage, score=5)
    assert refused.value.message_dict == {field: [said]}
    current = Lead.objects.get(pk=lead.pk)
    assert (current.stage.key, current.score, current.company) == ("inquiry", 5, "")


def test_a_row_for_a_merged_lead_lands_on_its_survivor_through_every_merge(marketer):
    first = lead_create(actor=marketer, external_id="m-1", email="first@acme.io")
    second = lead_create(actor=marketer, external_id="m-2", email="second@acme.io")
    last = lead_create(actor=marketer, external_id="m-3", email="last@acme.io")
    _merge(second, first)
    _merge(last, second)

    by_id, _ = lead_upsert(actor=marketer, fields={"external_id": "m-1", "title": "CTO"})
    by_email, _ = lead_upsert(actor=marketer, fields={"email": "first@acme.io", "city": "Oslo"})

    assert by_id.pk == by_email.pk == last.pk
    assert (Lead.objects.get(pk=last.pk).title, Lead.objects.get(pk=last.pk).city) == (
        "CTO",
        "Oslo",
    )
    assert Lead.objects.get(pk=last.pk).email == "last@acme.io"  # the duplicate keeps its own
    assert Lead.objects.get(pk=first.pk).title == ""


# --- upsert: a batch ----------------------------------------------------------------------------


def test_a_refused_row_rolls_back_only_itself(marketer):
    results = leads_ingest(
        actor=marketer,
        rows=[
            (0, {"email": "ann@acme.io"}),
            (1, {"email": "bob@acme.io", "stage": "sal"}),  # entered only through the handoff
            (2, {"email": "cy@acme.io"}),
        ],
    )

    assert [r.status for r in results] == ["created", "error", "created"]
    assert list(results[1].errors) == ["stage"]
    assert sorted(Lead.objects.values_list("email", flat=True)) == ["ann@acme.io", "cy@acme.io"]
    assert not StageTransition.objects.filter(to_stage__key="sal").exists()


def test_rows_for_the_same_person_are_taken_in_order(marketer):
    results = leads_ingest(
        actor=marketer,
        rows=[
            (0, {"external_id": "m-1", "email": "ann@acme.io"}),
            (1, {"external_id": "m-1", "company": "Acme"}),
            (2, {"email": "ANN@acme.io"}),
        ],
    )

    assert [r.status for r in results] == ["created", "updated", "unchanged"]
    assert len({r.id for r in results}) == 1
    assert Lead.objects.get().company == "Acme"


@pytest.mark.django_db(transaction=True)
def test_a_row_that_loses_the_race_to_create_a_lead_updates_the_winners(monkeypatch):
    """Another request creates the same new lead meanwhile: the row waits on the unique index,
    then matches that lead instead of failing."""
    from integrations.tasks import webhook_dispatch_task

    monkeypatch.setattr(webhook_dispatch_task, "delay", lambda *args, **kwargs: None)
    funnel_setup_defaults()
    inserted, commit = threading.Event(), threading.Event()
    outcome = {}

    def winner() -> None:
        try:
            with transaction.atomic():
                lead_create(actor=None, external_id="m-1", email="ann@acme.io")
                inserted.set()
                commit.wait(timeout=30)
        finally:
            connection.close()

    def loser() -> None:
        try:
            outcome["results"] = leads_ingest(
                actor=None, rows=[(0, {"external_id": "m-1", "company": "Acme"})]
            )
        finally:
            connection.close()

    first = threading.Thread(target=winner)
    first.start()
    assert inserted.wait(timeout=10)
    second = threading.Thread(target=loser)
    second.start()
    deadline = time.monotonic() + 10
    while not _someone_waits_for_a_lock():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    commit.set()
    first.join(timeout=30)
    second.join(timeout=30)

    [result] = outcome["results"]
    assert result.status == RowStatus.UPDATED
    assert Lead.objects.get().company == "Acme"


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


# --- activities ---------------------------------------------------------------------------------


def test_activities_land_on_the_lead_found_and_score_it(marketer):
    lead = lead_create(actor=marketer, external_id="m-1", email="ann@acme.io")
    ScoringRule.objects.create(name="Pricing", kind="page_visit", contains="/pricing", points=15)
    now = timezone.now()

    results = activities_ingest(
        rows=[
            (0, {"lead": {"external_id": "m-1"}, "kind": "page_visit", "at": now,
                 "detail": {"url": "/pricing"}}),
            (1, {"lead": {"email": "ANN@acme.io"}, "kind": "email_open", "at": now}),
        ]
    )  # fmt: skip

    assert [r.status for r in results] == ["created", "created"]
    assert list(Activity.objects.filter(lead=lead).values_list("kind", "points")) == [
        ("page_visit", 15),
        ("email_open", 0),
    ]
    assert Lead.objects.get(pk=lead.pk).score == 15


def test_an_activity_for_an_unknown_lead_is_an_error_naming_lead(marketer):
    [result] = activities_ingest(
        rows=[(0, {"lead": {"external_id": "nope"}, "kind": "form", "at": timezone.now()})]
    )

    assert (result.status, result.errors) == (
        "error",
        {"lead": ["No lead with external_id 'nope'."]},
    )
    assert not Activity.objects.exists()


def test_an_activity_for_a_merged_lead_lands_on_its_survivor(marketer):
    survivor = lead_create(actor=marketer, email="ann@acme.io")
    duplicate = lead_create(actor=marketer, external_id="m-1")
    _merge(survivor, duplicate)

    activities_ingest(
        rows=[(0, {"lead": {"external_id": "m-1"}, "kind": "form", "at": timezone.now()})]
    )

    assert Activity.objects.get().lead_id == survivor.pk
