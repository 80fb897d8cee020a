from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(required=False, help_text="Messages per field, for bad input.")


_ERROR = OpenApiResponse(ErrorSerializer)
# The refusals every endpoint may answer with, for the schema; 503 while the database is away
# (leadflow.middleware), with Retry-After.
ERRORS = {
    400: _ERROR, 401: _ERROR, 403: _ERROR, 404: _ERROR, 409: _ERROR, 429: _ERROR, 503: _ERROR,
}  # fmt: skip


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _fields_with_nul(data) -> list[str]:
    if not isinstance(data, dict):
        return []
    return [str(name) for name, value in data.items() if _has_nul(name) or _has_nul(value)]


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, naming each, instead of dropping them silently."""

    read_only_messages: dict[str, str] = {}

    def to_internal_value(self, data):
        nul = _fields_with_nul(data)
        if nul:
            # PostgreSQL stores no NUL character in text or JSON: refuse it, naming the field.
            raise serializers.ValidationError(
                {name: [_("Contains a NUL character.")] for name in nul}
            )
        unknown = {}
        if isinstance(data, dict):
            unknown = {
                name: [self.read_only_messages.get(name, _("Unknown field."))]
                for name in data
                if name not in self.fields
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            errors = (
                exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            )
            raise serializers.ValidationError({**errors, **unknown}) from exc
        if unknown:
            raise serializers.ValidationError(unknown)
        return value
