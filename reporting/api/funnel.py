from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from leadflow.api.serializers import ERRORS
from reporting.selectors.funnel import GROUPS, MODES, funnel_report

from .common import ReportParams, ReportReaders, report_parameters, report_query, report_response
from .serializers import (
    MoneyField,
    ReportEnvelopeSerializer,
    ReportGroupField,
    ReportOutputSerializer,
)


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


class FunnelReportStageSerializer(ReportOutputSerializer):
    stage = serializers.CharField(help_text="The stage's key.")
    entered = serializers.IntegerField(
        help_text="Entries into the stage (period), or cohort leads that entered it (cohort)."
    )
    to_next = serializers.FloatField(
        allow_null=True,
        help_text="Share that went on to the next stage; null for the last stage or when "
        "nothing entered.",
    )
    to_won = serializers.FloatField(
        allow_null=True, help_text="Share that was won; null when nothing entered."
    )


class FunnelReportRowSerializer(ReportOutputSerializer):
    group = ReportGroupField(
        allow_null=True,
        help_text="The group's key (a campaign's id, a source, team, owner or qualifier, a "
        "week's Monday); null without `group_by`, or for leads outside any group.",
    )
    stages = FunnelReportStageSerializer(many=True, help_text="The main path, in order.")
    revenue_won = MoneyField()


class FunnelReportOutputSerializer(ReportEnvelopeSerializer):
    mode = serializers.ChoiceField(choices=MODES)
    group_by = serializers.ChoiceField(choices=GROUPS, allow_null=True)
    results = FunnelReportRowSerializer(many=True)


class FunnelReportApi(APIView):
    """Entries per stage of the main path, with conversion to the next stage and to won."""

    permission_classes = [ReportReaders]

    @extend_schema(
        parameters=report_parameters(FunnelReportParams),
        responses={200: FunnelReportOutputSerializer, **ERRORS},
    )
    def get(self, request):
        query, extra = report_query(request, FunnelReportParams)
        mode, group_by = extra["mode"], extra.get("group_by")
        rows = funnel_report(query=query, mode=mode, group_by=group_by)
        return report_response(
            FunnelReportOutputSerializer, query, rows, mode=mode, group_by=group_by
        )
