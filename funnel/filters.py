import datetime

import django_filters
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError

from .models import Campaign, ReasonCode, ReasonPurpose, Role, User


def search_words(queryset, value: str, fields: list[str]):
    """Rows where every word of `value` appears (any case) in at least one of `fields`."""
    for word in value.split():
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(any_field)
    return queryset


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 moment, compared in UTC: PostgreSQL refuses offsets past ±15:59."""

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(datetime.UTC)
            except OverflowError as exc:
                raise ValidationError({self.field_name: [_("Out of range.")]}) from exc
        return super().filter(qs, value)


class UserFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(field_name="role", choices=Role.choices)
    team = django_filters.CharFilter(field_name="team__key")
    is_active = django_filters.BooleanFilter(field_name="is_active")
    q = django_filters.CharFilter(
        method="filter_search", label=gettext_lazy("Search username, name, email")
    )

    class Meta:
        model = User
        fields = []

    def filter_search(self, queryset, name, value):
        return search_words(queryset, value, ["username", "first_name", "last_name", "email"])


class ReasonCodeFilter(django_filters.FilterSet):
    purpose = django_filters.ChoiceFilter(field_name="purpose", choices=ReasonPurpose.choices)

    class Meta:
        model = ReasonCode
        fields = []


class CampaignFilter(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(field_name="channel", choices=Campaign.Channel.choices)
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label=gettext_lazy("Name contains")
    )

    class Meta:
        model = Campaign
        fields = []
