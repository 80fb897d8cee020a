"""Ingestion from integrations: upserting leads and recording activities in bulk.

A lead is one person. A row finds its lead by external id, else by email; a lead that was merged
into another stands for its survivor, so whatever a marketing platform still calls by the
duplicate's id lands on the survivor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from funnel.models import User
from funnel.rules import TransitionError
from handoff.models import Lead
from handoff.services.leads import lead_clean_fields, lead_create, lead_update
from handoff.services.work import activity_record

BATCH_MAX = 1000
DEFAULT_STAGE = "inquiry"

IDENTITY_NEEDED = "Give an external_id or an email to find the lead by."
STAGE_OF_EXISTING = (
    "Lead {id} exists and is in {stage}; ingestion sets only a new lead's entry stage. "
    "Move it with a transition."
)
SCORE_OF_EXISTING = (
    "Lead {id} exists with score {score}; ingestion sets only a new lead's initial score. "
    "Scores change through activities and scoring rules."
)
WRITTEN_MEANWHILE = "Another request wrote this lead at the same time; send the row again."
LEAD_NOT_FOUND = "No lead with {ref}."


class RowStatus(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass(frozen=True)
class RowResult:
    """What became of one row of a bulk request; `id` is what the row wrote, if anything."""

    index: int
    status: RowStatus
    id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def _errors(exc: ValidationError | TransitionError) -> dict[str, list[str]]:
    """A refusal as `{field: [messages]}`; a refused stage move names `stage`."""
    if isinstance(exc, TransitionError):
        return {"stage": [exc.message]}
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    return {
        "non_field_errors" if name == NON_FIELD_ERRORS else name: messages
        for name, messages in exc.message_dict.items()
    }


# --- finding the lead -----------------------------------------------------------------------


def lead_survivor(lead: Lead) -> Lead:
    """The lead itself, or the lead it was merged into (following merges of merges)."""
    while lead.merged_into_id is not None:
        lead = Lead.objects.get(pk=lead.merged_into_id)
    return lead


def _lead_found(*, external_id: str | None, email: str | None) -> Lead | None:
    """The lead a row names, merged or not (see `lead_match`)."""
    if external_id:
        found = Lead.objects.filter(external_id=external_id).first()
        if found is not None:
            return found
    if not email:
        return None
    candidates = Lead.objects.filter(email=email).order_by(
        F("merged_into").asc(nulls_first=True), F("external_id").asc(nulls_first=True), "pk"
    )
    if external_id:
        candidates = candidates.filter(external_id__isnull=True)
    for found in candidates:
        if not external_id or lead_survivor(found).external_id is None:
            return found
    return None


def lead_match(*, external_id: str | None, email: str | None) -> Lead | None:
    """The lead an incoming row means, by external id, else by (normalised) email; a merged
    lead stands for its survivor.

    With an external id that no lead has yet, the email adopts only a lead without one (a web
    form's lead the platform now sends): a lead with another external id is another record of
    the platform, which the database allows to share an email. Among leads sharing an email, a
    live one comes before a merged one and the one without an external id (at most one) first.
    """
    found = _lead_found(external_id=external_id, email=email)
    return lead_survivor(found) if found is not None else None


# --- leads ----------------------------------------------------------------------------------


@transaction.atomic
def lead_upsert(*, actor: User | None, fields: dict[str, Any]) -> tuple[Lead, RowStatus]:
    """Create the lead a row describes, or update the one it matches; say which happened.

    A new lead gets the row's `stage` (default inquiry) and `score` through `lead_create`. An
    existing lead takes contact fields only, through `lead_update`; its stage and score may be
    repeated as they are (a platform re-sending its whole record) but not changed. A lead's
    external id is set once: a row never clears or replaces it.
    """
    fields = dict(fields)
    stage = fields.pop("stage", None)
    cleaned = lead_clean_fields(fields)
    if cleaned.get("external_id") is None:
        cleaned.pop("external_id", None)
        fields.pop("external_id", None)
    found = _lead_found(external_id=cleaned.get("external_id"), email=cleaned.get("email"))
    if found is None:
        if not cleaned.get("external_id") and not cleaned.get("email"):
            raise ValidationError(IDENTITY_NEEDED)
        return lead_create(actor=actor, stage=stage or DEFAULT_STAGE, **fields), RowStatus.CREATED

    # Read, not locked: a row that changes nothing locks nothing; lead_update locks the lead
    # and writes only what still differs then.
    current = Lead.objects.select_related("stage").get(pk=lead_survivor(found).pk)
    # An external id, once set, is the lead's for good. Reached through a merge, the row's
    # external id and email are the duplicate's, which keeps them: written on the survivor
    # they would break uniqueness, or move the next row for the survivor's own email elsewhere.
    if current.external_id is not None or found.pk != current.pk:
        cleaned.pop("external_id", None)
    if found.pk != current.pk:
        cleaned.pop("email", None)
    refused = {}
    if stage is not None and stage != current.stage.key:
        refused["stage"] = STAGE_OF_EXISTING.format(id=current.pk, stage=current.stage)
    score = cleaned.pop("score", current.score)
    if score != current.score:
        refused["score"] = SCORE_OF_EXISTING.format(id=current.pk, score=current.score)
    if refused:
        raise ValidationError(refused)
    changes = {name: value for name, value in cleaned.items() if getattr(current, name) != value}
    if not changes:
        return current, RowStatus.UNCHANGED
    return lead_update(lead=current, actor=actor, fields=changes), RowStatus.UPDATED


def _upsert_row(*, actor: User | None, fields: dict[str, Any]) -> tuple[Lead, RowStatus]:
    # Two requests creating the same new lead at once: the second one's INSERT waits on the
    # unique index until the first commits, then fails. `lead_upsert` is atomic, so only its
    # savepoint is rolled back; tried once more, the row now matches the first one's lead.
    try:
        return lead_upsert(actor=actor, fields=fields)
    except IntegrityError:
        pass
    try:
        return lead_upsert(actor=actor, fields=fields)
    except IntegrityError as exc:
        raise ValidationError(WRITTEN_MEANWHILE) from exc


@transaction.atomic
def leads_ingest(
    *, actor: User | None, rows: Iterable[tuple[int, dict[str, Any]]]
) -> list[RowResult]:
    """Upsert each `(index, fields)` row in order; a refused row rolls back only itself.

    Rows are taken in order, so a second row for the same person (same external id or email)
    updates, or leaves unchanged, the lead the first one created.
    """
    results = []
    for index, fields in rows:
        try:
            lead, status = _upsert_row(actor=actor, fields=fields)
        except (ValidationError, TransitionError) as exc:
            results.append(RowResult(index=index, status=RowStatus.ERROR, errors=_errors(exc)))
        else:
            results.append(RowResult(index=index, status=status, id=lead.pk))
    return results


# --- activities -----------------------------------------------------------------------------


@transaction.atomic
def activities_ingest(*, rows: Iterable[tuple[int, dict[str, Any]]]) -> list[RowResult]:
    """Record each `(index, row)` activity on the lead its `lead` reference finds.

    A row is `{"lead": {"external_id" and/or "email"}, "kind", "at", "detail"}`; scoring rules
    apply (`activity_record`). A refused row, or one whose lead is unknown, writes nothing.
    """
    results = []
    for index, row in rows:
        ref = lead_clean_fields(
            {name: row["lead"][name] for name in ("external_id", "email") if name in row["lead"]}
        )
        lead = lead_match(external_id=ref.get("external_id"), email=ref.get("email"))
        if lead is None:
            said = " or ".join(f"{name} '{value}'" for name, value in ref.items() if value)
            message = LEAD_NOT_FOUND.format(ref=said) if said else IDENTITY_NEEDED
            results.append(
                RowResult(index=index, status=RowStatus.ERROR, errors={"lead": [message]})
            )
            continue
        try:
            activity = activity_record(  # atomic: a savepoint per row
                lead=lead, kind=row["kind"], at=row["at"], detail=row.get("detail")
            )
        except ValidationError as exc:
            results.append(RowResult(index=index, status=RowStatus.ERROR, errors=_errors(exc)))
        else:
            results.append(RowResult(index=index, status=RowStatus.CREATED, id=activity.pk))
    return results
