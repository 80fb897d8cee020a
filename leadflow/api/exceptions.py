"""One error body everywhere: {"detail": str, "code": str} plus "errors" per field for bad input.

Refusals from services (a move not allowed, an offer already decided) become 400, 403 or 409
according to their code, so views just call services and let these propagate.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from funnel.services import TransitionError
from handoff.services.offers import OfferError
from handoff.services.sla import AgreementError
from handoff.services.work import WorkError

DOMAIN_ERRORS = (TransitionError, OfferError, WorkError, AgreementError)
STATUS_BY_CODE = {
    "stage_unknown": status.HTTP_400_BAD_REQUEST,
    "reason_required": status.HTTP_400_BAD_REQUEST,
    "move_not_allowed": status.HTTP_409_CONFLICT,
    "concurrent_change": status.HTTP_409_CONFLICT,
    "transition_refused": status.HTTP_409_CONFLICT,
    "role_not_allowed": status.HTTP_403_FORBIDDEN,
    "offer_refused": status.HTTP_400_BAD_REQUEST,
    "offer_conflict": status.HTTP_409_CONFLICT,
    "offer_forbidden": status.HTTP_403_FORBIDDEN,
    "forbidden": status.HTTP_403_FORBIDDEN,
    "refused": status.HTTP_409_CONFLICT,
    "agreement_refused": status.HTTP_409_CONFLICT,
}


def _first_message(errors) -> str:
    while isinstance(errors, dict | list) and errors:
        errors = next(iter(errors.values())) if isinstance(errors, dict) else errors[0]
    return str(errors)


def api_exception_handler(exc, context):
    if isinstance(exc, DOMAIN_ERRORS):
        code = getattr(exc, "code", "refused")
        return Response(
            {"detail": str(exc), "code": code},
            status=STATUS_BY_CODE.get(code, status.HTTP_409_CONFLICT),
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {
            "detail": _first_message(errors),
            "code": "invalid",
            "errors": errors,
        }
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"detail": str(detail), "code": code}
    return response
