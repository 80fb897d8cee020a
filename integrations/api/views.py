"""Integrations: webhook subscriptions, their deliveries, and the event feed."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from funnel.models import Role
from integrations.models import (
    DeliveryStatus,
    Event,
    EventType,
    WebhookDelivery,
    WebhookSubscription,
)
from integrations.webhooks import (
    event_list,
    webhook_delivery_list,
    webhook_delivery_visible,
    webhook_payload,
    webhook_redeliver,
    webhook_secret_rotate,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_list,
    webhook_subscription_update,
)
from leadflow.api.permissions import roles_may
from leadflow.api.serializers import ERRORS, StrictSerializer

WEBHOOK_ROLES = roles_may(Role.ADMIN, Role.INTEGRATION)
FEED_ROLES = roles_may(Role.ADMIN, Role.INTEGRATION, Role.MARKETING)
EVENT_TYPES_HELP = f"Event types, any of: {', '.join(EventType.values)}. Empty: all of them."


# --- subscriptions ---------------------------------------------------------------------------


class WebhookInputSerializer(StrictSerializer):
    url = serializers.URLField(max_length=500, help_text="http:// or https:// only.")
    events = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=list,
        help_text=EVENT_TYPES_HELP,
    )
    secret = serializers.CharField(
        min_length=16,
        max_length=100,
        required=False,
        help_text="Signs every request (X-Leadflow-Signature). Generated if not given.",
    )
    active = serializers.BooleanField(required=False, default=True)
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class WebhookOutputSerializer(serializers.ModelSerializer):
    """A subscription, without its secret: that is shown once, when made or rotated."""

    events = serializers.ListField(child=serializers.CharField(), help_text=EVENT_TYPES_HELP)
    owner = serializers.CharField(source="owner.username")

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "active", "description", "owner", "created_at"]


class WebhookSecretOutputSerializer(WebhookOutputSerializer):
    """A subscription with its secret, in the one answer that shows it."""

    # Read from the model, never from the input: the answer says what signs from now on.
    secret = serializers.CharField(
        help_text=(
            "Signs every request (X-Leadflow-Signature). Shown once, in this answer only: "
            "keep it. Lost, rotate it (POST /api/v1/webhooks/{id}/rotate-secret/)."
        )
    )

    class Meta(WebhookOutputSerializer.Meta):
        fields = ["id", "url", "events", "secret", "active", "description", "owner", "created_at"]


def subscription_for(request, pk) -> WebhookSubscription:
    """The subscription if the user may see it; 404 otherwise, so its existence is not revealed."""
    return get_object_or_404(webhook_subscription_list(user=request.user), pk=pk)


class WebhookListApi(generics.ListAPIView):
    """Your webhook subscriptions (admins: everyone's); POST subscribes a URL to event types."""

    permission_classes = [WEBHOOK_ROLES]
    serializer_class = WebhookOutputSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return WebhookSubscription.objects.none()
        return webhook_subscription_list(user=self.request.user)

    @extend_schema(
        request=WebhookInputSerializer, responses={201: WebhookSecretOutputSerializer, **ERRORS}
    )
    def post(self, request):
        data = WebhookInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = webhook_subscription_create(owner=request.user, **data.validated_data)
        return Response(
            WebhookSecretOutputSerializer(subscription).data, status=status.HTTP_201_CREATED
        )


class WebhookDetailApi(APIView):
    permission_classes = [WEBHOOK_ROLES]

    @extend_schema(responses={200: WebhookOutputSerializer, **ERRORS})
    def get(self, request, pk: int):
        return Response(WebhookOutputSerializer(subscription_for(request, pk)).data)

    @extend_schema(
        request=WebhookInputSerializer, responses={200: WebhookOutputSerializer, **ERRORS}
    )
    def patch(self, request, pk: int):
        subscription = subscription_for(request, pk)
        data = WebhookInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        subscription = webhook_subscription_update(
            subscription=subscription, fields=data.validated_data
        )
        return Response(WebhookOutputSerializer(subscription).data)

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request, pk: int):
        webhook_subscription_delete(subscription=subscription_for(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookSecretRotateApi(APIView):
    """A new generated secret signs every request from now on; this answer shows it, once."""

    permission_classes = [WEBHOOK_ROLES]

    @extend_schema(request=None, responses={200: WebhookSecretOutputSerializer, **ERRORS})
    def post(self, request, pk: int):
        subscription = webhook_secret_rotate(
            subscription=subscription_for(request, pk), actor=request.user
        )
        return Response(WebhookSecretOutputSerializer(subscription).data)


# --- deliveries ------------------------------------------------------------------------------


class DeliveryOutputSerializer(serializers.ModelSerializer):
    subscription = serializers.IntegerField(source="subscription_id")
    event = serializers.UUIDField(source="event.uid", help_text="The event's id.")
    sequence = serializers.IntegerField(source="event.position", help_text="The event's sequence.")
    type = serializers.CharField(source="event.type", help_text="The event's type.")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "subscription", "event", "sequence", "type", "status", "attempts",
            "next_attempt_at", "delivered_at", "last_status_code", "last_error", "created_at",
        ]  # fmt: skip


class DeliveryQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)


class WebhookDeliveryListApi(generics.ListAPIView):
    """A subscription's deliveries, newest first; `?status=dead` lists its dead letters."""

    permission_classes = [WEBHOOK_ROLES]
    serializer_class = DeliveryOutputSerializer
    filter_backends = []

    @extend_schema(
        parameters=[DeliveryQuerySerializer], responses={200: DeliveryOutputSerializer, **ERRORS}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        subscription = subscription_for(self.request, self.kwargs["pk"])
        query = DeliveryQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return webhook_delivery_list(
            subscription=subscription, status=query.validated_data.get("status")
        )


class WebhookRedeliverApi(APIView):
    """Queue a dead-lettered (or delivered) delivery again: the next sweep sends it."""

    permission_classes = [WEBHOOK_ROLES]

    @extend_schema(request=None, responses={200: DeliveryOutputSerializer, **ERRORS})
    def post(self, request, pk: int):
        delivery = get_object_or_404(webhook_delivery_visible(user=request.user), pk=pk)
        delivery = webhook_redeliver(delivery=delivery, actor=request.user)
        return Response(DeliveryOutputSerializer(delivery).data)


# --- the event feed --------------------------------------------------------------------------


class EventOutputSerializer(serializers.Serializer):
    """An event, exactly as its webhooks carry it."""

    id = serializers.UUIDField(help_text="The event's id: de-duplicate by it.")
    sequence = serializers.IntegerField(help_text="Its number, in commit order.")
    type = serializers.CharField(help_text=f"One of: {', '.join(EventType.values)}.")
    occurred_at = serializers.DateTimeField()
    data = serializers.DictField(help_text="The object, and for a change its before and after.")

    def to_representation(self, instance):
        return webhook_payload(instance)


class EventQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0, required=False, default=0, help_text="The last sequence number you saw."
    )
    type = serializers.ChoiceField(choices=EventType.choices, required=False)


class EventListApi(generics.ListAPIView):
    """Events after `?after=<sequence>`, oldest first: catch up on what your webhooks missed."""

    permission_classes = [FEED_ROLES]
    serializer_class = EventOutputSerializer
    filter_backends = []

    @extend_schema(
        parameters=[EventQuerySerializer], responses={200: EventOutputSerializer, **ERRORS}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Event.objects.none()
        query = EventQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return event_list(**query.validated_data)
