"""Idempotency-Key on POST endpoints: a retry gets the first answer, and nothing is written twice.

A client that sends `Idempotency-Key: <key>` and retries (a timeout, a dropped connection) with
the same key and the same body gets the first answer again, status and JSON, marked with
`Idempotent-Replayed: true`. The same key with another body (or on another endpoint) is refused
with 422. Keys belong to the user: another user's identical key is another request.

Only answers the endpoint returned are kept. A request refused before the endpoint wrote
anything (bad input, a refusal raised as an exception) rolls back with its key, so it can be
fixed and sent again under the same key, as Stripe does.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from leadflow.models import IdempotencyRecord

from .serializers import ErrorSerializer

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 255
KEY_REUSED = _(
    "This Idempotency-Key was already used for a different request; "
    "send a new key for a new request."
)
KEY_INVALID = _("An Idempotency-Key has 1 to 255 characters, none of them control characters.")
# NUL, which PostgreSQL cannot store, and the other C0 controls and DEL. HTTP forbids them in a
# header (gunicorn refuses them itself), but not every server in front of the app does.
_CONTROL = re.compile("[\x00-\x1f\x7f]")

KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID) per request. A retry with the same key and body returns the "
        "first answer and writes nothing; the same key with another body is refused (422)."
    ),
)
KEY_REUSED_RESPONSE = {
    422: OpenApiResponse(ErrorSerializer, description="Idempotency-Key reused with another body.")
}


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = KEY_REUSED
    default_code = "idempotency_key_reused"


def request_hash(*, endpoint: str, data) -> str:
    """sha256 of the endpoint and the body as canonical JSON (key order and spacing ignored)."""
    canonical = json.dumps(
        {"endpoint": endpoint, "body": data},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        cls=JSONEncoder,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _claim(*, user, key: str, endpoint: str, digest: str) -> IdempotencyRecord:
    """The key's record: a new placeholder this request now holds, or the committed first one.

    Race: the placeholder is inserted first, inside the request's transaction. A second request
    with the same key then blocks in its own INSERT on the (user, key) unique index until the
    first commits (and fails, and, reading under READ COMMITTED, replays the first answer) or
    rolls back (and proceeds as if it were the first). So two identical requests never both
    write, and nobody ever sees a placeholder: it commits only together with the answer that
    replaces it.
    """
    try:
        with transaction.atomic():  # a savepoint: the failed INSERT leaves the transaction usable
            return IdempotencyRecord.objects.create(
                user=user,
                key=key,
                endpoint=endpoint,
                request_hash=digest,
                status_code=0,
                response={},
            )
    except IntegrityError:
        return IdempotencyRecord.objects.get(user=user, key=key)


def idempotent(endpoint: str):
    """Decorate an APIView's `post`: honour an Idempotency-Key header, if the client sends one.

    The endpoint runs inside the transaction that holds the key, so its writes and the stored
    answer commit together, or neither does.
    """

    def decorate(method):
        @functools.wraps(method)
        def wrapper(view, request, *args, **kwargs):
            key = request.headers.get(HEADER)
            if key is None:
                return method(view, request, *args, **kwargs)
            if not key or len(key) > KEY_MAX_LENGTH or _CONTROL.search(key):
                raise serializers.ValidationError({HEADER: [KEY_INVALID]})
            digest = request_hash(endpoint=endpoint, data=request.data)
            with transaction.atomic():
                record = _claim(user=request.user, key=key, endpoint=endpoint, digest=digest)
                if record.status_code:  # committed by an earlier request
                    if record.request_hash != digest:
                        raise IdempotencyKeyReused()
                    return Response(
                        record.response,
                        status=record.status_code,
                        headers={REPLAYED_HEADER: "true"},
                    )
                response = method(view, request, *args, **kwargs)
                record.status_code = response.status_code
                # Stored as the client received it: plain JSON, not serializer objects.
                record.response = json.loads(json.dumps(response.data, cls=JSONEncoder))
                record.save(update_fields=["status_code", "response"])
            return response

        return wrapper

    return decorate
