"""Drift alerts: each watched ratio that departed from its target or trend in a week."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers

from leadflow.api.serializers import ERRORS
from reporting.alerts import ratio_alert_data, ratio_alert_list
from reporting.models import RatioAlert
from reporting.weeks import WeekError, week_parse

from .common import ReportReaders


class RatioAlertOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    watch = serializers.IntegerField()
    ratio = serializers.CharField(help_text="The watch's name.")
    kind = serializers.ChoiceField(choices=["acceptance", "conversion"])
    handoff = serializers.CharField(allow_null=True)
    from_stage = serializers.CharField(allow_null=True)
    to_stage = serializers.CharField(allow_null=True)
    week = serializers.DateField(help_text="Monday of the week.")
    iso_week = serializers.CharField()
    value = serializers.FloatField()
    target = serializers.FloatField(allow_null=True)
    baseline = serializers.FloatField(allow_null=True, help_text="Mean of the 8 weeks before.")
    volume = serializers.IntegerField(help_text="Decisions (acceptance) or entries (conversion).")
    threshold = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField(), help_text='"target", "trend".')
    created_at = serializers.DateTimeField()

    def to_representation(self, alert: RatioAlert):
        return {**ratio_alert_data(alert), "created_at": alert.created_at.isoformat()}


class RatioAlertListApi(generics.ListAPIView):
    """Alerts raised, newest week first; `week=2026-W47` for one week."""

    serializer_class = RatioAlertOutputSerializer
    permission_classes = [ReportReaders]
    filter_backends = []

    def get_queryset(self):
        week = self.request.query_params.get("week")
        if not week:
            return ratio_alert_list()
        try:
            return ratio_alert_list(week=week_parse(week))
        except WeekError as exc:
            raise serializers.ValidationError({"week": [str(exc)]}) from exc

    @extend_schema(
        parameters=[OpenApiParameter("week", str, description='ISO week, e.g. "2026-W47".')],
        responses={200: RatioAlertOutputSerializer(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
