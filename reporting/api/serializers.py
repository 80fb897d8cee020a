"""The output side of the report endpoints: the envelope, typed fields, and what rows share."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


# A report's answer (or a row of it), typed for the schema. The report's own dict keeps deciding
# the order of its keys, so the JSON reads as the selector wrote it; a key the dict does not have
# (an optional field) is left out. (Comments, not docstrings, on these bases: the schema would
# show a docstring as the description of every report's component.)
class ReportOutputSerializer(serializers.Serializer):
    def to_representation(self, instance):
        data = super().to_representation(instance)
        return {key: data[key] for key in instance if key in data}


# What every report answers with: its question, its own parameters, then `results`.
class ReportEnvelopeSerializer(ReportOutputSerializer):
    start = serializers.DateField(help_text="First day, in the installation's time zone.")
    end = serializers.DateField(help_text="Day after the last (exclusive).")
    as_of = serializers.DateTimeField(
        allow_null=True, help_text="The report as it stood then; null: as of now."
    )


class MoneyField(serializers.DecimalField):
    """An amount as reports write money: a decimal string with two decimals ("1000.00")."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=None, decimal_places=2, **kwargs)


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class ReportGroupField(serializers.Field):
    """A row's group as the report keys it: a campaign by its id (an integer), anything else by
    a string (a source, a team or user, a week's Monday)."""

    def to_representation(self, value):
        return value


# A lead as a report lists it (the black hole, hidden gems).
class ReportLeadSerializer(ReportOutputSerializer):
    lead_id = serializers.IntegerField()
    email = serializers.CharField()
    company = serializers.CharField()
