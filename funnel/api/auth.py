from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from leadflow.api.authentication import token_expires_at, token_issue, token_revoke
from leadflow.api.serializers import ERRORS

LOCKED_OUT = _("Too many failed sign-ins for this user from this address; try again later.")


class AuthTokenApi(ObtainAuthToken):
    """Exchange a username and password for the user's API token (POST); revoke it (DELETE)."""

    # ObtainAuthToken names its own parsers; the API's (nesting and Unicode checked) instead.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES
    # Sign-ins are slowed per address, then locked out per user and address (django-axes).
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "sign_in"

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "DELETE" else []

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses={
            200: inline_serializer(
                "TokenResponse",
                {
                    "token": serializers.CharField(),
                    "expires_at": serializers.DateTimeField(
                        allow_null=True, help_text="Null: the token does not expire."
                    ),
                },
            ),
            **ERRORS,
        },
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False):
                wait = settings.AXES_COOLOFF_TIME.total_seconds()
                raise exceptions.Throttled(wait=wait, detail=str(LOCKED_OUT), code="locked_out")
            raise exceptions.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        token = token_issue(user)
        # A sign-in as far as Django is concerned: last_login, and axes starts its count again.
        user_logged_in.send(sender=type(user), request=request, user=user)
        return Response({"token": token.key, "expires_at": token_expires_at(token)})

    @extend_schema(request=None, responses={204: None, **ERRORS})
    def delete(self, request, *args, **kwargs):
        """Revoke the token this request is signed with (or the session user's token)."""
        token_revoke(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
