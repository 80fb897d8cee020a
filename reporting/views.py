"""The weekly report in the browser: the list of snapshots, one report with its charts, its CSV,
and emailing it to the managers again.

For the people who steer: staff, and the admin, marketing and manager roles; managers and admins
may email a report from its page.
"""

from __future__ import annotations

import base64
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_GET, require_POST

from funnel.models import Role
from reporting.models import WeeklyReport
from reporting.weekly import (
    charts,
    weekly_report_context,
    weekly_report_csv,
    weekly_report_email,
    weekly_report_recipients,
)
from reporting.weeks import week_label

PAGE_READERS = (Role.ADMIN, Role.MARKETING, Role.MANAGER)
# Who may send a report to the managers again from its page: the managers, and admins.
EMAILERS = (Role.ADMIN, Role.MANAGER)
REPORTS_PER_PAGE = 26
# Plain (English) strings, translated as they are shown.
NO_RECIPIENTS = gettext_noop("Nobody to email: no manager has an email address.")
SEND_FAILED = gettext_noop("The email could not be sent ({error}); nothing was marked as emailed.")


def may_read_reports(user) -> bool:
    return user.is_authenticated and (user.is_staff or user.effective_role in PAGE_READERS)


def may_email_reports(user) -> bool:
    return user.is_authenticated and user.effective_role in EMAILERS


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
    context = {
        **weekly_report_context(report.data, images),
        "report": report,
        "may_email": may_email_reports(request.user),
    }
    return render(request, "reporting/weekly_detail.html", context)


@require_POST
@report_reader_required
def weekly_email(request: HttpRequest, pk: int) -> HttpResponse:
    """Email the report to the managers now, even if it was emailed before; back to its page
    with how many emails went out."""
    if not may_email_reports(request.user):
        raise PermissionDenied
    report = get_object_or_404(WeeklyReport, pk=pk)
    if not weekly_report_recipients():
        messages.error(request, _(NO_RECIPIENTS))
        return redirect("reporting:weekly-detail", pk=report.pk)
    try:
        sent = weekly_report_email(report=report, force=True)
    except OSError as exc:  # the mail server refused or could not be reached (smtplib's too)
        messages.error(request, _(SEND_FAILED).format(error=exc))
    else:
        messages.success(
            request,
            ngettext(
                "Emailed the weekly report %(week)s to %(count)s manager.",
                "Emailed the weekly report %(week)s to %(count)s managers.",
                sent,
            )
            % {"week": week_label(report.week), "count": sent},
        )
    return redirect("reporting:weekly-detail", pk=report.pk)


@require_GET
@report_reader_required
def weekly_csv(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(WeeklyReport, pk=pk)
    response = HttpResponse(weekly_report_csv(report.data), content_type="text/csv; charset=utf-8")
    filename = f"leadflow-weekly-{week_label(report.week)}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
