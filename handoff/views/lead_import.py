"""Importing leads from a CSV file: upload, map the columns, preview, run in the background,
then the per-row report (on the page and as a CSV to fix and upload again).

Who may import is who may use `POST /api/v1/leads/bulk/` (its INGESTS roles; others 403); an
import is seen by whoever uploaded it, and by admins (another's is a 404).
"""

from __future__ import annotations

import io
from functools import wraps
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from funnel.models import Role
from handoff.api.ingest import INGESTS
from handoff.forms import LeadImportMappingForm, LeadImportUploadForm
from handoff.models import LeadImport
from handoff.services import lead_import as imports
from leadflow.csv import csv_safe_writer

RECENT_IMPORTS = 20
REFUSED_SHOWN = 100


def importer_required(view):
    """Signed in (else to the login page), with a role that may ingest leads (else 403)."""

    @wraps(view)
    @login_required
    def guarded(request: HttpRequest, *args, **kwargs):
        if request.user.effective_role not in INGESTS:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return guarded


def _import_for(request: HttpRequest, import_id: int, *, whole: bool = True) -> LeadImport:
    """The import if the user may see it (theirs; an admin's, any), else 404."""
    imports_seen = imports.lead_imports_for(request.user)
    if whole:
        imports_seen = imports_seen.defer(None)
    return get_object_or_404(imports_seen, pk=import_id)


