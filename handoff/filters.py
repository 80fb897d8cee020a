"""Filters of the lead list (API)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from funnel.filters import UtcDateTimeFilter
from handoff.models import Lead
from handoff.selectors import lead_search


class LeadFilter(django_filters.FilterSet):
    stage = django_filters.CharFilter(field_name="stage__key")
    owner = django_filters.CharFilter(field_name="owner__username")
    team = django_filters.CharFilter(field_name="team__key")
    campaign = django_filters.NumberFilter(field_name="campaign_id")
    source = django_filters.CharFilter(field_name="source", lookup_expr="iexact")
    country = django_filters.CharFilter(method="filter_country")
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte")
    score_max = django_filters.NumberFilter(field_name="score", lookup_expr="lte")
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    q = django_filters.CharFilter(method="filter_search", label=_("Search name, email, company"))

    class Meta:
        model = Lead
        fields = []

    def filter_country(self, queryset, name, value):
        return queryset.filter(country=value.strip().upper())

    def filter_search(self, queryset, name, value):
        return lead_search(queryset, value)
