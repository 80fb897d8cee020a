from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from leadflow.api.serializers import ERRORS
from reporting.params import local_tz
from reporting.selectors.plan import DEFAULT_TRAILING_WEEKS, plan_report, plan_window

from .common import ReportParams, ReportReaders, report_envelope, report_parameters, report_query

MONEY = {"max_digits": 16, "decimal_places": 2, "min_value": Decimal("0.01")}


class PlanParams(ReportParams):
    """The history window is the `trailing_weeks` before `end`, so there is no `start`; the plan
    crosses every team, so there is no `team` or `owner` either."""

    start = None
    team = None
    owner = None
    read_only_messages = {
        "start": "The plan reads the trailing_weeks before end; give those instead.",
        "team": "A plan crosses every team; filter by campaign, source or country.",
        "owner": "A plan crosses every team; filter by campaign, source or country.",
    }

    end = serializers.DateField(
        required=False,
        help_text="The history window ends here (exclusive); default: the day of `as_of` "
        "(or today).",
    )
    revenue_goal = serializers.DecimalField(**MONEY, help_text="Revenue to win in the period.")
    weeks = serializers.IntegerField(
        min_value=1, max_value=520, help_text="The planning period, in weeks."
    )
    deal_size = serializers.DecimalField(
        **MONEY,
        required=False,
        help_text="Average deal size; default: the average won amount in the window.",
    )
    trailing_weeks = serializers.IntegerField(
        required=False,
        default=DEFAULT_TRAILING_WEEKS,
        min_value=1,
        max_value=104,
        help_text=f"Weeks of history the rates come from (default {DEFAULT_TRAILING_WEEKS}).",
    )
    handoff = serializers.SlugField(
        required=False, help_text="A handoff (key) whose step the scenario plans at a target rate."
    )
    target_rate = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=Decimal(1),
        required=False,
        help_text="The scenario's rate for `handoff`; default: the handoff's target rate.",
    )

    def validate(self, attrs):
        if "target_rate" in attrs and "handoff" not in attrs:
            raise serializers.ValidationError(
                {"target_rate": ["Give the handoff whose rate this is."]}
            )
        if "end" not in attrs:
            moment = attrs.get("as_of") or timezone.now()
            attrs["end"] = timezone.localtime(moment, local_tz()).date()
        attrs["start"], attrs["end"] = plan_window(attrs["end"], attrs["trailing_weeks"])
        return super().validate(attrs)


class PlanReportApi(APIView):
    """The reverse waterfall: what each stage must see per week to reach a revenue goal, and
    how that changes when a handoff's rate is planned at a target."""

    permission_classes = [ReportReaders]

    @extend_schema(parameters=report_parameters(PlanParams), responses={200: dict, **ERRORS})
    def get(self, request):
        query, extra = report_query(request, PlanParams)
        data = plan_report(
            query=query,
            revenue_goal=extra["revenue_goal"],
            weeks=extra["weeks"],
            deal_size=extra.get("deal_size"),
            handoff=extra.get("handoff"),
            target_rate=extra.get("target_rate"),
        )
        rows = data.pop("results")
        return Response(
            report_envelope(query, rows, trailing_weeks=extra["trailing_weeks"], **data)
        )
