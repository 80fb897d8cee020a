from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from funnel.models import ReasonPurpose
from leadflow.api.serializers import ERRORS
from reporting.selectors.common import DEFAULT_LIMIT, MAX_LIMIT
from reporting.selectors.reasons import hidden_gems_report, reasons_report

from .common import ReportParams, ReportReaders, report_parameters, report_query, report_response
from .serializers import ReportEnvelopeSerializer, ReportLeadSerializer, ReportOutputSerializer


class ReasonsParams(ReportParams):
    team = serializers.SlugField(required=False, help_text="The team of whoever gave the reason.")
    owner = serializers.CharField(
        required=False, max_length=150, help_text="Whoever gave the reason (username)."
    )
    purpose = serializers.ChoiceField(
        choices=ReasonPurpose.choices, required=False, help_text="Only reasons of this purpose."
    )


class ReasonsReportRowSerializer(ReportOutputSerializer):
    purpose = serializers.ChoiceField(choices=ReasonPurpose.choices)
    reason = serializers.CharField(help_text="The reason's code.")
    label = serializers.CharField()
    group = serializers.CharField(
        allow_null=True,
        help_text="The handoff's key, the team's key or the source; null overall, or for moves "
        "with none.",
    )
    count = serializers.IntegerField()
    share = serializers.FloatField(
        help_text="The reason's part of all reasons of its purpose in its group."
    )


class ReasonsReportCampaignRowSerializer(ReasonsReportRowSerializer):
    group = serializers.IntegerField(allow_null=True, help_text="The campaign's id.")
    group_name = serializers.CharField(allow_null=True, help_text="The campaign's name.")


class ReasonsReportResultsSerializer(ReportOutputSerializer):
    by_reason = ReasonsReportRowSerializer(many=True)
    by_handoff = ReasonsReportRowSerializer(many=True)
    by_team = ReasonsReportRowSerializer(many=True)
    by_source = ReasonsReportRowSerializer(many=True)
    by_campaign = ReasonsReportCampaignRowSerializer(many=True)


class ReasonsReportOutputSerializer(ReportEnvelopeSerializer):
    purpose = serializers.ChoiceField(choices=ReasonPurpose.choices, allow_null=True)
    results = ReasonsReportResultsSerializer()


class ReasonsReportApi(APIView):
    """Reject, disqualify, recycle and lost reasons given in the period, by count and share:
    overall and per handoff, team, source and campaign."""

    permission_classes = [ReportReaders]

    @extend_schema(
        parameters=report_parameters(ReasonsParams),
        responses={200: ReasonsReportOutputSerializer, **ERRORS},
    )
    def get(self, request):
        query, extra = report_query(request, ReasonsParams)
        breakdowns = reasons_report(query=query, purpose=extra.get("purpose"))
        return report_response(
            ReasonsReportOutputSerializer, query, breakdowns, purpose=extra.get("purpose")
        )


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


class HiddenGemSerializer(ReportLeadSerializer):
    """A lead rejected or disqualified in the period that showed marketing activity afterwards."""

    stage = serializers.CharField(
        allow_null=True, help_text="The lead's stage at the report's moment."
    )
    purpose = serializers.ChoiceField(choices=ReasonPurpose.choices)
    reason = serializers.CharField(help_text="The reason's code.")
    label = serializers.CharField()
    handoff = serializers.CharField(allow_null=True)
    rejected_at = serializers.DateTimeField()
    rejected_by = serializers.CharField(allow_null=True)
    team = serializers.CharField(allow_null=True, help_text="The team that rejected the lead.")
    activity_since = serializers.IntegerField(allow_null=True)
    points_since = serializers.IntegerField()
    last_activity_at = serializers.DateTimeField(allow_null=True)


class HiddenGemsReportOutputSerializer(ReportEnvelopeSerializer):
    limit = serializers.IntegerField()
    total = serializers.IntegerField(help_text="All the gems, listed or not.")
    results = HiddenGemSerializer(many=True)


class HiddenGemsReportApi(APIView):
    """Leads rejected or disqualified in the period that showed marketing activity afterwards."""

    permission_classes = [ReportReaders]

    @extend_schema(
        parameters=report_parameters(HiddenGemsParams),
        responses={200: HiddenGemsReportOutputSerializer, **ERRORS},
    )
    def get(self, request):
        query, extra = report_query(request, HiddenGemsParams)
        data = hidden_gems_report(query=query, limit=extra["limit"])
        rows = data.pop("results")
        return report_response(
            HiddenGemsReportOutputSerializer, query, rows, limit=extra["limit"], **data
        )
