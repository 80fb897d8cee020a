"""Handoffs, `/api/v1/handoffs/`: the pairs of the funnel with their target acceptance rate and
the SLA agreement in force. Everyone signed in reads them; marketing and admins tune the target.
"""

from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from funnel.models import EVERYONE, HandoffPair, Role
from funnel.selectors import target_in_force, target_today, targets_by_day
from funnel.services import handoff_pair_update
from handoff.services.sla import agreement_current
from leadflow.api.permissions import roles_may
from leadflow.api.serializers import ERRORS, StrictSerializer


class SlaStepSerializer(serializers.Serializer):
    clock = serializers.CharField()
    after_hours = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    action = serializers.CharField()


class AgreementSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    effective_at = serializers.DateTimeField()
    criteria = serializers.CharField()
    accept_within_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, coerce_to_string=False, help_text="Working hours."
    )
    first_touch_within_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, coerce_to_string=False, help_text="Working hours."
    )
    min_touches = serializers.IntegerField()
    touches_within_days = serializers.IntegerField(help_text="Calendar days.")
    work_within_days = serializers.IntegerField(help_text="Calendar days.")
    warn_before_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, coerce_to_string=False, help_text="Working hours."
    )
    steps = SlaStepSerializer(many=True, source="steps.all", help_text="The breach ladder.")


class TargetInForceField(serializers.DecimalField):
    """The handoff's target in force today (funnel.selectors.target_in_force), not its stored
    copy: a target dated to start today holds from midnight without a write. Lists pass every
    pair's target in the context (`targets`: one query for the page)."""

    def get_attribute(self, instance):
        targets = self.context.get("targets")
        if targets is not None and instance.pk in targets:
            return targets[instance.pk][self.context["today"]]
        return target_in_force(handoff=instance, day=target_today())


class HandoffOutputSerializer(serializers.ModelSerializer):
    offered_stage = serializers.CharField(source="offered_stage.key")
    accepted_stage = serializers.CharField(source="accepted_stage.key")
    reject_stage = serializers.CharField(source="reject_stage.key")
    sending_team = serializers.CharField(source="sending_team.key")
    receiving_team = serializers.CharField(source="receiving_team.key")
    target_rate = TargetInForceField(
        max_digits=4,
        decimal_places=3,
        coerce_to_string=False,
        help_text="Target acceptance rate in force today, a fraction from 0 to 1 (1.0 = 100%).",
    )
    agreement = serializers.SerializerMethodField(
        help_text="The SLA agreement in force: the newest version both sides signed off."
    )

    class Meta:
        model = HandoffPair
        fields = [
            "key", "name", "offered_stage", "accepted_stage", "reject_stage", "sending_team",
            "receiving_team", "target_rate", "agreement",
        ]  # fmt: skip

    @extend_schema_field(AgreementSerializer(allow_null=True))
    def get_agreement(self, handoff):
        agreement = agreement_current(handoff)
        return AgreementSerializer(agreement).data if agreement else None


FUNNEL_SHAPE = _("Edited in the admin: it changes the shape of the funnel.")


class HandoffUpdateSerializer(StrictSerializer):
    read_only_messages = {
        "key": _("The key is how programs refer to the handoff; it does not change."),
        "offered_stage": FUNNEL_SHAPE,
        "accepted_stage": FUNNEL_SHAPE,
        "reject_stage": FUNNEL_SHAPE,
        "sending_team": FUNNEL_SHAPE,
        "receiving_team": FUNNEL_SHAPE,
        "agreement": _("Changes only by a new agreement version that both sides sign off."),
    }

    name = serializers.CharField(max_length=100, required=False)
    target_rate = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        min_value=Decimal(0),
        max_value=Decimal(1),
        required=False,
        help_text="A fraction from 0 to 1 (1.0 = 100%): a new version of the target, in force "
        "from today or from `target_effective_from`.",
    )
    target_effective_from = serializers.DateField(
        required=False,
        help_text="The first day (the installation's time zone) the new target_rate holds; "
        "today if not given. A day in the past corrects the target of those weeks.",
    )

    def validate(self, attrs):
        if "target_effective_from" in attrs and "target_rate" not in attrs:
            raise serializers.ValidationError(
                {"target_effective_from": [_("Give the target_rate that holds from this day.")]}
            )
        return attrs


HANDOFF_WRITERS = roles_may(Role.ADMIN, Role.MARKETING, read=EVERYONE)


def _handoffs():
    return HandoffPair.objects.select_related(
        "offered_stage", "accepted_stage", "reject_stage", "sending_team", "receiving_team"
    )


class HandoffListApi(generics.ListAPIView):
    serializer_class = HandoffOutputSerializer
    ordering_fields = ["key"]

    def get_queryset(self):
        return _handoffs()

    def get_serializer_context(self):
        today = target_today()
        return {**super().get_serializer_context(), "today": today,
                "targets": targets_by_day(days=[today])}  # fmt: skip

    @extend_schema(responses={200: HandoffOutputSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class HandoffDetailApi(APIView):
    permission_classes = [HANDOFF_WRITERS]

    @extend_schema(responses={200: HandoffOutputSerializer, **ERRORS})
    def get(self, request, key: str):
        return Response(HandoffOutputSerializer(get_object_or_404(_handoffs(), key=key)).data)

    @extend_schema(
        request=HandoffUpdateSerializer, responses={200: HandoffOutputSerializer, **ERRORS}
    )
    def patch(self, request, key: str):
        handoff = get_object_or_404(_handoffs(), key=key)
        data = HandoffUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handoff_pair_update(handoff=handoff, actor=request.user, **data.validated_data)
        return Response(HandoffOutputSerializer(get_object_or_404(_handoffs(), key=key)).data)
