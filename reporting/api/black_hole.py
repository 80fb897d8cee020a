import datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from leadflow.api.serializers import ERRORS
from leadflow.locale import local_tz
from reporting.params import report_day_validate
from reporting.selectors.black_hole import black_hole_report
from reporting.selectors.common import DEFAULT_LIMIT, MAX_LIMIT

from .common import (
    MAX_SPAN,
    ReportParams,
    ReportReaders,
    report_parameters,
    report_query,
    report_response,
)
from .serializers import ReportEnvelopeSerializer, ReportLeadSerializer, ReportOutputSerializer


class BlackHoleParams(ReportParams):
    """A snapshot at `as_of` (or now); the period, optional here, selects by acceptance date."""

    start = serializers.DateField(
        required=False,
        validators=[report_day_validate],
        help_text="First day of acceptance, local time; default: three years before `end`.",
    )
    end = serializers.DateField(
        required=False,
        validators=[report_day_validate],
        help_text="Day after the last day of acceptance (exclusive); default: the day after "
        "`as_of` (or today).",
    )
    team = serializers.SlugField(required=False, help_text="The owner's team.")
    owner = serializers.CharField(
        required=False, max_length=150, help_text="The rep who accepted the lead (username)."
    )
    handoff = serializers.SlugField(required=False, help_text="Only this handoff (its key).")
    days = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=3650,
        help_text="Accepted more than this many days ago, instead of past the agreement's "
        "working-time limit.",
    )
    limit = serializers.IntegerField(
        required=False,
        default=DEFAULT_LIMIT,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text=f"Leads listed, oldest first (default {DEFAULT_LIMIT}); `total` counts all.",
    )

    def validate(self, attrs):
        if "end" not in attrs:
            moment = attrs.get("as_of") or timezone.now()
            attrs["end"] = timezone.localtime(moment, local_tz()).date() + datetime.timedelta(
                days=1
            )
        attrs.setdefault("start", attrs["end"] - MAX_SPAN)
        return super().validate(attrs)


class BlackHoleRowSerializer(ReportLeadSerializer):
    """A lead accepted and left without a disposition past its working-time limit (or `days`)."""

    owner = serializers.CharField(
        allow_null=True, help_text="Who accepted the lead (username); null: no one."
    )
    stage = serializers.CharField(help_text="The handoff's accepted stage, where the lead sits.")
    handoff = serializers.CharField()
    accepted_at = serializers.DateTimeField()
    work_due_at = serializers.DateTimeField(
        allow_null=True, help_text="The working-time limit; null without an agreement."
    )
    age_days = serializers.FloatField(help_text="Days since accepted, at the report's moment.")
    last_touch_at = serializers.DateTimeField(allow_null=True)
    touches = serializers.IntegerField()


class BlackHoleOwnerSerializer(ReportOutputSerializer):
    owner = serializers.CharField(allow_null=True)
    count = serializers.IntegerField()
    oldest_age_days = serializers.FloatField(allow_null=True)


class BlackHoleReportOutputSerializer(ReportEnvelopeSerializer):
    days = serializers.IntegerField(allow_null=True)
    limit = serializers.IntegerField()
    total = serializers.IntegerField(help_text="All the black holes, listed or not.")
    by_owner = BlackHoleOwnerSerializer(many=True)
    results = BlackHoleRowSerializer(many=True, help_text="Oldest acceptance first.")


class BlackHoleReportApi(APIView):
    """Accepted leads left without a disposition past the agreed working time (or `days`)."""

    permission_classes = [ReportReaders]

    @extend_schema(
        parameters=report_parameters(BlackHoleParams),
        responses={200: BlackHoleReportOutputSerializer, **ERRORS},
    )
    def get(self, request):
        query, extra = report_query(request, BlackHoleParams)
        data = black_hole_report(
            query=query, days=extra.get("days"), limit=extra["limit"], handoff=extra.get("handoff")
        )
        rows = data.pop("results")
        return report_response(
            BlackHoleReportOutputSerializer,
            query,
            rows,
            days=extra.get("days"),
            limit=extra["limit"],
            **data,
        )
