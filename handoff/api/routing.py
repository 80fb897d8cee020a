"""Routing simulation: where an offer would go now, and why. Nothing is assigned."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from funnel.models import Campaign, HandoffPair, Role
from handoff.models import Lead
from handoff.selectors import lead_visible
from handoff.services.routing import routing_decide, routing_explain
from leadflow.api.permissions import roles_may
from leadflow.api.serializers import ERRORS, StrictSerializer

DEFAULT_HANDOFF = "mql_sal"
LEAD_OR_FIELDS = _(
    "Give either a lead id (`lead`) or the fields of a lead (`lead_fields`), not both."
)
UNKNOWN_HANDOFF = _("Unknown handoff '{key}'.")
INT_MAX = 2**31 - 1


class LeadFieldsSerializer(StrictSerializer):
    """What routing rules look at. Missing fields are empty, as on a new lead."""

    country = serializers.CharField(
        max_length=2, required=False, allow_blank=True, default="", help_text="ISO 3166 alpha-2."
    )
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    industry = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    employees = serializers.IntegerField(
        min_value=0, max_value=INT_MAX, required=False, allow_null=True, default=None
    )
    score = serializers.IntegerField(
        min_value=-INT_MAX, max_value=INT_MAX, required=False, default=0
    )
    source = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    campaign = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.all(), required=False, allow_null=True, default=None
    )


class SimulateInputSerializer(StrictSerializer):
    lead = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, help_text="Id of a lead you may see."
    )
    lead_fields = LeadFieldsSerializer(required=False)
    handoff = serializers.SlugField(
        max_length=50, required=False, default=DEFAULT_HANDOFF, help_text="Handoff key."
    )

    def validate(self, attrs):
        if ("lead" in attrs) == ("lead_fields" in attrs):
            raise serializers.ValidationError({"non_field_errors": [LEAD_OR_FIELDS]})
        return attrs


class RoutingRuleRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RuleCheckedSerializer(serializers.Serializer):
    rule = serializers.CharField()
    matched = serializers.BooleanField()


class CandidateSerializer(serializers.Serializer):
    user = serializers.CharField()
    open_offers = serializers.IntegerField()
    weight = serializers.IntegerField(required=False, help_text="Round-robin rules only.")
    start = serializers.FloatField(
        required=False, help_text="Round-robin rules only: virtual start time; earliest wins."
    )


class SkippedSerializer(serializers.Serializer):
    user = serializers.CharField()
    why = serializers.CharField(
        help_text=(
            "inactive, absent, at_open_cap, at_daily_cap, not_in_rotation, excluded, "
            "outside_territory (the lead's country is not in their territory) or no_territory "
            "(they have none, and the lead's territory had a rep free)."
        )
    )
    rule = serializers.CharField(required=False, help_text="For a rule naming one user.")


class TerritorySerializer(serializers.Serializer):
    country = serializers.CharField(
        allow_blank=True, help_text="The lead's country; empty if it has none."
    )
    territories = serializers.ListField(
        child=serializers.CharField(), help_text="Territories of the rule's reps that cover it."
    )
    reps = serializers.IntegerField(help_text="Reps of the rule in those territories.")
    pool = serializers.CharField(
        allow_null=True,
        help_text="Who could take it: territory, no_territory or everyone; null if nobody free.",
    )


class SimulationSerializer(serializers.Serializer):
    lead = serializers.IntegerField(allow_null=True, help_text="Null for a lead given by fields.")
    handoff = serializers.CharField()
    at = serializers.DateTimeField()
    rule = RoutingRuleRefSerializer(
        allow_null=True, help_text="The rule that decided; null on fallback."
    )
    strategy = serializers.CharField()
    assignee = serializers.CharField(allow_null=True)
    queue = serializers.CharField(allow_null=True)
    fallback = serializers.BooleanField(help_text="No rule routed it: the receiving team's queue.")
    rules_checked = RuleCheckedSerializer(many=True)
    candidates = CandidateSerializer(many=True)
    skipped = SkippedSerializer(many=True)
    territory = TerritorySerializer(
        allow_null=True,
        help_text="How territories narrowed the round-robin rule; null where they did not apply.",
    )
    explanation = serializers.CharField(help_text="Why, in one sentence.")


class RoutingSimulateApi(APIView):
    """Where an offer of this lead would go now on this handoff, and why. Assigns nothing."""

    permission_classes = [roles_may(Role.ADMIN, Role.MARKETING, Role.MANAGER)]

    @extend_schema(request=SimulateInputSerializer, responses={200: SimulationSerializer, **ERRORS})
    def post(self, request):
        data = SimulateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = data.validated_data["handoff"]
        handoff = HandoffPair.objects.select_related("receiving_team").filter(key=key).first()
        if handoff is None:
            raise serializers.ValidationError({"handoff": [UNKNOWN_HANDOFF.format(key=key)]})
        if "lead" in data.validated_data:
            # The lead is what is simulated, as in /leads/{id}/: 404 unless the user may see it.
            lead = lead_visible(request.user).filter(pk=data.validated_data["lead"]).first()
            if lead is None:
                raise NotFound()
        else:
            fields = data.validated_data["lead_fields"]
            # Never saved: routing_decide only reads the fields its rules look at.
            lead = Lead(**{**fields, "country": fields["country"].strip().upper()})
        decision = routing_decide(lead=lead, handoff=handoff).as_dict()
        decision["explanation"] = routing_explain(decision)
        return Response(
            SimulationSerializer({**decision, "lead": lead.pk, "handoff": handoff.key}).data
        )
