"""What every report endpoint shares: its parameters, who may read it, the response shape."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.response import Response

from funnel.models import Role
from leadflow.api.permissions import roles_may
from leadflow.api.serializers import StrictSerializer
from reporting.params import ReportQuery, report_day_validate

from .serializers import ReportOutputSerializer

# Reports are for the people who steer: marketing, managers, admins, and integrations (BI).
ReportReaders = roles_may(Role.ADMIN, Role.MARKETING, Role.MANAGER, Role.INTEGRATION)

MAX_SPAN = datetime.timedelta(days=3 * 366)


class ReportParams(StrictSerializer):
    start = serializers.DateField(
        validators=[report_day_validate], help_text="First day, in the installation's time zone."
    )
    end = serializers.DateField(
        validators=[report_day_validate], help_text="Day after the last (exclusive)."
    )
    as_of = serializers.DateTimeField(
        required=False,
        validators=[report_day_validate],
        help_text="Rebuild the report from the history recorded by then.",
    )
    campaign = serializers.IntegerField(required=False, min_value=1)
    source = serializers.CharField(required=False, max_length=100)
    team = serializers.SlugField(required=False)
    owner = serializers.CharField(required=False, max_length=150)
    country = serializers.CharField(required=False, min_length=2, max_length=2)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": [_("The end must be after the start.")]})
        if attrs["end"] - attrs["start"] > MAX_SPAN:
            raise serializers.ValidationError({"end": [_("A report covers at most three years.")]})
        return attrs


def report_query(
    request, params_class: type[ReportParams] = ReportParams
) -> tuple[ReportQuery, dict]:
    """The report's question from the query string; bad input raises a 400 naming the field."""
    params = params_class(data=request.query_params.dict())
    params.is_valid(raise_exception=True)
    data = dict(params.validated_data)
    known = {f for f in ReportQuery.__dataclass_fields__ if f != "extra"}
    query = ReportQuery(**{k: v for k, v in data.items() if k in known})
    return query, {k: v for k, v in data.items() if k not in known}


def report_parameters(params_class: type[ReportParams] = ReportParams) -> list[OpenApiParameter]:
    """The query parameters of a report, for the schema."""
    return [
        OpenApiParameter(name, type=_schema_type(field), required=field.required,
                         description=str(field.help_text or ""))
        for name, field in params_class().fields.items()
    ]  # fmt: skip


def _schema_type(field) -> type:
    if isinstance(field, serializers.DateTimeField):
        return datetime.datetime
    if isinstance(field, serializers.DateField):
        return datetime.date
    if isinstance(field, serializers.IntegerField):
        return int
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        return float
    return str


def report_envelope(query: ReportQuery, results, **extra) -> dict:
    return {
        "start": query.start.isoformat(),
        "end": query.end.isoformat(),
        "as_of": query.as_of.isoformat() if query.as_of else None,
        **extra,
        "results": results,
    }


def report_response(
    serializer_class: type[ReportOutputSerializer], query: ReportQuery, results, **extra
) -> Response:
    """The report's envelope, answered through its output serializer."""
    return Response(serializer_class(report_envelope(query, results, **extra)).data)
