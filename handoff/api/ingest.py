"""Ingestion: leads in bulk (upsert), and merging a duplicate lead into its survivor.

Bulk endpoints answer 200 with one result per row, in input order: a bad row is reported, never
blocks the others. Rows are validated one by one here; `handoff.services.ingest` writes them.
"""

from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from funnel.models import Role
from handoff.models import Lead
from handoff.selectors import lead_visible
from handoff.services.ingest import BATCH_MAX, RowResult, RowStatus, lead_survivor, leads_ingest
from handoff.services.merge import lead_merge
from leadflow.api.idempotency import KEY_PARAMETER, KEY_REUSED_RESPONSE, idempotent
from leadflow.api.permissions import roles_may
from leadflow.api.serializers import ERRORS, StrictSerializer

from .leads import READ_ONLY, LeadContactSerializer, LeadOutputSerializer, lead_for, lead_shown

BATCH_TOO_BIG = format_lazy(
    _("At most {max} rows per request; split the batch."), max=f"{BATCH_MAX:,}"
)
BATCH_EMPTY = _("Send at least one row.")
INGESTS = (Role.INTEGRATION, Role.MARKETING, Role.ADMIN)


def rows_field(row_serializer: type[serializers.Serializer]) -> serializers.ListField:
    """A list of 1 to BATCH_MAX rows, each validated on its own later (`rows_validate`).

    The schema shows the rows as `row_serializer` describes them.
    """

    @extend_schema_field(row_serializer(many=True))
    class RowsField(serializers.ListField):
        pass

    return RowsField(
        child=serializers.JSONField(),
        allow_empty=False,
        max_length=BATCH_MAX,
        error_messages={"empty": BATCH_EMPTY, "max_length": BATCH_TOO_BIG},
    )


def _flat(errors, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as `{"lead.email": [messages]}`."""
    flat = {}
    for name, messages in errors.items():
        if isinstance(messages, dict):
            flat.update(_flat(messages, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = [str(message) for message in messages]
    return flat


def rows_validate(
    rows: list, row_serializer: type[serializers.Serializer]
) -> tuple[list[tuple[int, dict]], list[RowResult]]:
    """Each row through `row_serializer`: the valid ones `(index, data)`, the others as errors.

    One serializer checks every row: building its fields once, not per row, is most of what
    validating a thousand rows costs.
    """
    checker = row_serializer()
    valid, refused = [], []
    for index, row in enumerate(rows):
        try:
            valid.append((index, checker.run_validation(row)))
        except serializers.ValidationError as exc:
            errors = (
                exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            )
            refused.append(RowResult(index=index, status=RowStatus.ERROR, errors=_flat(errors)))
    return valid, refused


class RowResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The row's position in the request, from 0.")
    status = serializers.ChoiceField(choices=[s.value for s in RowStatus])
    id = serializers.IntegerField(allow_null=True, help_text="What the row wrote; null on error.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field of the row; empty unless status is error.",
    )


class BulkResultSerializer(serializers.Serializer):
    results = RowResultSerializer(many=True, help_text="One per row, in input order.")


def bulk_response(*results: list[RowResult]) -> Response:
    ordered = sorted((r for part in results for r in part), key=lambda r: r.index)
    return Response(BulkResultSerializer({"results": ordered}).data)


BULK_RESPONSES = {200: BulkResultSerializer, **ERRORS, **KEY_REUSED_RESPONSE}


class LeadRowSerializer(LeadContactSerializer):
    """One lead of a bulk upsert, found by external_id, else by email."""

    read_only_messages = {k: v for k, v in READ_ONLY.items() if k not in ("stage", "score")}

    stage = serializers.SlugField(
        max_length=50,
        required=False,
        help_text="Entry stage of a new lead (default inquiry). An existing lead's stage may "
        "be repeated, not changed.",
    )
    score = serializers.IntegerField(
        required=False,
        help_text="Initial score of a new lead. An existing lead's score may be repeated, "
        "not changed.",
    )


class LeadBulkInputSerializer(StrictSerializer):
    leads = rows_field(LeadRowSerializer)


class LeadBulkApi(APIView):
    """Create or update up to 1,000 leads; each row reports created, updated, unchanged or error.

    A row finds its lead by external_id, else by email (trimmed, lower-case); a lead merged
    into another stands for the survivor. Rows are taken in order: a second row for the same
    person updates the lead the first created.
    """

    permission_classes = [roles_may(*INGESTS)]

    @extend_schema(
        request=LeadBulkInputSerializer, responses=BULK_RESPONSES, parameters=[KEY_PARAMETER]
    )
    @idempotent("leads-bulk")
    def post(self, request):
        data = LeadBulkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        valid, refused = rows_validate(data.validated_data["leads"], LeadRowSerializer)
        return bulk_response(refused, leads_ingest(actor=request.user, rows=valid))


class MergeInputSerializer(StrictSerializer):
    duplicate = serializers.IntegerField(help_text="Id of the lead to merge into this one.")


def lead_or_merged_for(request, pk) -> Lead:
    """The lead if visible; a merged lead whose survivor is visible, so that merging it again
    is refused with where it went rather than a bare 404; otherwise 404."""
    merged = Lead.objects.filter(~Q(merged_into=None), pk=pk).first()
    if (
        merged is not None
        and lead_visible(request.user).filter(pk=lead_survivor(merged).pk).exists()
    ):
        return merged
    return lead_for(request, pk)


class LeadMergeApi(APIView):
    """Merge the duplicate into this lead; answers with this lead (the survivor).

    The duplicate's offers, touches, activities and dispositions move here, its open offers
    ending first; its stage history stays on it, marked merged. Empty contact fields here are
    filled from it. Both leads must be visible to you.
    """

    permission_classes = [roles_may(*INGESTS, Role.MANAGER)]

    @extend_schema(request=MergeInputSerializer, responses={200: LeadOutputSerializer, **ERRORS})
    def post(self, request, pk: int):
        survivor = lead_or_merged_for(request, pk)
        data = MergeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        duplicate = lead_or_merged_for(request, data.validated_data["duplicate"])
        lead_merge(survivor=survivor, duplicate=duplicate, actor=request.user)
        return Response(LeadOutputSerializer(lead_shown(request, pk)).data)
