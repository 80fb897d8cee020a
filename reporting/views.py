"""The weekly report in the browser: the list of snapshots, one report with its charts, its CSV.

For the people who steer: staff, and the admin, marketing and manager roles.
"""

from __future__ import annotations

import base64
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from funnel.models import Role
from reporting.models import WeeklyReport
from reporting.weekly import charts, weekly_report_context, weekly_report_csv
from reporting.weeks import week_label

PAGE_READERS = (Role.ADMIN, Role.MARKETING, Role.MANAGER)
REPORTS_PER_PAGE = 26


def may_read_reports(user) -> bool:
    return user.is_authenticated and (user.is_staff or user.effective_role in PAGE_READERS)


def report_reader_required(view):
    """Signed in (else to the login page), and staff or a report-reading role (else 403)."""

    @wraps(view)
    @login_required
    def guarded(request: HttpRequest, *args, **kwargs):
        if not may_read_reports(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return guarded


@require_GET
@report_reader_required
def weekly_list(request: HttpRequest) -> HttpResponse:
    reports = WeeklyReport.objects.defer("data", "html").order_by("-week")
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"report": r, "label": week_label(r.week)} for r in page]
    return render(request, "reporting/weekly_list.html", {"page": page, "rows": rows})


@require_GET
@report_reader_required
def weekly_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The stored snapshot, charts inline (data: URIs), so the page saves or prints whole."""
    report = get_object_or_404(WeeklyReport, pk=pk)
    images = {
        name: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        for name, png in charts.weekly_charts(report.data).items()
    }
    context = {**weekly_report_context(report.data, images), "report": report}
    return render(request, "reporting/weekly_detail.html", context)


@require_GET
@report_reader_required
def weekly_csv(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(WeeklyReport, pk=pk)
    response = HttpResponse(weekly_report_csv(report.data), content_type="text/csv; charset=utf-8")
    filename = f"leadflow-weekly-{week_label(report.week)}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
