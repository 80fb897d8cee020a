from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(required=False, help_text="Messages per field, for bad input.")


_ERROR = OpenApiResponse(ErrorSerializer)
# The refusals every endpoint may answer with, for the schema.
ERRORS = {400: _ERROR, 401: _ERROR, 403: _ERROR, 404: _ERROR, 409: _ERROR, 429: _ERROR}


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, naming each, instead of dropping them silently."""

    read_only_messages: dict[str, str] = {}

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, dict):
            unknown = {
                name: [self.read_only_messages.get(name, "Unknown field.")]
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


__all__ = ["ERRORS", "ErrorSerializer", "StrictSerializer", "inline_serializer"]
