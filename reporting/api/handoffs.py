from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from leadflow.api.serializers import ERRORS
from reporting.selectors.handoffs import handoff_report

from .common import ReportParams, ReportReaders, report_envelope, report_parameters, report_query


class HandoffReportParams(ReportParams):
    interval = serializers.ChoiceField(choices=["week"], required=False, help_text="Per week.")


class HandoffReportApi(APIView):
    """Acceptance per handoff against its target, with decision and follow-up times."""

    permission_classes = [ReportReaders]

    @extend_schema(
        parameters=report_parameters(HandoffReportParams), responses={200: dict, **ERRORS}
    )
    def get(self, request):
        query, extra = report_query(request, HandoffReportParams)
        rows = handoff_report(query=query, interval=extra.get("interval"))
        return Response(report_envelope(query, rows, interval=extra.get("interval")))
