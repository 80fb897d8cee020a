"""The directory: people, teams, stages, handoffs, reason codes and campaigns.

Everyone signed in reads it (clients need it to show and choose keys); writes are for the roles
that run the funnel: admins add people, marketing and admins tune handoff targets, marketing,
admins and integrations add campaigns.
"""

from decimal import Decimal

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from funnel.filters import CampaignFilter, ReasonCodeFilter, UserFilter
from funnel.models import Campaign, HandoffPair, ReasonCode, Role, Stage, Team, User
from funnel.services import campaign_create, handoff_pair_update, user_create
from handoff.services.sla import agreement_current
from leadflow.api.permissions import EVERYONE, roles_may
from leadflow.api.serializers import ERRORS, StrictSerializer

# --- people -------------------------------------------------------------------------------


class UserOutputSerializer(serializers.ModelSerializer):
    role = serializers.CharField(
        source="effective_role", help_text="What the person acts as: superusers act as admins."
    )
    team = serializers.CharField(source="team.key", allow_null=True, default=None)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "role", "team", "is_active"]


class KeyRelatedField(serializers.SlugRelatedField):
    """An object by its key. Anything but a plain string is refused before the query (NUL
    characters are refused for every field by StrictSerializer)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class UserCreateSerializer(StrictSerializer):
    read_only_messages = {
        "id": "Set by Leadflow.",
        "is_active": "People are deactivated in the admin.",
        "is_staff": "Granted only in the admin.",
        "is_superuser": "Granted only in the admin.",
    }

    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=256, write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Role.choices)
    team = KeyRelatedField(
        slug_field="key",
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Team key.",
    )


class UserListApi(generics.ListAPIView):
    """People: everyone signed in reads the directory; admins add people."""

    serializer_class = UserOutputSerializer
    permission_classes = [roles_may(Role.ADMIN, read=EVERYONE)]
    filterset_class = UserFilter
    ordering_fields = ["id", "username", "last_name", "role"]
    ordering = ["username"]

    def get_queryset(self):
        return User.objects.select_related("team")

    @extend_schema(responses={200: UserOutputSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=UserCreateSerializer, responses={201: UserOutputSerializer, **ERRORS})
    def post(self, request):
        data = UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_create(actor=request.user, **data.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class TeamOutputSerializer(serializers.ModelSerializer):
    manager = serializers.CharField(source="manager.username", allow_null=True, default=None)
    member_count = serializers.IntegerField(help_text="Active members.")
    # Wall-clock times of the team's own time zone, not instants: plain "HH:MM:SS" strings.
    workday_start = serializers.CharField(read_only=True)
    workday_end = serializers.CharField(read_only=True)

    class Meta:
        model = Team
        fields = [
            "key", "name", "manager", "time_zone", "workday_start", "workday_end",
            "working_days", "member_count",
        ]  # fmt: skip


class TeamListApi(generics.ListAPIView):
    serializer_class = TeamOutputSerializer
    ordering_fields = ["key", "name"]
    ordering = ["name"]

    def get_queryset(self):
        return Team.objects.select_related("manager").annotate(
            member_count=Count("members", filter=Q(members__is_active=True))
        )

    @extend_schema(responses={200: TeamOutputSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- the funnel ---------------------------------------------------------------------------


class StageOutputSerializer(serializers.ModelSerializer):
    team = serializers.CharField(source="team.key")
    criteria = serializers.CharField(source="entry_criteria")

    class Meta:
        model = Stage
        fields = ["key", "name", "team", "position", "kind", "criteria", "active"]


class StageListApi(generics.ListAPIView):
    """Every stage, retired ones too (`active: false`): history still refers to them."""

    serializer_class = StageOutputSerializer
    ordering_fields = ["position", "key"]
    ordering = ["position", "key"]

    def get_queryset(self):
        return Stage.objects.select_related("team")

    @extend_schema(responses={200: StageOutputSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


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


class HandoffOutputSerializer(serializers.ModelSerializer):
    offered_stage = serializers.CharField(source="offered_stage.key")
    accepted_stage = serializers.CharField(source="accepted_stage.key")
    reject_stage = serializers.CharField(source="reject_stage.key")
    sending_team = serializers.CharField(source="sending_team.key")
    receiving_team = serializers.CharField(source="receiving_team.key")
    target_rate = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        coerce_to_string=False,
        help_text="Target acceptance rate, a fraction from 0 to 1 (1.0 = 100%).",
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


FUNNEL_SHAPE = "Edited in the admin: it changes the shape of the funnel."


class HandoffUpdateSerializer(StrictSerializer):
    read_only_messages = {
        "key": "The key is how programs refer to the handoff; it does not change.",
        "offered_stage": FUNNEL_SHAPE,
        "accepted_stage": FUNNEL_SHAPE,
        "reject_stage": FUNNEL_SHAPE,
        "sending_team": FUNNEL_SHAPE,
        "receiving_team": FUNNEL_SHAPE,
        "agreement": "Changes only by a new agreement version that both sides sign off.",
    }

    name = serializers.CharField(max_length=100, required=False)
    target_rate = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        min_value=Decimal(0),
        max_value=Decimal(1),
        required=False,
        help_text="A fraction from 0 to 1 (1.0 = 100%).",
    )


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


class ReasonCodeOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReasonCode
        fields = ["code", "label", "purpose"]


class ReasonCodeListApi(generics.ListAPIView):
    """Reason codes in use. A code is unique within its purpose, not across purposes."""

    serializer_class = ReasonCodeOutputSerializer
    filterset_class = ReasonCodeFilter
    ordering_fields = ["purpose", "code", "label"]
    ordering = ["purpose", "position", "label"]

    def get_queryset(self):
        return ReasonCode.objects.filter(active=True)

    @extend_schema(responses={200: ReasonCodeOutputSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- campaigns ----------------------------------------------------------------------------


class CampaignOutputSerializer(serializers.ModelSerializer):
    cost = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Money, as a decimal string."
    )

    class Meta:
        model = Campaign
        fields = ["id", "name", "channel", "start", "end", "cost"]


class CampaignCreateSerializer(StrictSerializer):
    read_only_messages = {"id": "Set by Leadflow."}

    name = serializers.CharField(max_length=200)
    channel = serializers.ChoiceField(
        choices=Campaign.Channel.choices, required=False, default=Campaign.Channel.OTHER
    )
    start = serializers.DateField(required=False, allow_null=True, default=None)
    end = serializers.DateField(required=False, allow_null=True, default=None)
    cost = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), required=False, default=Decimal(0)
    )


class CampaignListApi(generics.ListAPIView):
    """Campaigns, newest first; marketing, admins and integrations add them."""

    serializer_class = CampaignOutputSerializer
    permission_classes = [roles_may(Role.ADMIN, Role.MARKETING, Role.INTEGRATION, read=EVERYONE)]
    filterset_class = CampaignFilter
    ordering_fields = ["id", "name", "start", "end", "cost"]
    ordering = ["-start", "name"]

    def get_queryset(self):
        return Campaign.objects.all()

    @extend_schema(responses={200: CampaignOutputSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=CampaignCreateSerializer, responses={201: CampaignOutputSerializer, **ERRORS}
    )
    def post(self, request):
        data = CampaignCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = campaign_create(actor=request.user, **data.validated_data)
        return Response(CampaignOutputSerializer(campaign).data, status=status.HTTP_201_CREATED)
