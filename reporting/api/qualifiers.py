from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from leadflow.api.serializers import ERRORS
from reporting.selectors.qualifiers import qualifiers_report

from .common import ReportParams, ReportReaders, report_parameters, report_query, report_response
from .serializers import MoneyField, ReportEnvelopeSerializer, ReportOutputSerializer


class QualifiersReportRowSerializer(ReportOutputSerializer):
    qualifier = serializers.CharField(
        allow_null=True, help_text="Username; null for moves made by no user."
    )
    team = serializers.CharField(allow_null=True, help_text="The qualifier's team (key).")
    mqls = serializers.IntegerField(help_text="Qualifying moves in the period.")
    decided = serializers.IntegerField(help_text="Its offers accepted, rejected or expired.")
    accepted = serializers.IntegerField()
    acceptance_rate = serializers.FloatField(allow_null=True, help_text="accepted ÷ decided.")
    reached_sql = serializers.IntegerField()
    revenue_won = MoneyField()


class QualifiersReportOutputSerializer(ReportEnvelopeSerializer):
    results = QualifiersReportRowSerializer(many=True)


class QualifiersReportApi(APIView):
    """Each inside qualifier's MQLs: accepted by sales, reached SQL, and the revenue won."""

    permission_classes = [ReportReaders]

    @extend_schema(
        parameters=report_parameters(ReportParams),
        responses={200: QualifiersReportOutputSerializer, **ERRORS},
    )
    def get(self, request):
        query, _ = report_query(request)
        return report_response(
            QualifiersReportOutputSerializer, query, qualifiers_report(query=query)
        )
