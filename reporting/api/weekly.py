"""Weekly report snapshots: the list (paginated, without their contents) and one with its data."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from leadflow.api.serializers import ERRORS
from reporting.models import WeeklyReport
from reporting.weeks import week_label

from .common import ReportReaders


class WeeklyReportOutputSerializer(serializers.ModelSerializer):
    iso_week = serializers.SerializerMethodField(help_text='ISO week, e.g. "2026-W47".')
    html_url = serializers.SerializerMethodField(help_text="The report in the browser.")
    csv_url = serializers.SerializerMethodField()

    class Meta:
        model = WeeklyReport
        fields = ["id", "week", "iso_week", "built_at", "emailed_at", "html_url", "csv_url"]

    def get_iso_week(self, report) -> str:
        return week_label(report.week)

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_html_url(self, report) -> str:
        return self._absolute(reverse("reporting:weekly-detail", args=[report.pk]))

    def get_csv_url(self, report) -> str:
        return self._absolute(reverse("reporting:weekly-csv", args=[report.pk]))


class WeeklyReportDetailSerializer(WeeklyReportOutputSerializer):
    data = serializers.JSONField(help_text="The snapshot, as built.")

    class Meta(WeeklyReportOutputSerializer.Meta):
        fields = [*WeeklyReportOutputSerializer.Meta.fields, "data"]


class WeeklyReportListApi(generics.ListAPIView):
    """Weekly feedback reports, newest first; each a snapshot of its week."""

    serializer_class = WeeklyReportOutputSerializer
    permission_classes = [ReportReaders]
    filter_backends = []

    def get_queryset(self):
        return WeeklyReport.objects.defer("data", "html").order_by("-week")

    @extend_schema(responses={200: WeeklyReportOutputSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class WeeklyReportDetailApi(APIView):
    """One weekly report with its data: handoffs, wins and losses, sections, alerts, campaigns."""

    permission_classes = [ReportReaders]

    @extend_schema(responses={200: WeeklyReportDetailSerializer, **ERRORS})
    def get(self, request, pk: int):
        report = get_object_or_404(WeeklyReport.objects.defer("html"), pk=pk)
        return Response(WeeklyReportDetailSerializer(report, context={"request": request}).data)
