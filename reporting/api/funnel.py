from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from leadflow.api.serializers import ERRORS
from reporting.selectors.funnel import GROUPS, MODES, funnel_report

from .common import ReportParams, ReportReaders, report_envelope, report_parameters, report_query


class FunnelReportParams(ReportParams):
    mode = serializers.ChoiceField(
        choices=MODES,
        required=False,
        default="period",
        help_text="period: entries in the period; cohort: leads that entered the funnel in it.",
    )
    group_by = serializers.ChoiceField(
        choices=GROUPS, required=False, help_text="One row per campaign, source, ... or week."
    )


class FunnelReportApi(APIView):
    """Entries per stage of the main path, with conversion to the next stage and to won."""

    permission_classes = [ReportReaders]

    @extend_schema(
        parameters=report_parameters(FunnelReportParams), responses={200: dict, **ERRORS}
    )
    def get(self, request):
        query, extra = report_query(request, FunnelReportParams)
        mode, group_by = extra["mode"], extra.get("group_by")
        rows = funnel_report(query=query, mode=mode, group_by=group_by)
        return Response(report_envelope(query, rows, mode=mode, group_by=group_by))
