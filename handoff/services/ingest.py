"""Ingestion from integrations: upserting leads and recording activities in bulk.

A lead is one person. A row finds its lead by external id, else by email; a lead that was merged
into another stands for its survivor, so whatever a marketing platform still calls by the
duplicate's id lands on the survivor.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from funnel.models import Stage, User
from funnel.rules import TransitionError, move_check, stage_get
from handoff.models import Activity, Lead
from handoff.services.leads import (
    lead_clean_fields,
    lead_create,
    lead_update,
    leads_write_new,
)
from handoff.services.work import activities_record
from leadflow.db import bulk_update_columns

BATCH_MAX = 1000
DEFAULT_STAGE = "inquiry"

IDENTITY_NEEDED = gettext_noop("Give an external_id or an email to find the lead by.")
STAGE_OF_EXISTING = gettext_lazy(
    "Lead {id} exists and is in {stage}; ingestion sets only a new lead's entry stage. "
    "Move it with a transition."
)
SCORE_OF_EXISTING = gettext_lazy(
    "Lead {id} exists with score {score}; ingestion sets only a new lead's initial score. "
    "Scores change through activities and scoring rules."
)
WRITTEN_MEANWHILE = gettext_lazy(
    "Another request wrote this lead at the same time; send the row again."
)
LEAD_NOT_FOUND = gettext_lazy("No lead with {ref}.")


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
        return {"stage": [str(exc.message)]}
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
    """The lead a row names, merged or not: by external id, else by (normalised) email.

    With an external id that no lead has yet, the email adopts only a lead without one (a web
    form's lead the platform now sends): a lead with another external id is another record of
    the platform, which the database allows to share an email. Among leads sharing an email, a
    live one comes before a merged one and the one without an external id (at most one) first.
    A merged lead stands for its survivor (`lead_survivor`).
    """
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
            raise ValidationError(gettext(IDENTITY_NEEDED))
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
    """Upsert each `(index, fields)` row in order; a refused row writes nothing, the others all.

    Rows are taken in order, so a second row for the same person (same external id or email)
    updates, or leaves unchanged, the lead the first one created. The batch is set-based: its
    leads are read in a few queries, every row is judged in memory, then the new leads, their
    history, events and offers are inserted, and the changed leads updated, a statement or two
    each. Another request creating one of the same new leads meanwhile makes the insert fail on
    the unique index after it commits; the batch is then judged again, finding that lead.
    """
    rows = list(rows)
    # Twice set-based: a failed insert waited for the other request to commit, so the second
    # try reads its leads and updates them. Only a third collision goes row by row.
    for _ in range(2):
        batch = _Batch(actor=actor, rows=rows)
        for index, fields in rows:
            batch.take(index, fields)
        try:
            with transaction.atomic():  # a savepoint: the next try starts from a clean slate
                batch.write()
        except IntegrityError:
            continue
        return batch.results()
    return _ingest_row_by_row(actor=actor, rows=rows)


def _ingest_row_by_row(
    *, actor: User | None, rows: list[tuple[int, dict[str, Any]]]
) -> list[RowResult]:
    results = []
    for index, fields in rows:
        try:
            lead, status = _upsert_row(actor=actor, fields=fields)
        except (ValidationError, TransitionError) as exc:
            results.append(RowResult(index=index, status=RowStatus.ERROR, errors=_errors(exc)))
        else:
            results.append(RowResult(index=index, status=status, id=lead.pk))
    return results


# Lead fields not validated in memory: the stage and team are set by the batch, the campaign was
# found by the API's serializer, and merges and owners are not ingest's to write.
_NOT_CHECKED = ["stage", "team", "owner", "merged_into", "campaign"]


def _creation_order(lead: Lead) -> float:
    return lead.pk if lead.pk is not None else math.inf


def _identity(fields: dict[str, Any]) -> dict[str, str]:
    """The external id and email a row names its lead by, normalised."""
    return lead_clean_fields({k: fields[k] for k in ("external_id", "email") if fields.get(k)})


class _LeadIndex:
    """The leads a batch of rows can name, read in a query or two, and found as `_lead_found`
    finds them, the leads the batch itself makes included."""

    def __init__(self, refs: list[dict[str, str]]):
        external_ids = {ref["external_id"] for ref in refs if ref.get("external_id")}
        emails = {ref["email"] for ref in refs if ref.get("email")}
        found = Lead.objects.filter(Q(external_id__in=external_ids) | Q(email__in=emails))
        self.by_pk = {lead.pk: lead for lead in found.select_related("stage")}
        # The survivors of merged leads, however deep the chain.
        missing = self._survivors_missing()
        while missing:
            more = Lead.objects.filter(pk__in=missing).select_related("stage")
            self.by_pk.update((lead.pk, lead) for lead in more)
            missing = self._survivors_missing()
        self.by_external_id = {
            lead.external_id: lead for lead in self.by_pk.values() if lead.external_id
        }
        self.by_email: dict[str, list[Lead]] = {}
        for lead in self.by_pk.values():
            self._index_email(lead)

    def match(self, ref: dict[str, str]) -> Lead | None:
        """The lead a reference names, or the survivor it was merged into."""
        found = self.found(external_id=ref.get("external_id"), email=ref.get("email"))
        return self.survivor(found) if found is not None else None

    def _survivors_missing(self) -> set[int]:
        return {
            lead.merged_into_id
            for lead in self.by_pk.values()
            if lead.merged_into_id is not None and lead.merged_into_id not in self.by_pk
        }

    def add(self, lead: Lead) -> None:
        """A lead the batch makes: later rows find it."""
        if lead.external_id:
            self.by_external_id[lead.external_id] = lead
        self._index_email(lead)

    def _index_email(self, lead: Lead) -> None:
        if not lead.email:
            return
        sharing = self.by_email.setdefault(lead.email, [])
        if lead not in sharing:
            sharing.append(lead)

    def survivor(self, lead: Lead) -> Lead:
        while lead.merged_into_id is not None:
            lead = self.by_pk[lead.merged_into_id]
        return lead

    def found(self, *, external_id: str | None, email: str | None) -> Lead | None:
        """`_lead_found`'s rule, on what the batch read and what its earlier rows made."""
        if external_id and external_id in self.by_external_id:
            return self.by_external_id[external_id]
        if not email:
            return None
        candidates = sorted(
            self.by_email.get(email, []),
            key=lambda lead: (
                lead.merged_into_id is not None,
                lead.merged_into_id or 0,
                lead.external_id is not None,
                lead.external_id or "",
                _creation_order(lead),
            ),
        )
        for found in candidates:
            if external_id and found.external_id is not None:
                continue
            if not external_id or self.survivor(found).external_id is None:
                return found
        return None


class _Batch:
    """What the rows of one bulk request do to the leads they name."""

    def __init__(self, *, actor: User | None, rows: list[tuple[int, dict[str, Any]]]):
        self.actor = actor
        self.now = timezone.now()
        self.outcomes: list[tuple[int, RowStatus, Lead | None, dict]] = []
        self.new: list[Lead] = []
        self.changed: dict[int, set[str]] = {}  # existing lead id -> the columns rows changed
        self.entry: dict[str, Stage | TransitionError] = {}
        refs = []
        for _, fields in rows:
            with contextlib.suppress(ValidationError):  # the row's own turn reports it
                refs.append(_identity(fields))
        self.leads = _LeadIndex(refs)

    def _entry_stage(self, key: str) -> Stage:
        if key not in self.entry:
            try:
                stage = stage_get(key)
                move_check(
                    from_stage=None, to_stage=stage, actor=self.actor, reason=None, handoff=None
                )
                self.entry[key] = stage
            except TransitionError as exc:
                self.entry[key] = exc
        found = self.entry[key]
        if isinstance(found, TransitionError):
            raise found
        return found

    # --- judging each row ------------------------------------------------------------------

    def take(self, index: int, fields: dict[str, Any]) -> None:
        try:
            status, lead = self._take(dict(fields))
        except _RowRefused as exc:
            errors = {name: [message] for name, message in exc.refused.items()}
            self.outcomes.append((index, RowStatus.ERROR, None, errors))
        except (ValidationError, TransitionError) as exc:
            self.outcomes.append((index, RowStatus.ERROR, None, _errors(exc)))
        else:
            self.outcomes.append((index, status, lead, {}))

    def _take(self, fields: dict[str, Any]) -> tuple[RowStatus, Lead]:
        stage = fields.pop("stage", None)
        cleaned = lead_clean_fields(fields)
        if cleaned.get("external_id") is None:
            cleaned.pop("external_id", None)
        found = self.leads.found(external_id=cleaned.get("external_id"), email=cleaned.get("email"))
        if found is None:
            return RowStatus.CREATED, self._new(stage or DEFAULT_STAGE, cleaned)

        current = self.leads.survivor(found)
        # As lead_upsert: an external id is set once; through a merge, the row's identity is
        # the duplicate's, which keeps it.
        if current.external_id is not None or found is not current:
            cleaned.pop("external_id", None)
        if found is not current:
            cleaned.pop("email", None)
        refused = {}
        if stage is not None and stage != current.stage.key:
            refused["stage"] = _Deferred(STAGE_OF_EXISTING, current, stage=current.stage)
        score = cleaned.pop("score", current.score)
        if score != current.score:
            refused["score"] = _Deferred(SCORE_OF_EXISTING, current, score=current.score)
        if refused:
            raise _RowRefused(refused)
        changes = {
            name: value for name, value in cleaned.items() if getattr(current, name) != value
        }
        if not changes:
            return RowStatus.UNCHANGED, current
        self._change(current, changes)
        return RowStatus.UPDATED, current

    def _new(self, stage_key: str, cleaned: dict[str, Any]) -> Lead:
        if not cleaned.get("external_id") and not cleaned.get("email"):
            raise ValidationError(gettext(IDENTITY_NEEDED))
        stage = self._entry_stage(stage_key)
        lead = Lead(stage=stage, stage_entered_at=self.now, team=stage.team, **cleaned)
        lead.clean_fields(exclude=_NOT_CHECKED)
        self.new.append(lead)
        self.leads.add(lead)
        return lead

    def _change(self, lead: Lead, changes: dict[str, Any]) -> None:
        """Apply a row's changes to the lead in memory, or refuse them all and keep it as it was."""
        before = {name: getattr(lead, name) for name in changes}
        for name, value in changes.items():
            setattr(lead, name, value)
        try:
            lead.clean_fields(exclude=_NOT_CHECKED)
            self._check_identity(lead, changes)
        except ValidationError:
            for name, value in before.items():
                setattr(lead, name, value)
            raise
        if "email" in changes and before["email"]:
            self.leads.by_email[before["email"]].remove(lead)
        if changes.keys() & {"email", "external_id"}:
            self.leads.add(lead)
        if lead.pk is not None:
            self.changed.setdefault(lead.pk, set()).update(changes)

    def _check_identity(self, lead: Lead, changes: dict[str, Any]) -> None:
        """The lead's identity constraints, checked in memory against what the batch read."""
        if not lead.email and lead.external_id is None:
            raise ValidationError(_constraint_message("lead_has_email_or_external_id"))
        if "email" in changes and lead.email and lead.external_id is None:
            sharing = [
                other
                for other in self.leads.by_email.get(lead.email, [])
                if other is not lead and other.external_id is None
            ]
            if sharing:
                raise ValidationError(_constraint_message("lead_unique_email_without_external_id"))

    # --- writing ---------------------------------------------------------------------------

    def write(self) -> None:
        if self.changed:
            self._update()
        if self.new:
            # In one order for every batch: two batches creating some of the same new leads
            # then queue on the unique index, instead of each waiting for the other (deadlock).
            leads = sorted(self.new, key=lambda lead: (lead.external_id or "", lead.email))
            leads_write_new(actor=self.actor, leads=leads)

    def _update(self) -> None:
        """Write the changed columns of the existing leads, locked in id order (so concurrent
        batches queue instead of deadlocking) and compared with what they hold now, so a column
        another request wrote meanwhile is left as it is unless a row changed it."""
        locked = {
            lead.pk: lead
            for lead in Lead.objects.select_for_update().filter(pk__in=self.changed).order_by("pk")
        }
        groups: dict[tuple[str, ...], list[Lead]] = {}
        for pk, names in self.changed.items():
            wanted = self.leads.by_pk[pk]
            differ = tuple(sorted(n for n in names if getattr(locked[pk], n) != getattr(wanted, n)))
            if differ:
                wanted.updated_at = self.now
                groups.setdefault(differ, []).append(wanted)
        for names, leads in groups.items():
            bulk_update_columns(Lead, leads, [*names, "updated_at"])

    def results(self) -> list[RowResult]:
        return [
            RowResult(
                index=index,
                status=status,
                id=lead.pk if lead is not None else None,
                errors={name: [str(m) for m in messages] for name, messages in errors.items()},
            )
            for index, status, lead, errors in self.outcomes
        ]


class _Deferred:
    """A message naming a lead's id, which a lead the batch creates has only once written."""

    def __init__(self, template: str, lead: Lead, **values: Any):
        self.template, self.lead, self.values = template, lead, values

    def __str__(self) -> str:
        return self.template.format(id=self.lead.pk, **self.values)


class _RowRefused(Exception):
    """A row's refusals by field, formatted once the batch has written (see `_Deferred`)."""

    def __init__(self, refused: dict[str, _Deferred]):
        super().__init__(refused)
        self.refused = refused


def _constraint_message(name: str) -> str:
    [constraint] = [c for c in Lead._meta.constraints if c.name == name]
    return str(constraint.get_violation_error_message())


# --- activities -----------------------------------------------------------------------------


@transaction.atomic
def activities_ingest(*, rows: Iterable[tuple[int, dict[str, Any]]]) -> list[RowResult]:
    """Record each `(index, row)` activity on the lead its `lead` reference finds.

    A row is `{"lead": {"external_id" and/or "email"}, "kind", "at", "detail"}`; scoring rules
    apply (`activities_record`). A refused row, or one whose lead is unknown, writes nothing.
    The batch finds its leads in a query or two and writes its activities in one insert.
    """
    rows = [(index, row, _identity(row["lead"])) for index, row in rows]
    leads = _LeadIndex([ref for _, _, ref in rows])
    outcomes: list[tuple[int, Activity | None, dict]] = []
    for index, row, ref in rows:
        lead = leads.match(ref)
        if lead is None:
            named = [f"{name} '{value}'" for name, value in ref.items() if value]
            # Translators: a lead named two ways, e.g. "external_id 'A1' or email 'a@b.c'".
            said = (
                gettext("{first} or {second}").format(first=named[0], second=named[1])
                if len(named) == 2
                else "".join(named)
            )
            message = LEAD_NOT_FOUND.format(ref=said) if said else gettext(IDENTITY_NEEDED)
            outcomes.append((index, None, {"lead": [message]}))
            continue
        activity = Activity(
            lead=lead, kind=row["kind"], at=row["at"], detail=row.get("detail") or {}
        )
        try:
            activity.full_clean(exclude=["points", "lead"])
        except ValidationError as exc:
            outcomes.append((index, None, _errors(exc)))
        else:
            outcomes.append((index, activity, {}))
    activities_record(activities=[activity for _, activity, _ in outcomes if activity])
    return [
        RowResult(index=index, status=RowStatus.ERROR, errors=errors)
        if activity is None
        else RowResult(index=index, status=RowStatus.CREATED, id=activity.pk)
        for index, activity, errors in outcomes
    ]
