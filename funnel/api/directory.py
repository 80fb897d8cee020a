"""The directory: people, teams, stages, reason codes and campaigns (handoffs, which carry their
SLA agreement, are served by handoff.api.handoffs).

Everyone signed in reads it (clients need it to show and choose keys); writes are for the roles
that run the funnel: admins add people, marketing and admins tune handoff targets, marketing,
admins and integrations add campaigns.
"""

from decimal import Decimal

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from funnel.filters import CampaignFilter, ReasonCodeFilter, UserFilter
from funnel.models import EVERYONE, Campaign, ReasonCode, Role, Stage, Team, User
from funnel.services import campaign_create, user_create
from leadflow.api.permissions import roles_may
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
        "id": _("Set by Leadflow."),
        "is_active": _("People are deactivated in the admin."),
        "is_staff": _("Granted only in the admin."),
        "is_superuser": _("Granted only in the admin."),
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
    read_only_messages = {"id": _("Set by Leadflow.")}

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
