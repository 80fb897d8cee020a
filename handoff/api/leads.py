"""The lead resource, `/api/v1/leads/…`: list, create, read, edit contact fields, move between
stages; what people do once it is offered (accept, reject, claim, assign, disposition, touches);
and its history.

Every endpoint first finds the lead among those the user may see (404 otherwise), then calls
one service; the services decide who may act and answer refusals, which the API maps to
400/403/409 by their status.
"""

from decimal import Decimal

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from funnel.models import Campaign, ReasonCode, ReasonPurpose, User
from funnel.rules import reason_for_move
from handoff.filters import LeadFilter
from handoff.models import Disposition, Lead, Offer, Touch
from handoff.selectors import (
    HISTORY_TYPES,
    lead_acted_on,
    lead_history,
    lead_list,
    lead_offer_to_decide,
    lead_visible,
)
from handoff.services.leads import lead_create, lead_transition, lead_update
from handoff.services.offers import (
    NO_OPEN_OFFER,
    OfferConflict,
    offer_accept,
    offer_assign,
    offer_claim,
    offer_reject,
)
from handoff.services.work import (
    NO_REASON_TAKEN,
    disposition_rule,
    lead_disposition,
    lead_offer_active,
    touch_log,
)
from leadflow.api.serializers import ERRORS, StrictSerializer

