"""The CSV import of leads: upload, mapping, preview, the background run through the bulk API's
ingest, the per-row report, and who may reach which import."""

import csv
import datetime
import io
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from funnel.models import Campaign, Role
from funnel.tests.factories import UserFactory
from handoff.models import Lead, LeadImport, Offer
from handoff.services import lead_import as imports
from handoff.services.leads import lead_create
from handoff.services.merge import lead_merge
from handoff.tasks import lead_import_task
from handoff.views.leads import export_rows
from integrations.models import Event

IMPORTERS = [Role.ADMIN, Role.MARKETING, Role.INTEGRATION]
OTHERS = [Role.INSIDE, Role.SALES, Role.MANAGER]
STATUS_KEYS = ["created", "updated", "unchanged", "error", "skipped"]


def _csv(*rows: list, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def _upload(client, data: bytes, name: str = "leads.csv"):
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(reverse("handoff:lead-import"), {"file": file})


def _detail(lead_import: LeadImport) -> str:
    return reverse("handoff:lead-import-detail", args=[lead_import.pk])


def _mapping_post(lead_import: LeadImport, mapping: dict[int, str], action: str) -> dict:
    data = {f"column_{i}": mapping.get(i, "") for i in range(len(lead_import.columns))}
    return {**data, "action": action}


def _created(user, *rows: list) -> LeadImport:
    lead_import, _ = imports.lead_import_create(actor=user, file_name="leads.csv", data=_csv(*rows))
    return lead_import


def _run(user, *rows: list, mapping: dict | None = None, **run) -> LeadImport:
    """Upload, start with the guessed (or given) mapping and run to the end, as the task does."""
    lead_import = _created(user, *rows)
    lead_import = imports.lead_import_start(
        lead_import=lead_import, mapping=mapping or lead_import.mapping
    )
    while imports.lead_import_run(import_id=lead_import.pk, **run):
        pass
    lead_import.refresh_from_db()
    return lead_import


def _adds_up(lead_import: LeadImport) -> None:
    assert set(lead_import.counts) <= set(STATUS_KEYS)
    assert sum(lead_import.counts.values()) == lead_import.total_rows
    assert lead_import.processed_rows == lead_import.total_rows
    assert len(lead_import.errors) == lead_import.counts.get("error", 0)


@pytest.fixture
def marketer(funnel):
    return UserFactory(username="imp_marketer", role=Role.MARKETING)


@pytest.fixture
def signed_in(client, marketer):
    client.force_login(marketer)
    return client


# --- uploading --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("leads.xlsx", _csv(["email"], ["a@acme.io"]), imports.NOT_CSV_NAME),
        ("leads.csv", b"PK\x03\x04\x00\x00binary\x00", imports.NOT_CSV),
        ("leads.csv", b"", imports.FILE_EMPTY),
        ("leads.csv", b"  \r\n\r\n", imports.FILE_EMPTY),
        ("leads.csv", _csv(["email", "company"]), imports.NO_ROWS),
        ("leads.csv", _csv(["email"], [""], [" "]), imports.NO_ROWS),
        ("leads.csv", _csv(["ann@acme.io", "Acme"], ["bob@acme.io", "Bolt"]), imports.NO_HEADER),
        ("leads.csv", _csv(["", ""], ["ann@acme.io", "Acme"]), imports.BLANK_HEADER),
        ("leads.csv", _csv([f"c{i}" for i in range(101)], ["x"] * 101), imports.TOO_MANY_COLUMNS),
    ],
)
def test_a_file_that_is_not_a_csv_of_leads_is_refused_and_nothing_is_stored(
    signed_in, name, data, message
):
    response = _upload(signed_in, data, name)

    assert response.status_code == 400
    expected = str(message).format(count=101, limit=imports.MAX_COLUMNS)
    assert expected in response.content.decode()
    assert not LeadImport.objects.exists()


