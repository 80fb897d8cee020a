"""In a real browser, with a real Celery worker: a CSV file with two bad rows is uploaded, its
columns mapped, previewed and imported; the page shows the two refused rows and why, and the
rest are leads. A filtered list exported from /leads/export.csv imports back as unchanged."""

import csv
import io

import pytest

from funnel.models import Role
from funnel.tests.factories import UserFactory
from handoff.models import Lead, LeadImport
from handoff.services.leads import lead_create
from handoff.tests.test_worker_e2e import worker  # noqa: F401  (a worker process, its own queue)
from leadflow.testing.browser import PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WORKER_SECONDS = 60_000  # the worker starts, then polls the broker


def _file(*rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _upload(page, name: str, data: bytes) -> None:
    page.goto("/leads/import/")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_role("button", name="Upload and map columns").click()
    page.get_by_role("heading", name="1. Map the columns").wait_for()


def _script_errors(page) -> list[str]:
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@pytest.fixture
def importer(funnel):
    return UserFactory(username="import_marketer", role=Role.MARKETING)


def test_a_file_with_two_bad_rows_shows_them_and_imports_the_rest(
    browser_login,
    importer,
    worker,  # noqa: F811
):
    page = browser_login(importer)
    errors = _script_errors(page)
    data = _file(
        ["email", "First name", "Org", "employees"],
        ["ann@acme.io", "Ann", "Acme", "10"],
        ["not-an-email", "Bob", "Bolt", "5"],
        ["cy@acme.io", "Cy", "Cogs", "many"],
        ["dee@acme.io", "Dee", "Dyn", ""],
        ["eve@acme.io", "Eve", "Echo", "3"],
    )
    _upload(page, "fair.csv", data)

    # The named columns are mapped already; "Org" is mapped by hand and the preview follows
    assert page.get_by_label("First name").input_value() == "first_name"
    assert page.get_by_label("Org").input_value() == ""
    page.get_by_label("Org").select_option("company")
    preview = page.locator("table.preview")
    preview.get_by_text("Acme").first.wait_for()
    assert "2 of them would be refused." in page.inner_text("#mapping")
    assert Lead.objects.count() == 0  # the preview writes nothing

    # Run: the worker imports in the background while the progress bar polls
    page.get_by_role("button", name="Import 5 rows").click()
    page.get_by_role("heading", name="Imported").wait_for(timeout=WORKER_SECONDS)

    counts = dict(
        zip(
            page.locator("dl.import-counts dt").all_inner_texts(),
            page.locator("dl.import-counts dd").all_inner_texts(),
            strict=True,
        )
    )
    assert counts["Created"] == "3" and counts["Refused"] == "2"
    refused = page.locator("table.refused-rows tbody tr")
    assert refused.count() == 2
    assert "Enter a valid email address." in page.inner_text("#row-3")
    assert "A valid integer is required." in page.inner_text("#row-4")
    assert "Cogs" in page.inner_text("#row-4")
    assert sorted(Lead.objects.values_list("email", flat=True)) == [
        "ann@acme.io",
        "dee@acme.io",
        "eve@acme.io",
    ]
    assert Lead.objects.get(email="ann@acme.io").company == "Acme"
    lead_import = LeadImport.objects.get()
    assert sum(lead_import.counts.values()) == lead_import.total_rows == 5
    assert errors == []


def test_an_exported_filtered_list_imports_back_unchanged(
    browser_login,
    importer,
    worker,  # noqa: F811
):
    lead_create(
        actor=None, email="ann@acme.io", first_name="Ann", phone="+47 1234", company="=Acme",
        source="fair", attributes={"booth": 12}, external_id="fair-1",
    )  # fmt: skip
    lead_create(actor=None, email="bob@acme.io", company="Bolt", source="fair", employees=40)
    lead_create(actor=None, email="cy@acme.io", company="Cogs", source="web")
    before = dict(Lead.objects.values_list("pk", "updated_at"))
    page = browser_login(importer, viewport=PHONE)

    # The leads list's own export of a filtered list
    exported = page.request.get("/leads/export.csv?source=fair")
    assert exported.ok
    data = exported.body()
    assert data.count(b"\n") == 3  # the header and the two leads from the fair

    _upload(page, "leads-fair.csv", data)
    selects = page.locator("table.mapping select")
    assert selects.count() > 0
    assert selects.evaluate_all("all => all.filter(s => !s.value).length") == 0
    page.get_by_role("button", name="Import 2 rows").click()
    page.get_by_role("heading", name="Imported").wait_for(timeout=WORKER_SECONDS)

    counts = dict(
        zip(
            page.locator("dl.import-counts dt").all_inner_texts(),
            page.locator("dl.import-counts dd").all_inner_texts(),
            strict=True,
        )
    )
    assert counts["Unchanged"] == "2"
    assert counts["Created"] == counts["Updated"] == counts["Refused"] == "0"
    assert dict(Lead.objects.values_list("pk", "updated_at")) == before