# --- upload and the list of imports -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@importer_required
def lead_import(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = LeadImportUploadForm(request.POST, request.FILES)
    else:
        form = LeadImportUploadForm()
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > imports.MAX_FILE_BYTES:  # refused before reading it
                    raise imports.LeadImportRefused(
                        str(imports.FILE_TOO_BIG).format(
                            limit=imports.MAX_FILE_BYTES // (1024 * 1024)
                        )
                    )
                created, encoding = imports.lead_import_create(
                    actor=request.user, file_name=upload.name, data=upload.read()
                )
            except imports.LeadImportRefused as exc:
                form.add_error("file", exc.message)
            else:
                if encoding:
                    messages.warning(request, str(imports.NOT_UTF8).format(encoding=encoding))
                return redirect("handoff:lead-import-detail", import_id=created.pk)
        status = 400
    context = {
        "form": form,
        "imports": list(imports.lead_imports_for(request.user)[:RECENT_IMPORTS]),
        "all_users": request.user.effective_role == Role.ADMIN,
        "fields": imports.import_fields(),
        "max_mb": imports.MAX_FILE_BYTES // (1024 * 1024),
    }
    return render(request, "handoff/lead_import.html", context, status=status)


# --- one import: mapping and preview, then progress and results -------------------------------


def _mapping_context(lead_import: LeadImport, form: LeadImportMappingForm, mapping: dict):
    problems = imports.mapping_problems(lead_import.columns, mapping)
    samples = [cells for _, cells in zip(range(3), _records(lead_import), strict=False)]
    rows = []
    for index, bound in enumerate(form):
        rows.append(
            {
                "field": bound,
                "samples": [cells[index] for cells in samples if index < len(cells)],
            }
        )
    preview = imports.lead_import_preview(lead_import=lead_import, mapping=mapping)
    return {
        "form": form,
        "columns": rows,
        "problems": problems,
        "preview": preview,
        "preview_refused": sum(o.status == "error" for o in preview),
    }


def _records(lead_import: LeadImport):
    return (cells for _, cells in imports.file_records(lead_import.content) if any(cells))


def _result_context(lead_import: LeadImport) -> dict:
    counts = lead_import.counts
    refused = counts.get("error", 0)
    percent = (
        round(100 * lead_import.processed_rows / lead_import.total_rows)
        if lead_import.total_rows
        else 100
    )
    context = {
        "lead_import": lead_import,
        "percent": percent,
        "counts": [
            (_("Created"), counts.get("created", 0)),
            (_("Updated"), counts.get("updated", 0)),
            (_("Unchanged"), counts.get("unchanged", 0)),
            (_("Refused"), refused),
            (_("Blank rows skipped"), counts.get("skipped", 0)),
        ],
        "refused": refused,
        "finished": lead_import.status in (LeadImport.Status.DONE, LeadImport.Status.FAILED),
    }
    if context["finished"] and refused:
        columns = lead_import.columns
        context["refused_rows"] = [
            {
                "row": row,
                "values": [
                    (imports.column_label(columns, i), cell)
                    for i, cell in enumerate(cells)
                    if cell.strip()
                ],
                "errors": errors,
            }
            for row, cells, errors in imports.lead_import_refused_rows(
                lead_import, limit=REFUSED_SHOWN
            )
        ]
        context["refused_more"] = max(0, refused - REFUSED_SHOWN)
    return context


@require_http_methods(["GET", "POST"])
@importer_required
def lead_import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    lead_import = _import_for(request, import_id)
    context = {"lead_import": lead_import}
    if lead_import.status != LeadImport.Status.MAPPING:
        if request.method == "POST":
            messages.error(request, imports.NOT_MAPPING)
            return redirect("handoff:lead-import-detail", import_id=lead_import.pk)
        context.update(_result_context(lead_import))
        return render(request, "handoff/lead_import_detail.html", context)

    fields = imports.import_fields()
    kwargs = {"columns": lead_import.columns, "fields": fields, "mapping": lead_import.mapping}
    if request.method == "GET":
        form = LeadImportMappingForm(**kwargs)
        context.update(_mapping_context(lead_import, form, lead_import.mapping))
        return render(request, "handoff/lead_import_detail.html", context)

    form = LeadImportMappingForm(request.POST, **kwargs)
    status = 400
    if form.is_valid():
        mapping = form.mapping()
        if request.POST.get("action") == "run" and not imports.mapping_problems(
            lead_import.columns, mapping
        ):
            try:
                imports.lead_import_start(lead_import=lead_import, mapping=mapping)
            except imports.LeadImportRefused as exc:
                messages.error(request, exc.message)
            return redirect("handoff:lead-import-detail", import_id=lead_import.pk)
        status = 200 if request.POST.get("action") != "run" else 400
        context.update(_mapping_context(lead_import, form, mapping))
    else:
        context.update(_mapping_context(lead_import, form, lead_import.mapping))
    template = (
        "handoff/_lead_import_mapping.html" if request.htmx else "handoff/lead_import_detail.html"
    )
    return render(request, template, context, status=status)


@require_GET
@importer_required
def lead_import_progress(request: HttpRequest, import_id: int) -> HttpResponse:
    """The progress bar and counts, polled every 2 s while the import runs; once it is done,
    the results (without the poll, so it stops)."""
    lead_import = _import_for(request, import_id, whole=False)
    context = _result_context(lead_import)
    if context["finished"] and context["refused"]:
        lead_import = _import_for(request, import_id)
        context = _result_context(lead_import)
    return render(request, "handoff/_lead_import_progress.html", context)


@require_GET
@importer_required
def lead_import_errors(request: HttpRequest, import_id: int) -> HttpResponse:
    """The refused rows as the file had them, plus an `errors` column: fix, then upload again."""
    lead_import = _import_for(request, import_id)
    out = io.StringIO()
    out.write("\ufeff")  # so that Excel reads it as UTF-8
    writer = csv_safe_writer(out)
    writer.writerow([*lead_import.columns, "errors"])
    width = len(lead_import.columns)
    for _row, cells, errors in imports.lead_import_refused_rows(lead_import):
        padded = cells[:width] + [""] * (width - len(cells)) if len(cells) <= width else cells
        writer.writerow([*padded, imports.errors_text(errors)])
    name = f"{Path(lead_import.file_name).stem or 'leads'}-errors.csv"
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_header_safe(name)}"'
    return response


def _header_safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:120]