def test_no_file_is_a_clear_error(signed_in):
    response = signed_in.post(reverse("handoff:lead-import"), {})

    assert response.status_code == 400
    assert "Choose a CSV file to upload." in response.text
    assert not LeadImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused(signed_in, monkeypatch):
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 2 * 1024 * 1024)
    data = _csv(["email"], *[[f"lead{i}@acme.io"] for i in range(120_000)])
    assert len(data) > imports.MAX_FILE_BYTES

    response = _upload(signed_in, data)

    assert response.status_code == 400
    assert "larger than 2 MB" in response.text
    assert not LeadImport.objects.exists()


def test_a_utf8_file_with_a_bom_is_read_and_mapped(signed_in):
    data = "\ufeff" + "Email,Company name\nann@acme.io,Société Générale\n"

    response = _upload(signed_in, data.encode("utf-8"))

    lead_import = LeadImport.objects.get()
    assert response.status_code == 302 and response.url == _detail(lead_import)
    assert lead_import.columns == ["Email", "Company name"]
    assert lead_import.mapping == {"0": "email", "1": "company"}
    assert "Société Générale" in lead_import.content
    assert "not UTF-8" not in signed_in.get(response.url).text


def test_a_windows_1252_file_is_read_as_such_and_the_user_is_told(signed_in):
    data = _csv(["email", "company"], ["ann@acme.io", "Société “Générale”"], encoding="cp1252")

    response = _upload(signed_in, data)

    lead_import = LeadImport.objects.get()
    assert "Société “Générale”" in lead_import.content
    page = signed_in.get(response.url)
    assert "read as Windows-1252" in page.text


def test_a_semicolon_separated_file_is_read_by_its_columns(signed_in):
    _upload(signed_in, _csv(["email", "company"], ["ann@acme.io", "Acme"], delimiter=";"))

    lead_import = LeadImport.objects.get()
    assert lead_import.columns == ["email", "company"]
    assert lead_import.total_rows == 1


# --- mapping and preview ----------------------------------------------------------------------


def test_columns_named_like_a_field_or_a_synonym_are_mapped_each_field_once(marketer):
    columns = ["E-mail", "Company name", "First Name", "last_name", "Notes", "EMAIL", "ext id"]

    mapping = imports.mapping_guess(columns)

    assert mapping == {
        "0": "email",
        "1": "company",
        "2": "first_name",
        "3": "last_name",
        "6": "external_id",
    }


def test_the_mapping_page_preselects_the_guess_and_states_the_identity_rule(signed_in, marketer):
    lead_import = _created(marketer, ["E-mail", "Notes"], ["ann@acme.io", "met at a fair"])

    page = signed_in.get(_detail(lead_import))

    assert page.status_code == 200
    assert '<option value="email" selected>' in page.text
    assert "Each row needs an <strong>external_id</strong> or an <strong>email</strong>" in (
        page.text
    )
    assert "met at a fair" in page.text  # the column's first values


def test_the_preview_shows_what_each_row_would_do_and_why_a_row_is_refused(signed_in, marketer):
    existing = lead_create(actor=None, email="old@acme.io", company="Acme")
    lead_import = _created(
        marketer,
        ["email", "company", "employees"],
        ["new@acme.io", "Bolt", "12"],
        ["old@acme.io", "Acme", ""],
        ["not-an-email", "Cogs", "5"],
        ["", "Nobody", "many"],
    )
    before = Lead.objects.count()

    page = signed_in.get(_detail(lead_import))

    assert page.status_code == 200
    text = page.text
    assert "new lead" in text
    assert f"#{existing.pk}" in text and "unchanged" in text
    assert "Enter a valid email address." in text
    assert "A valid integer is required." in text
    assert "2 of them would be refused." in text
    assert Lead.objects.count() == before  # the preview wrote nothing
    lead_import.refresh_from_db()
    assert lead_import.status == LeadImport.Status.MAPPING


