from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from funnel.models import ReasonPurpose
from leadflow.api.serializers import ERRORS
from reporting.selectors.black_hole import DEFAULT_LIMIT, MAX_LIMIT
from reporting.selectors.reasons import hidden_gems_report, reasons_report

from .common import ReportParams, ReportReaders, report_envelope, report_parameters, report_query


class ReasonsParams(ReportParams):
    team = serializers.SlugField(required=False, help_text="The team of whoever gave the reason.")
    owner = serializers.CharField(
        required=False, max_length=150, help_text="Whoever gave the reason (username)."
    )
    purpose = serializers.ChoiceField(
        choices=ReasonPurpose.choices, required=False, help_text="Only reasons of this purpose."
    )


class ReasonsReportApi(APIView):
    """Reject, disqualify, recycle and lost reasons given in the period, by count and share:
    overall and per handoff, team, source and campaign."""

    permission_classes = [ReportReaders]

    @extend_schema(parameters=report_parameters(ReasonsParams), responses={200: dict, **ERRORS})
    def get(self, request):
        query, extra = report_query(request, ReasonsParams)
        breakdowns = reasons_report(query=query, purpose=extra.get("purpose"))
        return Response(report_envelope(query, breakdowns, purpose=extra.get("purpose")))


class HiddenGemsParams(ReportParams):
    team = serializers.SlugField(required=False, help_text="The team that rejected the lead.")
    owner = serializers.CharField(
        required=False, max_length=150, help_text="Who rejected the lead (username)."
    )
    limit = serializers.IntegerField(
        required=False,
        default=DEFAULT_LIMIT,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text=f"Leads listed (default {DEFAULT_LIMIT}); `total` counts all.",
    )


class HiddenGemsReportApi(APIView):
    """Leads rejected or disqualified in the period that showed marketing activity afterwards."""

    permission_classes = [ReportReaders]

    @extend_schema(parameters=report_parameters(HiddenGemsParams), responses={200: dict, **ERRORS})
    def get(self, request):
        query, extra = report_query(request, HiddenGemsParams)
        data = hidden_gems_report(query=query, limit=extra["limit"])
        rows = data.pop("results")
        return Response(report_envelope(query, rows, limit=extra["limit"], **data))