READ_ONLY = {
    "stage": _("Changes only through POST /api/v1/leads/{id}/transition/."),
    "owner": _("Changes only by accepting or assigning the lead's offer."),
    "score": _("Changes only through activities and scoring rules."),
    "current_offer": _("Changes only through the offer's own endpoints."),
    "recycle_count": _("Kept by the funnel."),
    "id": _("Set by Leadflow."),
    "created_at": _("Set by Leadflow."),
    "updated_at": _("Set by Leadflow."),
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
        # Prefetched by lead_list; a lead from elsewhere asks for its offer.
        offer = lead_offer_active(lead) if offers is None else next(iter(offers), None)
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

    stage = serializers.SlugField(
        max_length=50, required=False, default="inquiry", help_text="Entry stage."
    )
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
    @transaction.atomic
    def post(self, request):
        data = LeadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = lead_create(actor=request.user, **data.validated_data)
        return Response(
            LeadOutputSerializer(lead_list(user=request.user).get(pk=lead.pk)).data,
            status=status.HTTP_201_CREATED,
        )


def lead_answer(lead: Lead) -> Response:
    """The answer to an action on a lead: the lead as it is now, whoever may still see it.

    The write views run in one transaction with the read of their answer, so a database lost
    between the two cannot answer 503 for a change that committed (found by `make soak`)."""
    return Response(LeadOutputSerializer(lead_acted_on(lead_id=lead.pk)).data)


def lead_for(request, pk) -> Lead:
    """The lead if the user may see it, whole, for a service to act on; 404 otherwise, so its
    existence is not revealed."""
    return get_object_or_404(lead_visible(request.user).select_related("stage", "owner"), pk=pk)


def lead_shown(request, pk) -> Lead:
    """The lead as the API shows it, if the user may see it; 404 otherwise."""
    return get_object_or_404(lead_list(user=request.user), pk=pk)


class LeadDetailApi(APIView):
    @extend_schema(responses={200: LeadOutputSerializer, **ERRORS})
    def get(self, request, pk: int):
        return Response(LeadOutputSerializer(lead_shown(request, pk)).data)

    @extend_schema(request=LeadContactSerializer, responses={200: LeadOutputSerializer, **ERRORS})
    @transaction.atomic
    def patch(self, request, pk: int):
        lead = lead_for(request, pk)
        data = LeadContactSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        lead_update(lead=lead, actor=request.user, fields=data.validated_data)
        return Response(LeadOutputSerializer(lead_shown(request, pk)).data)


NOTE_MAX_LENGTH = 10_000


class TransitionInputSerializer(StrictSerializer):
    to = serializers.SlugField(max_length=50, help_text="Key of the stage to move to.")
    reason = serializers.SlugField(
        max_length=50, required=False, allow_blank=True, help_text="Reason code."
    )
    note = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class LeadTransitionApi(APIView):
    @extend_schema(
        request=TransitionInputSerializer, responses={200: LeadOutputSerializer, **ERRORS}
    )
    @transaction.atomic
    def post(self, request, pk: int):
        lead = lead_for(request, pk)
        data = TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        to = data.validated_data["to"]
        lead_transition(
            lead=lead,
            to=to,
            actor=request.user,
            reason=reason_for_move(
                from_stage_id=lead.stage_id, to=to, code=data.validated_data.get("reason", "")
            ),
            note=data.validated_data["note"],
        )
        return lead_answer(lead)


# --- once offered ---------------------------------------------------------------------------

UNKNOWN_REASON = _("Unknown {purpose} reason '{code}'.")
UNKNOWN_USER = _("Unknown user '{username}'.")


def _note() -> serializers.CharField:
    return serializers.CharField(
        max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


def _reason(code: str, purpose: str) -> ReasonCode | None:
    """The reason `code` of `purpose` (codes repeat across purposes); retired ones are found too,
    so that the service can say the reason is no longer in use."""
    if not code:
        return None
    reason = ReasonCode.objects.filter(purpose=purpose, code=code).first()
    if reason is None:
        raise serializers.ValidationError(
            {"reason": [UNKNOWN_REASON.format(purpose=purpose, code=code)]}
        )
    return reason


def _offer(lead: Lead) -> Offer:
    offer = lead_offer_to_decide(lead=lead)
    if offer is None:
        raise OfferConflict(str(NO_OPEN_OFFER))
    return offer


# --- the offer ----------------------------------------------------------------------------


class AcceptInputSerializer(StrictSerializer):
    note = _note()


class RejectInputSerializer(StrictSerializer):
    reason = serializers.SlugField(max_length=50, help_text="A reason code of purpose reject.")
    note = _note()


class ClaimInputSerializer(StrictSerializer):
    pass


class AssignInputSerializer(StrictSerializer):
    assignee = serializers.CharField(
        max_length=150, help_text="Username of an active member of the queue's team."
    )


ANSWERS = {200: LeadOutputSerializer, **ERRORS}


class LeadAcceptApi(APIView):
    """Accept the lead's pending offer: the lead enters the accepted stage and becomes yours."""

    @extend_schema(request=AcceptInputSerializer, responses=ANSWERS)
    @transaction.atomic
    def post(self, request, pk: int):
        lead = lead_for(request, pk)
        data = AcceptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        offer_accept(offer=_offer(lead), actor=request.user, note=data.validated_data["note"])
        return lead_answer(lead)


class LeadRejectApi(APIView):
    """Reject the lead's pending offer with a reject reason; the lead goes back to the sender."""

    @extend_schema(request=RejectInputSerializer, responses=ANSWERS)
    @transaction.atomic
    def post(self, request, pk: int):
        lead = lead_for(request, pk)
        data = RejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        offer_reject(
            offer=_offer(lead),
            actor=request.user,
            reason=_reason(data.validated_data["reason"], ReasonPurpose.REJECT),
            note=data.validated_data["note"],
        )
        return lead_answer(lead)


class LeadClaimApi(APIView):
    """Take the lead's offer from your team's queue; it is then yours to accept or reject."""

    @extend_schema(request=ClaimInputSerializer, responses=ANSWERS)
    @transaction.atomic
    def post(self, request, pk: int):
        lead = lead_for(request, pk)
        ClaimInputSerializer(data=request.data).is_valid(raise_exception=True)
        offer_claim(offer=_offer(lead), actor=request.user)
        return lead_answer(lead)


class LeadAssignApi(APIView):
    """Hand the lead's offer to a member of the receiving team (its manager, or an admin)."""

    @extend_schema(request=AssignInputSerializer, responses=ANSWERS)
    @transaction.atomic
    def post(self, request, pk: int):
        lead = lead_for(request, pk)
        data = AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["assignee"]
        assignee = User.objects.filter(username=username).first()
        if assignee is None:
            raise serializers.ValidationError(
                {"assignee": [UNKNOWN_USER.format(username=username)]}
            )
        offer_assign(offer=_offer(lead), actor=request.user, assignee=assignee)
        return lead_answer(lead)


# --- working the lead ---------------------------------------------------------------------


class DispositionInputSerializer(StrictSerializer):
    disposition = serializers.ChoiceField(choices=Disposition.Kind.choices)
    reason = serializers.SlugField(
        max_length=50,
        required=False,
        allow_blank=True,
        default="",
        help_text="Reason code: of purpose recycle (recycle), disqualify (junk) or lost (lost).",
    )
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        allow_null=True,
        default=None,
        help_text="Amount won; required for won.",
    )
    note = _note()
    close_date = serializers.DateField(required=False, allow_null=True, default=None)
    competitor = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class LeadDispositionApi(APIView):
    """Record what you decided about the lead; it moves where that decision leads."""

    @extend_schema(request=DispositionInputSerializer, responses=ANSWERS)
    @transaction.atomic
    def post(self, request, pk: int):
        lead = lead_for(request, pk)
        data = DispositionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        disposition, code = fields["disposition"], fields.pop("reason")
        purpose = disposition_rule(disposition).reason_purpose
        if purpose is None and code:  # no purpose to look the code up by
            raise serializers.ValidationError(
                {"reason": [NO_REASON_TAKEN.format(disposition=disposition)]}
            )
        lead_disposition(lead=lead, actor=request.user, reason=_reason(code, purpose), **fields)
        return lead_answer(lead)


class TouchInputSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=Touch.Kind.choices)
    outcome = serializers.ChoiceField(
        choices=Touch.Outcome.choices, required=False, allow_blank=True, default=""
    )
    at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When it happened; now if empty."
    )
    note = _note()
    next_step = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="What the holder plans to do next; with `next_step_due`, a pipeline deadline.",
    )
    next_step_due = serializers.DateTimeField(required=False, allow_null=True, default=None)


class TouchOutputSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username")
    # Plain strings here: the choices are in the input's schema, and one enum used by two
    # components gets a hashed name in the schema.
    kind = serializers.CharField()
    outcome = serializers.CharField()

    class Meta:
        model = Touch
        fields = [
            "id", "lead", "offer", "user", "kind", "outcome", "at", "note", "next_step",
            "next_step_due", "logged_at",
        ]  # fmt: skip


class LeadTouchesApi(APIView):
    """Log a call, email, meeting or social touch; the SLA's first-touch and touches clocks
    follow."""

    @extend_schema(request=TouchInputSerializer, responses={201: TouchOutputSerializer, **ERRORS})
    @transaction.atomic
    def post(self, request, pk: int):
        lead = lead_for(request, pk)
        data = TouchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        touch = touch_log(lead=lead, actor=request.user, **data.validated_data)
        return Response(TouchOutputSerializer(touch).data, status=status.HTTP_201_CREATED)


# --- history ------------------------------------------------------------------------------


class HistoryItemSerializer(serializers.Serializer):
    """Serializes a handoff.selectors.HistoryItem: `obj` is the row behind the item."""

    type = serializers.ChoiceField(choices=HISTORY_TYPES)
    at = serializers.DateTimeField()
    id = serializers.IntegerField(source="obj.pk")
    lead = serializers.IntegerField(
        source="obj.lead_id", help_text="The lead it happened to: this one or one merged into it."
    )


