from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.settings import api_settings

from leadflow.api.serializers import ERRORS


class AuthTokenApi(ObtainAuthToken):
    """Exchange a username and password for the user's API token."""

    # ObtainAuthToken names its own parsers; the API's (nesting and Unicode checked) instead.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            **ERRORS,
        },
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
