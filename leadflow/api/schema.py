"""The OpenAPI schema: drf-spectacular's, with every answer the API can give described.

- The refusals any operation may answer (ERRORS: bad input, not signed in, no right, not found,
  conflict, throttled, the database away) are added where a view did not declare them, so no
  operation documents its 200 alone. One that takes a body may also answer 413 (too large,
  before parsing) and 415 (not JSON). 429 and 503 carry Retry-After.
- An email (or other format-bound) string that may be blank keeps its default beside the two
  alternatives drf-spectacular makes of it, not inside the email one, where "" is not an email
  (openapi-spec-validator refuses the schema otherwise).
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse

from .serializers import ERRORS, ErrorSerializer

BODY_ERRORS = {
    413: OpenApiResponse(ErrorSerializer, description="The body is larger than the limit."),
    415: OpenApiResponse(ErrorSerializer, description="The body is not JSON."),
}
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before trying again.",
    }
}
RETRY_AFTER_CODES = ("429", "503")


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        refusals = {**ERRORS, **(BODY_ERRORS if "requestBody" in operation else {})}
        for code, response in refusals.items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(response, str(code))
        for code in RETRY_AFTER_CODES:
            if code in responses:
                responses[code].setdefault("headers", {}).update(RETRY_AFTER)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        alternatives = schema.get("oneOf")
        if alternatives and "default" in alternatives[0]:
            schema["default"] = alternatives[0].pop("default")
