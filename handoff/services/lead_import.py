"""Importing a CSV file of leads from the browser, through the bulk API's ingest.

A file is stored decoded when uploaded (`lead_import_create`), its columns mapped to the bulk
API's row fields, previewed (`lead_import_preview`: the first rows through the API's own
validation and ingest, rolled back), then imported in the background (`lead_import_run`, in
chunks of the API's batch size). Each chunk is what one `POST /api/v1/leads/bulk/` does: the
rows through `LeadRowSerializer` (`rows_validate`), then `leads_ingest`, so a row finds its lead
by external id, else by email, and a merged lead stands for its survivor, as there.

A chunk's ingest and the import's progress commit together, under a lock on the import: a
worker that dies mid-chunk leaves nothing of that chunk, and the next run starts from
`processed_rows`. A chunk run twice (a lost lock, a resumed import) matches the leads the
first run wrote, so nothing is duplicated. Every row ends in `counts`: created, updated,
unchanged, error (refused, with its messages in `errors`) or skipped (a blank row); their sum
is `total_rows`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import io
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from funnel.models import Role, User
from handoff.api.ingest import LeadRowSerializer, rows_validate
from handoff.models import LeadImport
from handoff.services.ingest import BATCH_MAX, RowStatus, leads_ingest
from leadflow.csv import FORMULA_STARTS
from leadflow.errors import DomainError
from leadflow.locale import speaking_to

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 25 * 1024 * 1024  # about 150,000 rows of a dozen columns
MAX_COLUMNS = 100
CHUNK_ROWS = BATCH_MAX  # a chunk is what one bulk request may carry
RUN_SECONDS = 60.0  # a task works this long, then re-enqueues itself for the rest
PREVIEW_ROWS = 20
EXTENSIONS = (".csv", ".txt", ".tsv")
DELIMITERS = (",", ";", "\t", "|")
SKIPPED = "skipped"  # a blank row: counted, never sent
STATUSES = (RowStatus.CREATED, RowStatus.UPDATED, RowStatus.UNCHANGED, RowStatus.ERROR, SKIPPED)
ACTIVE = (LeadImport.Status.QUEUED, LeadImport.Status.RUNNING)

FILE_TOO_BIG = _("The file is larger than {limit} MB: split it into smaller files.")
NOT_CSV_NAME = _("Choose a CSV file (a name ending in .csv, .txt or .tsv).")
NOT_CSV = _(
    "This is not a CSV file (it holds binary data): save the sheet as “CSV (comma delimited)” "
    "and upload that."
)
UNREADABLE = _("The file could not be read as CSV (row {row}: {error}).")
FILE_EMPTY = _("The file is empty.")
NO_HEADER = _(
    "The first row must name the columns (email, company, …); this one looks like a lead. "
    "Add a header row."
)
BLANK_HEADER = _("The first row has no column names: add a header row.")
NO_ROWS = _("The file has a header row but no leads under it.")
TOO_MANY_COLUMNS = _("The file has {count} columns; at most {limit} can be imported.")
TOO_MANY_CELLS = _("This row has {count} cells; the header names {columns} columns.")
NOT_UTF8 = _(
    "The file is not UTF-8; it was read as {encoding}. Check accented letters in the preview."
)
NOT_MAPPING = _("This import has started already; its columns can no longer be changed.")
MAPPED_TWICE = _("Columns {columns} are all mapped to {field}: keep one, ignore the others.")
IDENTITY_UNMAPPED = _(
    "Map a column to external_id or email: each row needs one to find its lead by."
)

# Header spellings that name a field, normalised as `_normal` does (the field's own name, with
# spaces, underscores, hyphens and dots ignored, always matches).
SYNONYMS = {
    "email": {"e-mail", "emailaddress", "e-mailaddress", "mail", "workemail"},
    "first_name": {"firstname", "givenname", "forename"},
    "last_name": {"lastname", "surname", "familyname"},
    "phone": {"phonenumber", "telephone", "tel", "mobile", "mobilephone"},
    "company": {"companyname", "organisation", "organization", "account", "accountname"},
    "title": {"jobtitle", "position", "role"},
    "country": {"countrycode"},
    "region": {"state", "province", "county"},
    "city": {"town"},
    "employees": {"numberofemployees", "employeecount", "companysize", "headcount"},
    "source": {"leadsource"},
    "campaign": {"campaignid"},
    "external_id": {"externalid", "extid"},
    "crm_id": {"crmid"},
    "score": {"leadscore"},
    "stage": {"leadstage", "lifecyclestage"},
}


class LeadImportRefused(DomainError):
    code = "import_refused"
    status = 400


# --- reading the file -----------------------------------------------------------------------


def import_fields() -> list[str]:
    """The bulk API's row fields, in its serializer's order: what a column can be mapped to."""
    return list(LeadRowSerializer().fields)


def _decoded(data: bytes) -> tuple[str, str]:
    """The text of the file and the encoding it was read in: UTF-8 (with or without a BOM),
    UTF-16 with its BOM (Excel's “Unicode text”), else Windows-1252, else Latin-1."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
    for codec, name in (("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252")):
        try:
            return data.decode(codec), name
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "Latin-1"  # every byte is a Latin-1 character


def _delimiter(text: str) -> str:
    """The delimiter the header row uses most: a comma, or the semicolon of a European Excel,
    a tab, a bar."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _reader(text: str) -> Iterator[list[str]]:
    return csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))


def _blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _looks_like_data(cell: str) -> bool:
    value = cell.strip()
    return "@" in value or bool(re.fullmatch(r"[+-]?[\d.,\s]+", value))


def file_header(content: str) -> list[str]:
    return [cell.strip() for cell in next(_reader(content), [])]


def file_records(content: str) -> Iterator[tuple[int, list[str]]]:
    """Each record under the header as `(row, cells)`, `row` numbered as a spreadsheet shows
    it (the header is row 1)."""
    reader = _reader(content)
    next(reader, None)
    for position, cells in enumerate(reader):
        yield position + 2, cells


def _checked(data: bytes) -> tuple[str, list[str], int, str]:
    """The file's text, header, number of records and encoding; refused if it is not a CSV
    file of leads with a header row."""
    if not data.strip():
        raise LeadImportRefused(str(FILE_EMPTY))
    content, encoding = _decoded(data)
    if "\x00" in content:
        raise LeadImportRefused(str(NOT_CSV))
    reader = _reader(content)
    total = rows = 0
    try:
        header = next(reader, [])
        for cells in reader:
            total += 1
            rows += not _blank(cells)
    except csv.Error as exc:
        raise LeadImportRefused(str(UNREADABLE).format(row=reader.line_num, error=exc)) from exc
    header = [cell.strip() for cell in header]
    if _blank(header):
        raise LeadImportRefused(str(BLANK_HEADER))
    if any(_looks_like_data(cell) for cell in header if cell):
        raise LeadImportRefused(str(NO_HEADER))
    if len(header) > MAX_COLUMNS:
        raise LeadImportRefused(str(TOO_MANY_COLUMNS).format(count=len(header), limit=MAX_COLUMNS))
    if not rows:
        raise LeadImportRefused(str(NO_ROWS))
    return content, header, total, encoding


@transaction.atomic
def lead_import_create(
    *, actor: User, file_name: str, data: bytes
) -> tuple[LeadImport, str | None]:
    """Store an uploaded file, waiting for its columns to be mapped, with a first guess of the
    mapping; and the encoding it was read in when that was not UTF-8 (to tell the user).

    Refused, storing nothing, if it is too big, not CSV, empty or without a header row."""
    if not file_name.lower().endswith(EXTENSIONS):
        raise LeadImportRefused(str(NOT_CSV_NAME))
    if len(data) > MAX_FILE_BYTES:
        raise LeadImportRefused(str(FILE_TOO_BIG).format(limit=MAX_FILE_BYTES // (1024 * 1024)))
    content, header, total, encoding = _checked(data)
    lead_import = LeadImport.objects.create(
        created_by=actor,
        file_name=file_name[-255:],
        content=content,
        columns=header,
        mapping=mapping_guess(header),
        total_rows=total,
    )
    return lead_import, (None if encoding == "UTF-8" else encoding)


# --- mapping ----------------------------------------------------------------------------------


def _normal(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name).lower()


def mapping_guess(columns: list[str]) -> dict[str, str]:
    """`{column index: field}` for each column whose header names a field (its name, however
    spaced or cased, or an obvious synonym: “E-mail”, “Company name”); a field once only."""
    names = {_normal(name): name for name in import_fields()}
    for name, spellings in SYNONYMS.items():
        names.update((_normal(spelling), name) for spelling in spellings)
    mapping, taken = {}, set()
    for index, column in enumerate(columns):
        name = names.get(_normal(column))
        if name and name not in taken:
            mapping[str(index)] = name
            taken.add(name)
    return mapping


def mapping_problems(columns: list[str], mapping: dict[str, str]) -> list[str]:
    """Why a mapping cannot be imported: a field mapped from two columns, or no identity."""
    problems = []
    by_field: dict[str, list[str]] = {}
    for index, name in sorted(mapping.items(), key=lambda item: int(item[0])):
        by_field.setdefault(name, []).append(column_label(columns, int(index)))
    for name, mapped in by_field.items():
        if len(mapped) > 1:
            problems.append(str(MAPPED_TWICE).format(columns=", ".join(mapped), field=name))
    if not {"external_id", "email"} & set(mapping.values()):
        problems.append(str(IDENTITY_UNMAPPED))
    return problems


def column_label(columns: list[str], index: int) -> str:
    return columns[index] if index < len(columns) and columns[index] else f"#{index + 1}"


def cell_value(cell: str) -> str:
    """A cell as the user wrote it: leadflow.csv's apostrophe before a formula-like cell, which
    an export adds and a spreadsheet drops, is dropped here too."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def json_fields() -> set[str]:
    """The row fields that take a dictionary (attributes): a cell gives them JSON."""
    return {
        name
        for name, kind in LeadRowSerializer().fields.items()
        if isinstance(kind, serializers.DictField)
    }


def row_for(cells: list[str], mapping: dict[str, str], json_names: set[str]) -> dict[str, Any]:
    """The bulk API row a record sends: each mapped, non-empty cell under its field. An empty
    cell sends nothing, so it leaves the lead's value as it is. A field of `json_names` is read
    as JSON; text that is not JSON goes as it is, for the serializer to refuse."""
    row: dict[str, Any] = {}
    for index, name in mapping.items():
        position = int(index)
        if position >= len(cells) or not cells[position].strip():
            continue
        value: Any = cell_value(cells[position])
        if name in json_names:
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        row[name] = value
    return row


# --- judging and writing rows -----------------------------------------------------------------


@dataclass(frozen=True)
class RowOutcome:
    """What became (or, in a preview, would become) of one record of the file."""

    row: int  # as a spreadsheet numbers it; the header is row 1
    status: str  # a RowStatus value, or SKIPPED
    sent: dict[str, Any] = field(default_factory=dict)
    lead_id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def _records_ingest(
    *, actor: User, columns: list[str], mapping: dict[str, str], records: list
) -> list[RowOutcome]:
    """What one bulk request of these records does: each row through the API's serializer,
    then the valid ones through `leads_ingest`; blank records are skipped, and a record with
    more cells than the header is refused rather than losing the extra ones."""
    outcomes: dict[int, RowOutcome] = {}
    sendable: list[tuple[int, dict[str, Any]]] = []
    json_names = json_fields()
    for row, cells in records:
        if _blank(cells):
            outcomes[row] = RowOutcome(row=row, status=SKIPPED)
        elif len(cells) > len(columns) and not _blank(cells[len(columns) :]):
            message = str(TOO_MANY_CELLS).format(count=len(cells), columns=len(columns))
            outcomes[row] = RowOutcome(
                row=row, status=RowStatus.ERROR, errors={"non_field_errors": [message]}
            )
        else:
            sendable.append((row, row_for(cells, mapping, json_names)))
    valid, refused = rows_validate([sent for _, sent in sendable], LeadRowSerializer)
    for result in [*refused, *leads_ingest(actor=actor, rows=valid)]:
        row, sent = sendable[result.index]
        outcomes[row] = RowOutcome(
            row=row, status=result.status, sent=sent, lead_id=result.id, errors=result.errors
        )
    return [outcomes[row] for row, _ in records]


class _DryRun(Exception):
    """Raised to roll a preview's writes back."""


def lead_import_preview(
    *, lead_import: LeadImport, mapping: dict[str, str], rows: int = PREVIEW_ROWS
) -> list[RowOutcome]:
    """The first `rows` leads of the file as the import would send them and what ingest would
    do with each (create, update, leave unchanged, refuse and why): the real validation and
    ingest, in a transaction rolled back, so nothing is written and nothing enqueued."""
    records = [
        (row, cells)
        for row, cells in islice(file_records(lead_import.content), rows * 5)
        if not _blank(cells)
    ][:rows]
    outcomes: list[RowOutcome] = []
    try:
        with transaction.atomic():
            outcomes = _records_ingest(
                actor=lead_import.created_by,
                columns=lead_import.columns,
                mapping=mapping,
                records=records,
            )
            raise _DryRun
    except _DryRun:
        pass
    # A new lead's id was the rolled-back insert's: there is no such lead.
    return [
        RowOutcome(
            row=o.row,
            status=o.status,
            sent=o.sent,
            lead_id=None if o.status == RowStatus.CREATED else o.lead_id,
            errors=o.errors,
        )
        for o in outcomes
    ]


@transaction.atomic
def lead_import_start(*, lead_import: LeadImport, mapping: dict[str, str]) -> LeadImport:
    """Queue the import with this mapping; the task is enqueued once this commits."""
    from handoff.tasks import lead_import_task

    problems = mapping_problems(lead_import.columns, mapping)
    if problems:
        raise LeadImportRefused(" ".join(problems))
    now = timezone.now()
    started = LeadImport.objects.filter(pk=lead_import.pk, status=LeadImport.Status.MAPPING).update(
        mapping=mapping, status=LeadImport.Status.QUEUED, progressed_at=now
    )
    if not started:  # a second click, or another tab
        raise LeadImportRefused(str(NOT_MAPPING), status=409)
    lead_import_task.delay_on_commit(lead_import.pk)
    lead_import.refresh_from_db()
    return lead_import


def _tally(lead_import: LeadImport, outcomes: list[RowOutcome], *, now) -> None:
    counts = {status: lead_import.counts.get(status, 0) for status in map(str, STATUSES)}
    for outcome in outcomes:
        counts[str(outcome.status)] += 1
        if outcome.status == RowStatus.ERROR:
            lead_import.errors.append({"row": outcome.row, "errors": outcome.errors})
    lead_import.counts = counts
    lead_import.processed_rows += len(outcomes)
    lead_import.progressed_at = now
    if lead_import.status == LeadImport.Status.QUEUED:
        lead_import.status = LeadImport.Status.RUNNING
        lead_import.started_at = now
    if lead_import.processed_rows >= lead_import.total_rows:
        lead_import.status = LeadImport.Status.DONE
        lead_import.finished_at = now


def lead_import_run(
    *, import_id: int, chunk_rows: int | None = None, seconds: float | None = None
) -> bool:
    """Import the rows not yet processed, a chunk at a time, for about `seconds`; whether rows
    remain (the task then enqueues itself again).

    Each chunk locks the import, reads where it stands, ingests the next rows and saves the
    progress, in one transaction. An import another run holds at this moment is left to it
    (`skip_locked`); one done, failed or still being mapped is left alone.
    """
    content = (
        LeadImport.objects.filter(pk=import_id, status__in=ACTIVE)
        .values_list("content", flat=True)
        .first()
    )
    if content is None:
        return False
    chunk_rows = chunk_rows or CHUNK_ROWS
    records = file_records(content)
    position = 0
    deadline = time.monotonic() + (RUN_SECONDS if seconds is None else seconds)
    while True:
        with transaction.atomic():
            lead_import = (
                LeadImport.objects.select_for_update(skip_locked=True)
                .select_related("created_by")
                .defer("content")
                .filter(pk=import_id, status__in=ACTIVE)
                .first()
            )
            if lead_import is None:
                return False
            # Another run may have gone further meanwhile: carry on from where it stopped.
            if lead_import.processed_rows < position:
                records, position = file_records(content), 0
            for _ in islice(records, lead_import.processed_rows - position):
                pass
            position = lead_import.processed_rows
            chunk = list(islice(records, chunk_rows))
            position += len(chunk)
            now = timezone.now()
            # The refusals are kept for whoever imported the file: in their language.
            with speaking_to(lead_import.created_by):
                outcomes = _records_ingest(
                    actor=lead_import.created_by,
                    columns=lead_import.columns,
                    mapping=lead_import.mapping,
                    records=chunk,
                )
            _tally(lead_import, outcomes, now=now)
            if not chunk:  # fewer records than counted at upload: the file is what it is
                lead_import.total_rows = lead_import.processed_rows
                lead_import.status = LeadImport.Status.DONE
                lead_import.finished_at = now
            lead_import.save(
                update_fields=[
                    "counts", "errors", "processed_rows", "progressed_at", "status",
                    "started_at", "finished_at", "total_rows",
                ]
            )  # fmt: skip
        if lead_import.status == LeadImport.Status.DONE:
            return False
        if time.monotonic() >= deadline:
            return True


def lead_import_fail(*, import_id: int, failure: str) -> None:
    """The task gave up: the import stops where it is, saying why; its rows so far stay."""
    LeadImport.objects.filter(pk=import_id, status__in=ACTIVE).update(
        status=LeadImport.Status.FAILED, failure=failure[:2000], finished_at=timezone.now()
    )


def lead_imports_resume_overdue(*, now: datetime.datetime | None = None) -> int:
    """Enqueue again every import queued or running that has not moved for the grace period
    (SAFETY_NET_GRACE_SECONDS): its message was lost (the broker away) or its worker killed.
    It resumes from `processed_rows`; a late original message finds the rows done or the
    import held and does nothing twice. How many were enqueued."""
    from handoff.tasks import lead_import_task

    now = now or timezone.now()
    grace = now - datetime.timedelta(seconds=settings.SAFETY_NET_GRACE_SECONDS)
    stale = list(
        LeadImport.objects.filter(status__in=ACTIVE, progressed_at__lte=grace)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    resumed = 0
    for import_id in stale:
        # Its clock restarts: the next run of the net waits a grace period again.
        if LeadImport.objects.filter(
            pk=import_id, status__in=ACTIVE, progressed_at__lte=grace
        ).update(progressed_at=now):
            lead_import_task.delay_on_commit(import_id)
            resumed += 1
    if resumed:
        logger.warning("Safety net: %s lead imports enqueued again", resumed)
    return resumed


# --- reads for the pages ----------------------------------------------------------------------


def lead_imports_for(user: User) -> QuerySet[LeadImport]:
    """The imports a user may open: their own; an admin's, everyone's. Without the file."""
    imports = LeadImport.objects.defer("content", "errors").select_related("created_by")
    if user.effective_role == Role.ADMIN:
        return imports
    return imports.filter(created_by=user)


def lead_import_refused_rows(
    lead_import: LeadImport, *, limit: int | None = None
) -> list[tuple[int, list[str], dict[str, list[str]]]]:
    """The refused rows as `(row, cells, errors)`, in file order, the cells read back from the
    stored file."""
    wanted = {entry["row"]: entry["errors"] for entry in lead_import.errors[:limit]}
    found = []
    if not wanted:
        return found
    last = max(wanted)
    for row, cells in file_records(lead_import.content):
        if row in wanted:
            found.append((row, cells, wanted[row]))
        if row >= last:
            break
    return found


def errors_text(errors: dict[str, list[str]]) -> str:
    """A row's refusals on one line: `email: Enter a valid email address.; stage: …`."""
    return "; ".join(
        " ".join(messages) if name == "non_field_errors" else f"{name}: {' '.join(messages)}"
        for name, messages in errors.items()
    )