class TransitionItemSerializer(HistoryItemSerializer):
    from_stage = serializers.CharField(source="obj.from_stage.key", allow_null=True, default=None)
    to_stage = serializers.CharField(source="obj.to_stage.key")
    actor = serializers.SerializerMethodField(
        help_text="Username, or the integration or 'system' that made the move."
    )
    handoff = serializers.CharField(source="obj.handoff.key", allow_null=True, default=None)
    reason = serializers.CharField(source="obj.reason.code", allow_null=True, default=None)
    note = serializers.CharField(source="obj.note")

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor(self, item):
        move = item.obj
        return move.actor.username if move.actor_id else move.actor_label


class OfferItemSerializer(HistoryItemSerializer):
    handoff = serializers.CharField(source="obj.handoff.key")
    status = serializers.CharField(source="obj.status")
    offered_by = serializers.CharField(
        source="obj.offered_by.username", allow_null=True, default=None
    )
    assignee = serializers.CharField(source="obj.assignee.username", allow_null=True, default=None)
    queue = serializers.CharField(source="obj.queue.key", allow_null=True, default=None)
    routed_at = serializers.DateTimeField(source="obj.routed_at", allow_null=True)
    decided_at = serializers.DateTimeField(source="obj.decided_at", allow_null=True)
    decided_by = serializers.CharField(
        source="obj.decided_by.username", allow_null=True, default=None
    )
    reason = serializers.CharField(source="obj.reason.code", allow_null=True, default=None)
    note = serializers.CharField(source="obj.note")
    agreement_version = serializers.IntegerField(
        source="obj.agreement.version", allow_null=True, default=None
    )
    closed_at = serializers.DateTimeField(source="obj.closed_at", allow_null=True)


class TouchItemSerializer(HistoryItemSerializer):
    user = serializers.CharField(source="obj.user.username")
    kind = serializers.CharField(source="obj.kind")
    outcome = serializers.CharField(source="obj.outcome")
    note = serializers.CharField(source="obj.note")
    offer = serializers.IntegerField(source="obj.offer_id", allow_null=True)


class ActivityItemSerializer(HistoryItemSerializer):
    kind = serializers.CharField(source="obj.kind")
    detail = serializers.DictField(source="obj.detail")
    points = serializers.IntegerField(source="obj.points")


class DispositionItemSerializer(HistoryItemSerializer):
    kind = serializers.CharField(source="obj.kind")
    actor = serializers.CharField(source="obj.actor.username", allow_null=True, default=None)
    reason = serializers.CharField(source="obj.reason.code", allow_null=True, default=None)
    note = serializers.CharField(source="obj.note")
    amount = serializers.DecimalField(
        source="obj.amount", max_digits=14, decimal_places=2, allow_null=True
    )
    close_date = serializers.DateField(source="obj.close_date", allow_null=True)
    competitor = serializers.CharField(source="obj.competitor")
    offer = serializers.IntegerField(source="obj.offer_id", allow_null=True)


HISTORY_SERIALIZERS = {
    "transition": TransitionItemSerializer,
    "offer": OfferItemSerializer,
    "touch": TouchItemSerializer,
    "activity": ActivityItemSerializer,
    "disposition": DispositionItemSerializer,
}
HISTORY_ITEM = PolymorphicProxySerializer(
    component_name="HistoryItem",
    serializers=HISTORY_SERIALIZERS,
    resource_type_field_name="type",
    many=True,
)


class LeadHistoryApi(generics.GenericAPIView):
    """Everything that happened to the lead and to the leads merged into it, oldest first."""

    serializer_class = HistoryItemSerializer  # for the schema; each item uses its type's
    filter_backends = []  # the history is the lead's, whole; pages only

    @extend_schema(responses={200: HISTORY_ITEM, **ERRORS})
    def get(self, request, pk: int):
        items = lead_history(lead=lead_for(request, pk))
        page = self.paginate_queryset(items)
        return self.get_paginated_response(
            [HISTORY_SERIALIZERS[item.type](item).data for item in page]
        )
