from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from leadflow.api.serializers import ERRORS
from leadflow.locale import local_tz
from reporting.params import report_day_validate
from reporting.selectors.plan import DEFAULT_TRAILING_WEEKS, plan_report, plan_window

from .common import ReportParams, ReportReaders, report_parameters, report_query, report_response
from .serializers import ReportEnvelopeSerializer, ReportOutputSerializer

MONEY = {"max_digits": 16, "decimal_places": 2, "min_value": Decimal("0.01")}


class PlanParams(ReportParams):
    """The history window is the `trailing_weeks` before `end`, so there is no `start`; the plan
    crosses every team, so there is no `team` or `owner` either."""

    start = None
    team = None
    owner = None
    read_only_messages = {
        "start": gettext_lazy("The plan reads the trailing_weeks before end; give those instead."),
        "team": gettext_lazy("A plan crosses every team; filter by campaign, source or country."),
        "owner": gettext_lazy("A plan crosses every team; filter by campaign, source or country."),
    }

    end = serializers.DateField(
        required=False,
        validators=[report_day_validate],
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
                {"target_rate": [_("Give the handoff whose rate this is.")]}
            )
        if "end" not in attrs:
            moment = attrs.get("as_of") or timezone.now()
            attrs["end"] = timezone.localtime(moment, local_tz()).date()
        attrs["start"], attrs["end"] = plan_window(attrs["end"], attrs["trailing_weeks"])
        return super().validate(attrs)


class PlanStageSerializer(ReportOutputSerializer):
    """What a stage of the main path must see; null where a rate or the deal size is unknown."""

    stage = serializers.CharField(help_text="The stage's key.")
    name = serializers.CharField()
    per_week = serializers.IntegerField(allow_null=True)
    total = serializers.IntegerField(allow_null=True, help_text="Over the planning period.")
    scenario_per_week = serializers.IntegerField(allow_null=True)
    scenario_total = serializers.IntegerField(allow_null=True)


class PlanStepSerializer(ReportOutputSerializer):
    step = serializers.CharField(help_text='"<from>_<to>", the stages\' keys.')
    from_stage = serializers.CharField()
    to_stage = serializers.CharField()
    handoff = serializers.CharField(allow_null=True, help_text="The handoff this step is, if any.")
    entered = serializers.IntegerField(help_text="Entries into from_stage in the window.")
    moved = serializers.IntegerField(help_text="Moves from from_stage to to_stage in the window.")
    rate = serializers.FloatField(allow_null=True, help_text="moved ÷ entered, as observed.")
    plan_rate = serializers.FloatField(allow_null=True, help_text="The rate planned (at most 1).")
    scenario_rate = serializers.FloatField(allow_null=True)


class PlanScenarioSerializer(ReportOutputSerializer):
    handoff = serializers.CharField()
    step = serializers.CharField()
    observed_rate = serializers.FloatField(allow_null=True)
    configured_target_rate = serializers.FloatField()
    target_rate = serializers.FloatField(help_text="The rate the scenario plans the step at.")


class PlanNoteSerializer(ReportOutputSerializer):
    code = serializers.ChoiceField(
        choices=[
            "no_deal_size",
            "no_won_stage",
            "not_enough_history",
            "no_conversions",
            "rate_above_one",
            "target_is_zero",
        ]
    )
    step = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class PlanReportOutputSerializer(ReportEnvelopeSerializer):
    """Amounts here are JSON numbers rounded to the cent, not decimal strings."""

    trailing_weeks = serializers.IntegerField()
    revenue_goal = serializers.FloatField()
    weeks = serializers.IntegerField()
    deal_size = serializers.FloatField(allow_null=True)
    deal_size_source = serializers.ChoiceField(
        choices=["given", "trailing_average"], allow_null=True
    )
    observed_deal_size = serializers.FloatField(allow_null=True)
    won_deals = serializers.IntegerField()
    won_amount = serializers.FloatField(allow_null=True)
    steps = PlanStepSerializer(many=True)
    scenario = PlanScenarioSerializer(allow_null=True, help_text="Only with `handoff`.")
    notes = PlanNoteSerializer(many=True, help_text="Why a figure is missing or capped.")
    results = PlanStageSerializer(many=True)


class PlanReportApi(APIView):
    """The reverse waterfall: what each stage must see per week to reach a revenue goal, and
    how that changes when a handoff's rate is planned at a target."""

    permission_classes = [ReportReaders]

    @extend_schema(
        parameters=report_parameters(PlanParams),
        responses={200: PlanReportOutputSerializer, **ERRORS},
    )
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
        return report_response(
            PlanReportOutputSerializer, query, rows, trailing_weeks=extra["trailing_weeks"], **data
        )
