from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from leadflow.api.serializers import ERRORS
from reporting.selectors.velocity import velocity_report

from .common import ReportParams, ReportReaders, report_envelope, report_parameters, report_query


class VelocityReportApi(APIView):
    """Time in each stage, each side's delay in every handoff, and recycled leads coming back."""

    permission_classes = [ReportReaders]

    @extend_schema(parameters=report_parameters(ReportParams), responses={200: dict, **ERRORS})
    def get(self, request):
        query, _ = report_query(request)
        return Response(report_envelope(query, velocity_report(query=query)))
