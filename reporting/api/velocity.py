from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from leadflow.api.serializers import ERRORS
from reporting.selectors.velocity import velocity_report

from .common import ReportParams, ReportReaders, report_parameters, report_query, report_response
from .serializers import ReportEnvelopeSerializer, ReportOutputSerializer


class VelocityStageSerializer(ReportOutputSerializer):
    stage = serializers.CharField(help_text="The stage's key.")
    entered = serializers.IntegerField(help_text="Stays that began in the period.")
    left = serializers.IntegerField()
    still_in_stage = serializers.IntegerField(help_text="Open stays, left out of the times.")
    median_hours = serializers.FloatField(allow_null=True)
    p95_hours = serializers.FloatField(allow_null=True)


# Each delay's median and 95th percentile, in hours; null when none is known.
class VelocityDelaysSerializer(ReportOutputSerializer):
    system_median_hours = serializers.FloatField(allow_null=True, help_text="Offered → routed.")
    system_p95_hours = serializers.FloatField(allow_null=True)
    decision_median_hours = serializers.FloatField(
        allow_null=True, help_text="Routed → accepted or rejected by a person."
    )
    decision_p95_hours = serializers.FloatField(allow_null=True)
    follow_up_median_hours = serializers.FloatField(
        allow_null=True, help_text="Accepted → first touch."
    )
    follow_up_p95_hours = serializers.FloatField(allow_null=True)


class VelocityTeamSerializer(VelocityDelaysSerializer):
    team = serializers.CharField(allow_null=True, help_text="Null: still in a queue.")
    offers = serializers.IntegerField()


class VelocityRepSerializer(VelocityDelaysSerializer):
    rep = serializers.CharField(allow_null=True, help_text="Username; null: still in a queue.")
    offers = serializers.IntegerField()


class VelocityHandoffSerializer(VelocityDelaysSerializer):
    handoff = serializers.CharField(help_text="The handoff's key.")
    offers = serializers.IntegerField()
    teams = VelocityTeamSerializer(many=True)
    reps = VelocityRepSerializer(many=True)


class VelocityRecycledSerializer(ReportOutputSerializer):
    recycled = serializers.IntegerField(help_text="Leads recycled in the period.")
    re_entered = serializers.IntegerField()
    accepted_again = serializers.IntegerField()


class VelocityResultsSerializer(ReportOutputSerializer):
    stages = VelocityStageSerializer(many=True)
    handoffs = VelocityHandoffSerializer(many=True)
    recycled = VelocityRecycledSerializer()


class VelocityReportOutputSerializer(ReportEnvelopeSerializer):
    results = VelocityResultsSerializer()


class VelocityReportApi(APIView):
    """Time in each stage, each side's delay in every handoff, and recycled leads coming back."""

    permission_classes = [ReportReaders]

    @extend_schema(
        parameters=report_parameters(ReportParams),
        responses={200: VelocityReportOutputSerializer, **ERRORS},
    )
    def get(self, request):
        query, _ = report_query(request)
        return report_response(VelocityReportOutputSerializer, query, velocity_report(query=query))
