"""Marketing activity in bulk: visits, form fills, email clicks, and the scoring they bring."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from handoff.api.ingest import BULK_RESPONSES, INGESTS, bulk_response, rows_field, rows_validate
from handoff.models import Activity
from handoff.services.ingest import activities_ingest
from leadflow.api.idempotency import KEY_PARAMETER, idempotent
from leadflow.api.permissions import roles_may
from leadflow.api.serializers import StrictSerializer


class LeadRefSerializer(StrictSerializer):
    """Which lead: by external_id, else by email."""

    external_id = serializers.CharField(max_length=100, required=False)
    email = serializers.EmailField(max_length=254, required=False)


class ActivityRowSerializer(StrictSerializer):
    lead = LeadRefSerializer()
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    at = serializers.DateTimeField(help_text="When it happened.")
    detail = serializers.DictField(
        required=False, default=dict, help_text="What scoring rules match on (url, form, …)."
    )


class ActivityBulkInputSerializer(StrictSerializer):
    activities = rows_field(ActivityRowSerializer)


class ActivityBulkApi(APIView):
    """Record up to 1,000 activities on known leads; each row reports created or error.

    A row's lead is found as lead ingestion finds it (a merged lead stands for its survivor);
    an unknown lead is an error of that row. Scoring rules add the activity's points.
    """

    permission_classes = [roles_may(*INGESTS)]

    @extend_schema(
        request=ActivityBulkInputSerializer, responses=BULK_RESPONSES, parameters=[KEY_PARAMETER]
    )
    @idempotent("activities-bulk")
    def post(self, request):
        data = ActivityBulkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        valid, refused = rows_validate(data.validated_data["activities"], ActivityRowSerializer)
        return bulk_response(refused, activities_ingest(rows=valid))
