from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from leadflow.api.serializers import ERRORS
from reporting.selectors.qualifiers import qualifiers_report

from .common import ReportParams, ReportReaders, report_envelope, report_parameters, report_query


class QualifiersReportApi(APIView):
    """Each inside qualifier's MQLs: accepted by sales, reached SQL, and the revenue won."""

    permission_classes = [ReportReaders]

    @extend_schema(parameters=report_parameters(ReportParams), responses={200: dict, **ERRORS})
    def get(self, request):
        query, _ = report_query(request)
        return Response(report_envelope(query, qualifiers_report(query=query)))