def test_the_preview_of_a_lead_that_would_be_offered_enqueues_and_records_nothing(
    client, funnel, django_capture_on_commit_callbacks
):
    admin = UserFactory(role=Role.ADMIN)
    client.force_login(admin)
    lead_import = _created(admin, ["email", "stage"], ["hot@acme.io", "mql"])
    written = (Lead.objects.count(), Offer.objects.count(), Event.objects.count())

    with django_capture_on_commit_callbacks() as enqueued:
        page = client.get(_detail(lead_import))

    assert "new lead" in page.text and "refused" not in page.text
    assert enqueued == []
    assert (Lead.objects.count(), Offer.objects.count(), Event.objects.count()) == written


def test_changing_the_mapping_updates_the_preview_and_keeps_the_choice(signed_in, marketer):
    lead_import = _created(marketer, ["mail", "org"], ["ann@acme.io", "Acme"])
    assert lead_import.mapping == {"0": "email"}

    response = signed_in.post(
        _detail(lead_import),
        _mapping_post(lead_import, {0: "email", 1: "company"}, "preview"),
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert 'id="mapping"' in response.text and "<html" not in response.text
    assert '<option value="company" selected>' in response.text
    assert "<code>company</code> Acme" in response.text


def test_running_without_an_identity_column_is_refused_and_changes_nothing(
    signed_in, marketer, django_capture_on_commit_callbacks
):
    lead_import = _created(marketer, ["email", "company"], ["ann@acme.io", "Acme"])

    with django_capture_on_commit_callbacks() as sent:
        response = signed_in.post(
            _detail(lead_import), _mapping_post(lead_import, {1: "company"}, "run")
        )

    assert response.status_code == 400
    assert str(imports.IDENTITY_UNMAPPED) in response.text
    assert '<option value="company" selected>' in response.text  # the user's input kept
    lead_import.refresh_from_db()
    assert lead_import.status == LeadImport.Status.MAPPING and not sent


def test_two_columns_mapped_to_one_field_is_refused(signed_in, marketer):
    lead_import = _created(marketer, ["email", "work email"], ["a@acme.io", "b@acme.io"])

    response = signed_in.post(
        _detail(lead_import), _mapping_post(lead_import, {0: "email", 1: "email"}, "run")
    )

    assert response.status_code == 400
    assert "Columns email, work email are all mapped to email" in response.text
    lead_import.refresh_from_db()
    assert lead_import.status == LeadImport.Status.MAPPING


def test_run_queues_the_import_and_enqueues_its_task_after_commit(
    signed_in, marketer, django_capture_on_commit_callbacks, monkeypatch
):
    lead_import = _created(marketer, ["email"], ["ann@acme.io"])
    sent = []
    monkeypatch.setattr(lead_import_task, "delay", lambda *args: sent.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            _detail(lead_import), _mapping_post(lead_import, {0: "email"}, "run")
        )

    assert response.status_code == 302
    lead_import.refresh_from_db()
    assert lead_import.status == LeadImport.Status.QUEUED
    assert lead_import.mapping == {"0": "email"} and lead_import.progressed_at is not None
    assert sent == [(lead_import.pk,)]
    # A second click (another tab) starts nothing more.
    again = signed_in.post(_detail(lead_import), _mapping_post(lead_import, {0: "email"}, "run"))
    assert again.status_code == 302 and sent == [(lead_import.pk,)]
    assert "can no longer be changed" in signed_in.get(again.url).text


# --- the run: through the bulk API's ingest ---------------------------------------------------


@pytest.fixture
def known(funnel):
    """Leads the rows will find: one by external id, one by email only, and a duplicate merged
    into a survivor."""
    admin = UserFactory(username="imp_admin", role=Role.ADMIN)
    by_id = lead_create(actor=None, external_id="m-1", email="first@acme.io", company="Acme")
    by_email = lead_create(actor=None, email="ann@acme.io", company="Acme")
    survivor = lead_create(actor=None, email="sue@acme.io", company="Acme")
    duplicate = lead_create(actor=None, external_id="m-dup", email="dup@acme.io")
    lead_merge(survivor=survivor, duplicate=duplicate, actor=admin)
    return {"by_id": by_id, "by_email": by_email, "survivor": survivor}


ROWS = [
    # the external id wins over another lead's email
    {"external_id": "m-1", "email": "ANN@acme.io ", "company": "Acme Ltd"},
    {"email": " Ann@Acme.io", "company": "Acme"},  # by email, trimmed and lower-cased: unchanged
    {"external_id": "m-dup", "company": "Sue & Co"},  # the merged duplicate: its survivor
    {"external_id": "m-9", "email": "new@acme.io"},  # new
    {"external_id": "m-9", "company": "Newco"},  # the lead the row before made
    {"email": "bad", "company": "X"},  # refused by the serializer
    {"company": "Nobody"},  # refused by ingest: no identity
]
EXPECTED = [
    ("updated", "by_id"),
    ("unchanged", "by_email"),
    ("updated", "survivor"),
    ("created", "new"),
    ("updated", "new"),
    ("error", None),
    ("error", None),
]
COLUMNS = ["external_id", "email", "company"]


def _through_api(user) -> dict[str, int]:
    client = APIClient()
    client.force_authenticate(user)
    response = client.post("/api/v1/leads/bulk/", {"leads": ROWS}, format="json")
    return dict(Counter(row["status"] for row in response.json()["results"]))


def _through_import(user) -> dict[str, int]:
    lead_import = _run(user, COLUMNS, *[[str(row.get(n, "")) for n in COLUMNS] for row in ROWS])
    _adds_up(lead_import)
    return {status: count for status, count in lead_import.counts.items() if count}


@pytest.mark.parametrize("channel", ["api", "import"])
def test_rows_find_their_leads_as_the_bulk_api_finds_them(known, marketer, channel):
    """The same rows, by the API or by a CSV file, do the same: external id first, then email,
    a merged lead standing for its survivor, a later row updating what an earlier one made."""
    leads_before = Lead.objects.count()

    results = (_through_api if channel == "api" else _through_import)(marketer)

    assert results == dict(Counter(status for status, _ in EXPECTED))
    assert Lead.objects.count() == leads_before + 1
    assert Lead.objects.get(pk=known["by_id"].pk).company == "Acme Ltd"
    assert Lead.objects.get(pk=known["by_email"].pk).company == "Acme"
    assert Lead.objects.get(pk=known["survivor"].pk).company == "Sue & Co"
    assert Lead.objects.get(external_id="m-9").company == "Newco"
    assert not Lead.objects.filter(company__in=["X", "Nobody"]).exists()


def test_each_refused_row_is_kept_with_its_row_number_and_field_errors(marketer):
    lead_import = _run(
        marketer,
        ["email", "employees", "stage"],
        ["ok@acme.io", "5", ""],
        ["", "", ""],  # blank: skipped, still counted
        ["bad", "many", ""],
        ["won@acme.io", "", "won"],  # not an entry stage for a marketer
        ["x@acme.io", "1", "", "extra"],  # a cell beyond the header
    )

    _adds_up(lead_import)
    assert lead_import.status == LeadImport.Status.DONE and lead_import.finished_at
    assert lead_import.counts == {
        "created": 1, "updated": 0, "unchanged": 0, "error": 3, "skipped": 1
    }  # fmt: skip
    errors = {entry["row"]: entry["errors"] for entry in lead_import.errors}
    assert sorted(errors) == [4, 5, 6]
    assert set(errors[4]) == {"email", "employees"}
    assert set(errors[5]) == {"stage"}
    assert errors[6] == {"non_field_errors": ["This row has 4 cells; the header names 3 columns."]}
    assert list(Lead.objects.values_list("email", flat=True)) == ["ok@acme.io"]


def test_an_import_in_chunks_saves_its_progress_after_each_and_adds_up(marketer):
    rows = [[f"lead{i}@acme.io", f"Co {i}"] for i in range(7)] + [["bad", "Bad"]]
    lead_import = imports.lead_import_start(
        lead_import=_created(marketer, ["email", "company"], *rows), mapping={"0": "email"}
    )

    more = imports.lead_import_run(import_id=lead_import.pk, chunk_rows=3, seconds=0)

    lead_import.refresh_from_db()
    assert more is True
    assert (lead_import.status, lead_import.processed_rows) == (LeadImport.Status.RUNNING, 3)
    assert lead_import.counts["created"] == 3 and lead_import.started_at
    while imports.lead_import_run(import_id=lead_import.pk, chunk_rows=3, seconds=0):
        pass
    lead_import.refresh_from_db()
    _adds_up(lead_import)
    assert lead_import.counts["created"] == 7 and lead_import.counts["error"] == 1
    assert Lead.objects.count() == 7


def test_the_task_runs_the_import_and_enqueues_itself_while_rows_remain(marketer, monkeypatch):
    lead_import = imports.lead_import_start(
        lead_import=_created(marketer, ["email"], *[[f"l{i}@acme.io"] for i in range(5)]),
        mapping={"0": "email"},
    )
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    monkeypatch.setattr(imports, "RUN_SECONDS", 0)
    again = []
    monkeypatch.setattr(lead_import_task, "delay_on_commit", lambda *args: again.append(args))

    lead_import_task(lead_import.pk)

    lead_import.refresh_from_db()
    assert lead_import.processed_rows == 2 and again == [(lead_import.pk,)]


def test_a_worker_dying_mid_chunk_loses_that_chunk_only_and_the_rerun_duplicates_nothing(
    marketer, monkeypatch
):
    rows = [[f"m-{i}", f"lead{i}@acme.io"] for i in range(6)]
    lead_import = imports.lead_import_start(
        lead_import=_created(marketer, ["external_id", "email"], *rows),
        mapping={"0": "external_id", "1": "email"},
    )
    real = imports.leads_ingest
    calls = []

    def dies_on_the_second_chunk(**kwargs):
        calls.append(1)
        written = real(**kwargs)  # the leads are written in the chunk's transaction…
        if len(calls) == 2:
            raise SystemExit("worker killed")  # …then the worker dies before it commits
        return written

    monkeypatch.setattr(imports, "leads_ingest", dies_on_the_second_chunk)
    with pytest.raises(SystemExit):
        imports.lead_import_run(import_id=lead_import.pk, chunk_rows=2)
    lead_import.refresh_from_db()
    assert lead_import.processed_rows == 2 and Lead.objects.count() == 2

    monkeypatch.setattr(imports, "leads_ingest", real)
    assert imports.lead_import_run(import_id=lead_import.pk, chunk_rows=2) is False

    lead_import.refresh_from_db()
    _adds_up(lead_import)
    assert lead_import.counts["created"] == 6
    assert Lead.objects.count() == 6


def test_a_chunk_run_again_matches_the_leads_it_wrote_and_duplicates_nothing(marketer):
    rows = [[f"m-{i}", f"lead{i}@acme.io", "Acme"] for i in range(4)]
    first = _run(marketer, ["external_id", "email", "company"], *rows)
    # A message delivered twice: the import is done, the second run does nothing.
    assert imports.lead_import_run(import_id=first.pk) is False
    # The same file imported again: every row finds its lead.
    second = _run(marketer, ["external_id", "email", "company"], *rows)

    assert first.counts["created"] == 4
    assert second.counts["unchanged"] == 4 and second.counts["created"] == 0
    _adds_up(second)
    assert Lead.objects.count() == 4


def test_a_run_does_nothing_to_an_import_that_is_done(marketer):
    lead_import = imports.lead_import_start(
        lead_import=_created(marketer, ["email"], ["a@acme.io"]), mapping={"0": "email"}
    )
    LeadImport.objects.filter(pk=lead_import.pk).update(status=LeadImport.Status.DONE)

    assert imports.lead_import_run(import_id=lead_import.pk) is False
    assert not Lead.objects.exists()


def test_the_task_marks_the_import_failed_after_its_last_retry(marketer, monkeypatch):
    lead_import = imports.lead_import_start(
        lead_import=_created(marketer, ["email"], ["a@acme.io"]), mapping={"0": "email"}
    )

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(imports, "lead_import_run", broken)

    lead_import_task.apply(args=[lead_import.pk])

    lead_import.refresh_from_db()
    assert lead_import.status == LeadImport.Status.FAILED
    assert lead_import.failure == "RuntimeError: the database went away"


def test_the_safety_net_enqueues_again_an_import_that_stopped_moving(marketer, monkeypatch):
    now = timezone.now()
    late = now - datetime.timedelta(minutes=10)
    stuck = imports.lead_import_start(
        lead_import=_created(marketer, ["email"], ["a@acme.io"]), mapping={"0": "email"}
    )
    moving = imports.lead_import_start(
        lead_import=_created(marketer, ["email"], ["b@acme.io"]), mapping={"0": "email"}
    )
    done = imports.lead_import_start(
        lead_import=_created(marketer, ["email"], ["c@acme.io"]), mapping={"0": "email"}
    )
    LeadImport.objects.filter(pk=stuck.pk).update(status="running", progressed_at=late)
    LeadImport.objects.filter(pk=done.pk).update(status="done", progressed_at=late)
    sent = []
    monkeypatch.setattr(lead_import_task, "delay_on_commit", lambda *args: sent.append(args))

    assert imports.lead_imports_resume_overdue(now=now) == 1

    assert sent == [(stuck.pk,)]
    stuck.refresh_from_db()
    assert stuck.progressed_at == now  # not again until another grace period has gone
    assert imports.lead_imports_resume_overdue(now=now) == 0
    assert moving.pk not in [args[0] for args in sent]


# --- the report -------------------------------------------------------------------------------


def test_the_page_of_a_finished_import_lists_the_refused_rows_with_their_values(
    signed_in, marketer
):
    lead_import = _run(marketer, ["email", "company"], ["ok@acme.io", "Acme"], ["bad", "Bolt Ltd"])

    page = signed_in.get(_detail(lead_import))

    assert page.status_code == 200
    assert 'id="row-3"' in page.text and "Bolt Ltd" in page.text
    assert "Enter a valid email address." in page.text
    assert reverse("handoff:lead-import-errors", args=[lead_import.pk]) in page.text
    assert 'hx-trigger="every 2s"' not in page.text


def test_the_progress_fragment_polls_while_running_and_stops_when_done(signed_in, marketer):
    lead_import = imports.lead_import_start(
        lead_import=_created(marketer, ["email"], ["a@acme.io"], ["b@acme.io"]),
        mapping={"0": "email"},
    )
    url = reverse("handoff:lead-import-progress", args=[lead_import.pk])

    running = signed_in.get(url)
    assert 'hx-trigger="every 2s"' in running.text and 'value="0"' in running.text

    imports.lead_import_run(import_id=lead_import.pk)
    done = signed_in.get(url)
    assert 'hx-trigger="every 2s"' not in done.text
    assert 'value="2"' in done.text and "Imported" in done.text


def test_the_errors_csv_has_the_original_columns_an_errors_column_and_no_formulas(
    signed_in, marketer
):
    lead_import = _run(
        marketer,
        ["email", "first_name", "employees"],
        ["ok@acme.io", "Ann", "3"],
        ["bad", '=HYPERLINK("http://x")', "-2+3"],
    )

    response = signed_in.get(reverse("handoff:lead-import-errors", args=[lead_import.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="leads-errors.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["email", "first_name", "employees", "errors"]
    assert rows[1][:3] == ["bad", '\'=HYPERLINK("http://x")', "'-2+3"]
    assert "email: Enter a valid email address." in rows[1][3]
    assert "employees: A valid integer is required." in rows[1][3]
    assert len(rows) == 2


def test_the_errors_csv_fixed_and_uploaded_again_imports_its_rows(signed_in, marketer):
    lead_import = _run(marketer, ["email", "company"], ["bad", "=Acme"])
    text = signed_in.get(reverse("handoff:lead-import-errors", args=[lead_import.pk]))
    fixed = text.content.decode("utf-8-sig").replace("bad,", "good@acme.io,")

    again = _run(marketer, *csv.reader(io.StringIO(fixed)))

    assert again.columns == ["email", "company", "errors"]
    assert again.mapping == {"0": "email", "1": "company"}  # the errors column is not a field
    assert again.counts["created"] == 1
    assert Lead.objects.get().company == "=Acme"  # the export's apostrophe is not kept


def test_an_exported_list_imports_back_unchanged(marketer, funnel):
    campaign = Campaign.objects.create(name="Spring")
    lead_create(
        actor=None, email="ann@acme.io", first_name="Ann", phone="+47 1234", company="=Acme",
        employees=12, campaign=campaign, attributes={"plan": "pro", "seats": 3},
        external_id="m-1", country="NO", stage="mql", score=15,
    )  # fmt: skip
    lead_create(actor=None, email="bob@acme.io", source="-web")
    # The export as the leads list writes it (handoff.views.leads, through leadflow.csv).
    exported = "".join(export_rows(Lead.objects.select_related("stage").order_by("pk")))

    lead_import = _run(marketer, *csv.reader(io.StringIO(exported)))

    assert len(lead_import.mapping) == len(lead_import.columns)  # every column mapped
    assert lead_import.counts["unchanged"] == 2, lead_import.errors
    _adds_up(lead_import)


# --- who may import, and whose import -----------------------------------------------------------


@pytest.mark.parametrize("role", IMPORTERS)
def test_the_roles_that_may_ingest_may_import(client, funnel, role):
    client.force_login(UserFactory(role=role))

    assert client.get(reverse("handoff:lead-import")).status_code == 200
    assert _upload(client, _csv(["email"], ["a@acme.io"])).status_code == 302


@pytest.mark.parametrize("role", OTHERS)
def test_other_roles_may_not_import(client, funnel, role):
    client.force_login(UserFactory(role=role))

    assert client.get(reverse("handoff:lead-import")).status_code == 403
    assert _upload(client, _csv(["email"], ["a@acme.io"])).status_code == 403
    assert not LeadImport.objects.exists()


def test_importing_needs_a_login(client, funnel):
    response = client.get(reverse("handoff:lead-import"))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("route", ["detail", "progress", "errors"])
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.MARKETING, 404),
        (Role.INTEGRATION, 404),
        (Role.ADMIN, 200),
        (Role.SALES, 403),
        (Role.INSIDE, 403),
        (Role.MANAGER, 403),
        (None, 302),
    ],
)
def test_another_users_import_is_not_found_but_an_admin_sees_it(
    client, marketer, route, role, expected
):
    lead_import = _run(marketer, ["email"], ["bad"])
    if role is not None:
        client.force_login(UserFactory(role=role))
    url = reverse(f"handoff:lead-import-{route}", args=[lead_import.pk])

    assert client.get(url).status_code == expected


def test_another_users_import_cannot_be_started(client, marketer, funnel):
    lead_import = _created(marketer, ["email"], ["a@acme.io"])
    client.force_login(UserFactory(role=Role.MARKETING))

    response = client.post(_detail(lead_import), _mapping_post(lead_import, {0: "email"}, "run"))

    assert response.status_code == 404
    lead_import.refresh_from_db()
    assert lead_import.status == LeadImport.Status.MAPPING


def test_the_list_shows_ones_own_imports_an_admin_everyones_in_fixed_queries(
    client, marketer, funnel, django_assert_max_num_queries
):
    other = UserFactory(username="imp_other", role=Role.MARKETING)
    for n in range(3):
        _created(marketer, ["email"], [f"m{n}@acme.io"])
    _run(other, ["email"], ["other@acme.io"])
    LeadImport.objects.filter(created_by=other).update(file_name="others.csv")
    admin = UserFactory(role=Role.ADMIN)

    client.force_login(marketer)
    with django_assert_max_num_queries(6):
        mine = client.get(reverse("handoff:lead-import"))
    client.force_login(admin)
    for n in range(10):
        _created(other, ["email"], [f"o{n}@acme.io"])
    with django_assert_max_num_queries(6):
        everyone = client.get(reverse("handoff:lead-import"))

    assert mine.text.count('href="/leads/import/') == 3 and "others.csv" not in mine.text
    assert "others.csv" in everyone.text and "imp_other" in everyone.text
