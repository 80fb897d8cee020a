"""Leads: list, create, read, edit contact fields, move between stages."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from funnel.filters import LeadFilter
from funnel.models import Campaign, Lead, ReasonCode, StageMove
from funnel.selectors import lead_acted_on, lead_list
from funnel.services import lead_create, lead_transition, lead_update
from leadflow.api.serializers import ERRORS, StrictSerializer

READ_ONLY = {
    "stage": "Changes only through POST /api/v1/leads/{id}/transition/.",
    "owner": "Changes only by accepting or assigning the lead's offer.",
    "score": "Changes only through activities and scoring rules.",
    "current_offer": "Changes only through the offer's own endpoints.",
    "recycle_count": "Kept by the funnel.",
    "id": "Set by Leadflow.",
    "created_at": "Set by Leadflow.",
    "updated_at": "Set by Leadflow.",
}


class CurrentOfferSerializer(serializers.Serializer):
    handoff = serializers.CharField(source="handoff.key")
    status = serializers.CharField()
    assignee = serializers.CharField(source="assignee.username", allow_null=True, default=None)
    queue = serializers.CharField(source="queue.key", allow_null=True, default=None)
    offered_at = serializers.DateTimeField()
    accept_due_at = serializers.DateTimeField(allow_null=True)
    first_touch_due_at = serializers.DateTimeField(allow_null=True)
    touches_due_at = serializers.DateTimeField(allow_null=True)
    work_due_at = serializers.DateTimeField(allow_null=True)


class LeadOutputSerializer(serializers.ModelSerializer):
    stage = serializers.CharField(source="stage.key")
    owner = serializers.CharField(source="owner.username", allow_null=True, default=None)
    current_offer = serializers.SerializerMethodField()

    class Meta:
        model = Lead
        fields = [
            "id", "email", "first_name", "last_name", "phone", "company", "title", "country",
            "region", "city", "industry", "employees", "source", "campaign", "score",
            "external_id", "crm_id", "attributes", "stage", "owner", "current_offer",
            "recycle_count", "created_at", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(CurrentOfferSerializer(allow_null=True))
    def get_current_offer(self, lead):
        offers = getattr(lead, "current_offers", None)
        if offers is None:
            from handoff.services.work import lead_offer_active

            offer = lead_offer_active(lead)
        else:
            offer = offers[0] if offers else None
        return CurrentOfferSerializer(offer).data if offer else None


class LeadContactSerializer(StrictSerializer):
    """The fields a person or an integration edits directly."""

    read_only_messages = READ_ONLY

    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    industry = serializers.CharField(max_length=100, required=False, allow_blank=True)
    employees = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    source = serializers.CharField(max_length=100, required=False, allow_blank=True)
    campaign = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.all(), required=False, allow_null=True
    )
    external_id = serializers.CharField(max_length=100, required=False, allow_null=True)
    crm_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    attributes = serializers.DictField(required=False)


class LeadCreateSerializer(LeadContactSerializer):
    read_only_messages = {k: v for k, v in READ_ONLY.items() if k not in ("stage", "score")}

    stage = serializers.SlugField(required=False, default="inquiry", help_text="Entry stage.")
    score = serializers.IntegerField(required=False, default=0, help_text="Initial score.")


class LeadListApi(generics.ListAPIView):
    """Leads you may see, filtered and ordered; POST creates one in an entry stage."""

    serializer_class = LeadOutputSerializer
    filterset_class = LeadFilter
    ordering_fields = ["id", "created_at", "updated_at", "score", "email", "stage_entered_at"]
    ordering = ["-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Lead.objects.none()
        return lead_list(user=self.request.user)

    @extend_schema(request=LeadCreateSerializer, responses={201: LeadOutputSerializer, **ERRORS})
    def post(self, request):
        data = LeadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = lead_create(actor=request.user, **data.validated_data)
        return Response(
            LeadOutputSerializer(lead_list(user=request.user).get(pk=lead.pk)).data,
            status=status.HTTP_201_CREATED,
        )


def lead_answer(lead: Lead) -> Response:
    """The answer to an action on a lead: the lead as it is now, whoever may still see it."""
    return Response(LeadOutputSerializer(lead_acted_on(lead_id=lead.pk)).data)


def lead_for(request, pk) -> Lead:
    """The lead if the user may see it; 404 otherwise, so its existence is not revealed."""
    return get_object_or_404(lead_list(user=request.user), pk=pk)


class LeadDetailApi(APIView):
    @extend_schema(responses={200: LeadOutputSerializer, **ERRORS})
    def get(self, request, pk: int):
        return Response(LeadOutputSerializer(lead_for(request, pk)).data)

    @extend_schema(request=LeadContactSerializer, responses={200: LeadOutputSerializer, **ERRORS})
    def patch(self, request, pk: int):
        lead = lead_for(request, pk)
        data = LeadContactSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        lead_update(lead=lead, actor=request.user, fields=data.validated_data)
        return Response(LeadOutputSerializer(lead_for(request, pk)).data)


class TransitionInputSerializer(StrictSerializer):
    to = serializers.SlugField(help_text="Key of the stage to move to.")
    reason = serializers.SlugField(required=False, allow_blank=True, help_text="Reason code.")
    note = serializers.CharField(required=False, allow_blank=True, default="")


def reason_for_move(lead: Lead, to: str, code: str) -> ReasonCode | None:
    """The reason code `code` among the purposes the move takes (codes repeat across purposes)."""
    if not code:
        return None
    move = StageMove.objects.filter(from_stage_id=lead.stage_id, to_stage__key=to).first()
    reasons = ReasonCode.objects.filter(code=code)
    if move is not None and move.reason_purposes:
        reasons = reasons.filter(purpose__in=move.reason_purposes)
    reason = reasons.order_by("-active").first()
    if reason is None:
        raise serializers.ValidationError({"reason": [f"Unknown reason '{code}' for this move."]})
    return reason


class LeadTransitionApi(APIView):
    @extend_schema(
        request=TransitionInputSerializer, responses={200: LeadOutputSerializer, **ERRORS}
    )
    def post(self, request, pk: int):
        lead = lead_for(request, pk)
        data = TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        to = data.validated_data["to"]
        lead_transition(
            lead=lead,
            to=to,
            actor=request.user,
            reason=reason_for_move(lead, to, data.validated_data.get("reason", "")),
            note=data.validated_data["note"],
        )
        return lead_answer(lead)
