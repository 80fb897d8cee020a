from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from leadflow.api.serializers import ERRORS
from reporting.selectors.handoffs import handoff_report

from .common import ReportParams, ReportReaders, report_parameters, report_query, report_response
from .serializers import ReportEnvelopeSerializer, ReportOutputSerializer


class HandoffReportParams(ReportParams):
    interval = serializers.ChoiceField(choices=["week"], required=False, help_text="Per week.")


class HandoffReportRowSerializer(ReportOutputSerializer):
    week = serializers.DateField(
        required=False, help_text="Monday of the week offered; only with `interval=week`."
    )
    handoff = serializers.CharField(help_text="The handoff's key.")
    offered_stage = serializers.CharField()
    accepted_stage = serializers.CharField()
    offered = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    expired = serializers.IntegerField(help_text="Decided by the SLA running out.")
    withdrawn = serializers.IntegerField(help_text="Not decided: counted apart, out of the rate.")
    pending = serializers.IntegerField()
    acceptance_rate = serializers.FloatField(
        allow_null=True, help_text="accepted ÷ decided (accepted, rejected, expired)."
    )
    target_rate = serializers.FloatField()
    median_hours_to_decision = serializers.FloatField(allow_null=True)
    p95_hours_to_decision = serializers.FloatField(allow_null=True)
    median_hours_to_first_touch = serializers.FloatField(allow_null=True)
    p95_hours_to_first_touch = serializers.FloatField(allow_null=True)
    sla_met_rate = serializers.FloatField(allow_null=True)


class HandoffReportOutputSerializer(ReportEnvelopeSerializer):
    interval = serializers.ChoiceField(choices=["week"], allow_null=True)
    results = HandoffReportRowSerializer(many=True)


class HandoffReportApi(APIView):
    """Acceptance per handoff against its target, with decision and follow-up times."""

    permission_classes = [ReportReaders]

    @extend_schema(
        parameters=report_parameters(HandoffReportParams),
        responses={200: HandoffReportOutputSerializer, **ERRORS},
    )
    def get(self, request):
        query, extra = report_query(request, HandoffReportParams)
        rows = handoff_report(query=query, interval=extra.get("interval"))
        return report_response(
            HandoffReportOutputSerializer, query, rows, interval=extra.get("interval")
        )
