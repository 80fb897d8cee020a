"""Reads of the leads list (`/leads/`) and its CSV export: the query-string contract's filters,
its sorts, keyset pages and a bounded count.

One FilterSet reads every parameter of the contract; the list page, the export, saved views and
the dashboard's links all go through it, so a number clicked on the dashboard and the list it
opens are the same set. The report-linked filters (entered, cohort, handoff, holder, won, black
hole) are subqueries on each lead, never joins: a lead that entered a stage twice, or had three
offers, is listed once.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from funnel.models import Campaign, HandoffPair, Role, Stage, Team, User
from handoff.models import Disposition, Lead, Offer, OfferStatus, StageTransition
from handoff.selectors import lead_search, lead_visible
from leadflow.locale import local_midnight

PAGE_SIZE = 50
# The count shown is exact up to this many leads, then "10,000+": counting stops there, so a
# page never counts a million rows. `count=all` asks for the exact figure, once.
COUNT_CAP = 10_000

# The days a filter may name: local midnight of any of them is a valid moment in any time zone.
FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)
DAY_OUT_OF_RANGE = _("Give a day from 1900-01-01 to 2999-12-31.")
DAY_INVALID = _("Give a day as YYYY-MM-DD.")
SCORES_REVERSED = _("The lowest score is above the highest.")
WINDOW_REVERSED = _("The window ends before it starts.")
COUNTRY_INVALID = _("Give a two-letter country code (ISO 3166), e.g. DE.")
CURSOR_INVALID = _("This page link is broken or is from another sort; start from the first page.")

# sort parameter -> (column, descending)
SORTS = {
    "-updated": ("updated_at", True),
    "updated": ("updated_at", False),
    "-created": ("created_at", True),
    "created": ("created_at", False),
    "-score": ("score", True),
    "score": ("score", False),
    "last_name": ("last_name", False),
    "-last_name": ("last_name", True),
}
DEFAULT_SORT = "-updated"
SORT_LABELS = {
    "-updated": _("Recently updated first"),
    "updated": _("Least recently updated first"),
    "-created": _("Newest first"),
    "created": _("Oldest first"),
    "-score": _("Highest score first"),
    "score": _("Lowest score first"),
    "last_name": _("Last name A to Z"),
    "-last_name": _("Last name Z to A"),
}
DECISIONS = {
    "accepted": Q(status=OfferStatus.ACCEPTED),
    "rejected": Q(status=OfferStatus.REJECTED),
    "expired": Q(status=OfferStatus.EXPIRED),
    "withdrawn": Q(status=OfferStatus.WITHDRAWN),
    # Neither decided nor withdrawn: the handoff report's "pending".
    "pending": Q(status=OfferStatus.PENDING),
}
# How the decision filter's select names each (the values are the contract's keys).
DECISION_LABELS = {
    "accepted": pgettext_lazy("offer decision", "accepted"),
    "rejected": pgettext_lazy("offer decision", "rejected"),
    "expired": pgettext_lazy("offer decision", "expired"),
    "withdrawn": pgettext_lazy("offer decision", "withdrawn"),
    "pending": pgettext_lazy("offer decision", "pending"),
}
# Parameters that only say how to show the set, not which leads are in it.
NOT_FILTERS = ("sort", "after", "view", "count")


class DayField(forms.DateField):
    """A day as YYYY-MM-DD only, inside the range a moment can be made of."""

    input_formats = ["%Y-%m-%d"]
    widget = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    default_error_messages = {"invalid": DAY_INVALID}

    def validate(self, value):
        super().validate(value)
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise forms.ValidationError(DAY_OUT_OF_RANGE, code="out_of_range")


class DayFilter(django_filters.Filter):
    """A day compared as its local midnight: `gte` for *_after (inclusive), `lt` for *_before."""

    field_class = DayField

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        return qs.filter(**{f"{self.field_name}__{self.lookup_expr}": local_midnight(value)})


class WindowDay(django_filters.Filter):
    """A day that bounds a report-linked window; `LeadListFilter.filter_queryset` applies it
    with the rest of its window."""

    field_class = DayField

    def filter(self, qs, value):
        return qs


class CountryField(forms.CharField):
    """ISO 3166 alpha-2, any case; read upper-case."""

    def clean(self, value):
        value = super().clean(value).strip().upper()
        if value and not (len(value) == 2 and value.isascii() and value.isalpha()):
            raise forms.ValidationError(COUNTRY_INVALID, code="invalid")
        return value


class CountryFilter(django_filters.CharFilter):
    field_class = CountryField


class IntFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class LeadListForm(forms.Form):
    """The cross-field checks of the list's filters."""

    def clean(self):
        data = super().clean()
        low, high = data.get("score_min"), data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", SCORES_REVERSED)
        for start, end in (
            ("created_after", "created_before"),
            ("updated_after", "updated_before"),
            ("entered_after", "entered_before"),
            ("cohort_after", "cohort_before"),
            ("offered_after", "offered_before"),
            ("won_after", "won_before"),
        ):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, WINDOW_REVERSED)
        return data


def _stages():
    return Stage.objects.order_by("position", "key")


def _people():
    return User.objects.exclude(role=Role.INTEGRATION).order_by("username")


class LeadListFilter(django_filters.FilterSet):
    """Every parameter of the /leads/ query-string contract (handoff/lead_list.py's module doc
    names where it is written down), checked by its form: a bad value is the form's error."""

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    stage = django_filters.ModelMultipleChoiceFilter(
        field_name="stage__key", to_field_name="key", queryset=_stages(), label=_("Stage")
    )
    owner = django_filters.ModelChoiceFilter(
        field_name="owner",
        to_field_name="username",
        queryset=_people(),
        label=_("Owner"),
        empty_label=_("Anyone"),
    )
    team = django_filters.ModelChoiceFilter(
        field_name="team", to_field_name="key", queryset=Team.objects.order_by("name"),
        label=_("Team"), empty_label=_("Any team"),
    )  # fmt: skip
    campaign = django_filters.ModelChoiceFilter(
        field_name="campaign",
        queryset=Campaign.objects.order_by("name"),
        label=_("Campaign"),
        empty_label=_("Any campaign"),
    )
    source = django_filters.CharFilter(field_name="source", lookup_expr="iexact", label=_("Source"))
    country = CountryFilter(field_name="country", label=_("Country"))
    score_min = IntFilter(field_name="score", lookup_expr="gte", label=_("Score from"))
    score_max = IntFilter(field_name="score", lookup_expr="lte", label=_("Score to"))
    created_after = DayFilter(field_name="created_at", lookup_expr="gte", label=_("Created from"))
    created_before = DayFilter(field_name="created_at", lookup_expr="lt", label=_("Created before"))
    updated_after = DayFilter(field_name="updated_at", lookup_expr="gte", label=_("Updated from"))
    updated_before = DayFilter(field_name="updated_at", lookup_expr="lt", label=_("Updated before"))
    entered = django_filters.ModelChoiceFilter(
        to_field_name="key",
        queryset=_stages(),
        method="filter_none",
        label=_("Entered stage"),
        empty_label=_("Any stage"),
    )
    entered_after = WindowDay(label=_("Entered from"))
    entered_before = WindowDay(label=_("Entered before"))
    cohort_after = WindowDay(label=_("First entry from"))
    cohort_before = WindowDay(label=_("First entry before"))
    handoff = django_filters.ModelChoiceFilter(
        to_field_name="key", queryset=HandoffPair.objects.order_by("key"), method="filter_none",
        label=_("Handoff"), empty_label=_("Any handoff"),
    )  # fmt: skip
    offered_after = WindowDay(label=_("Offered from"))
    offered_before = WindowDay(label=_("Offered before"))
    decision = django_filters.ChoiceFilter(
        choices=[(key, DECISION_LABELS[key]) for key in DECISIONS],
        method="filter_none",
        label=_("Decision"),
        empty_label=_("Any decision"),
    )
    holder = django_filters.ModelChoiceFilter(
        to_field_name="username",
        queryset=_people(),
        method="filter_none",
        label=_("Holder"),
        empty_label=_("Anyone"),
    )
    holder_team = django_filters.ModelChoiceFilter(
        to_field_name="key", queryset=Team.objects.order_by("name"), method="filter_none",
        label=_("Holder's team"), empty_label=_("Any team"),
    )  # fmt: skip
    won_after = WindowDay(label=_("Won from"))
    won_before = WindowDay(label=_("Won before"))
    black_hole = django_filters.ChoiceFilter(
        choices=[("1", _("Only black holes"))],
        method="filter_none",
        label=_("Black hole"),
        empty_label=_("All leads"),
    )
    sort = django_filters.ChoiceFilter(
        choices=list(SORT_LABELS.items()), method="filter_none", empty_label=None,
        label=_("Sort"),
    )  # fmt: skip
    after = django_filters.CharFilter(method="filter_none", label=_("Next page after"))

    class Meta:
        model = Lead
        fields: list[str] = []
        form = LeadListForm

    def filter_none(self, queryset, name, value):
        return queryset  # applied in filter_queryset, or not a filter (sort, after)

    def filter_search(self, queryset, name, value):
        return lead_search(queryset, value)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        return report_filters(queryset, data, now=timezone.now())


def _window(field: str, start, end) -> dict:
    lookups = {}
    if start:
        lookups[f"{field}__gte"] = local_midnight(start)
    if end:
        lookups[f"{field}__lt"] = local_midnight(end)
    return lookups


def report_filters(queryset: QuerySet[Lead], data: dict, *, now) -> QuerySet[Lead]:
    """The filters that follow a report's figure to its leads, each a subquery per lead."""
    lead = OuterRef("pk")
    entered = data.get("entered")
    after, before = data.get("entered_after"), data.get("entered_before")
    if entered or after or before:
        moves = StageTransition.objects.filter(lead=lead, **_window("at", after, before))
        if entered:
            moves = moves.filter(to_stage=entered)
        queryset = queryset.filter(Exists(moves))
    after, before = data.get("cohort_after"), data.get("cohort_before")
    if after or before:
        # The funnel report's cohort: the lead's first transition (by at, id) is in the window.
        first = StageTransition.objects.filter(lead=lead).order_by("at", "id").values("at")[:1]
        queryset = queryset.alias(_first_entry=Subquery(first)).filter(
            **_window("_first_entry", after, before)
        )
    handoff, decision = data.get("handoff"), data.get("decision")
    after, before = data.get("offered_after"), data.get("offered_before")
    if handoff or decision or after or before:
        offers = Offer.objects.filter(lead=lead, **_window("offered_at", after, before))
        if handoff:
            offers = offers.filter(handoff=handoff)
        if decision:
            offers = offers.filter(DECISIONS[decision])
        queryset = queryset.filter(Exists(offers))
    holder, holder_team = data.get("holder"), data.get("holder_team")
    if holder or holder_team:
        # The reports' holder: the assignee of the lead's most recently accepted offer.
        accepted = Offer.objects.filter(
            lead=lead, status=OfferStatus.ACCEPTED, decided_at__isnull=False
        ).order_by("-decided_at", "-id")
        if holder:
            queryset = queryset.alias(_holder=Subquery(accepted.values("assignee_id")[:1])).filter(
                _holder=holder.pk
            )
        if holder_team:
            queryset = queryset.alias(
                _holder_team=Subquery(accepted.values("assignee__team_id")[:1])
            ).filter(_holder_team=holder_team.pk)
    after, before = data.get("won_after"), data.get("won_before")
    if after or before:
        won = Disposition.objects.filter(
            lead=lead, kind=Disposition.Kind.WON, **_window("at", after, before)
        )
        queryset = queryset.filter(Exists(won))
    if data.get("black_hole"):
        holes = Offer.objects.filter(
            lead=lead, status=OfferStatus.ACCEPTED, closed_at__isnull=True, work_due_at__lt=now
        )
        if handoff:
            holes = holes.filter(handoff=handoff)
        queryset = queryset.filter(Exists(holes))
    return queryset


# --- the query: a saved view, filters, sort ---------------------------------------------------


def query_of(params: QueryDict, saved: str | None) -> QueryDict:
    """The list's parameters: a saved view's query, then what the URL adds or overrides."""
    query = QueryDict(saved or "", mutable=True)
    for key in params:
        if key == "view":
            continue
        query.setlist(key, params.getlist(key))
    return query


def is_filtered(query: QueryDict) -> bool:
    """Whether any parameter narrows the set (the sort, a page, a view's id do not)."""
    return any(key not in NOT_FILTERS and any(query.getlist(key)) for key in query)


def leads_shown(user: User) -> QuerySet[Lead]:
    """The leads `user` may see, with what the list's columns show, in one query."""
    return (
        lead_visible(user)
        .select_related("stage", "owner", "team", "campaign")
        .only(
            "first_name", "last_name", "email", "company", "source", "country", "score",
            "updated_at", "created_at", "external_id",
            "stage__key", "stage__name", "owner__username", "owner__first_name",
            "owner__last_name", "team__key", "team__name", "campaign__name",
        )
    )  # fmt: skip


def sorted_by(queryset: QuerySet[Lead], sort: str) -> QuerySet[Lead]:
    """In the sort's order, ties broken by id the same way: a total order keyset pages on."""
    column, descending = SORTS[sort]
    sign = "-" if descending else ""
    return queryset.order_by(f"{sign}{column}", f"{sign}id")


# --- keyset pages -----------------------------------------------------------------------------


def cursor_make(lead: Lead, sort: str) -> str:
    """The `after` of the page that follows `lead`: its sort value and id, opaque to callers."""
    column, _descending = SORTS[sort]
    value = getattr(lead, column)
    if isinstance(value, datetime.datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, lead.pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class CursorInvalid(ValueError):
    pass


def cursor_read(after: str, sort: str) -> tuple:
    """The (value, id) an `after` names; CursorInvalid for a forged one or another sort's."""
    try:
        raw = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4))
        cursor_sort, value, pk = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise CursorInvalid(after) from exc
    column, _descending = SORTS[sort]
    if cursor_sort != sort or not isinstance(pk, int) or isinstance(pk, bool):
        raise CursorInvalid(after)
    if column in ("updated_at", "created_at"):
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None or moment.tzinfo is None:
            raise CursorInvalid(after)
        value = moment
    elif column == "score":
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) > 2**31:
            raise CursorInvalid(after)
    elif not isinstance(value, str):
        raise CursorInvalid(after)
    return value, pk


def after_cursor(queryset: QuerySet[Lead], sort: str, after: str) -> QuerySet[Lead]:
    """The leads after the cursor in the sort's order: `(column, id) < (value, id)` (or >), a
    row comparison the (column, id) index answers as one range, however many leads share the
    value (a score of 0, the same last name). Django's tuple lookups, which composite primary
    keys use, write it for PostgreSQL and SQLite alike."""
    value, pk = cursor_read(after, sort)
    column, descending = SORTS[sort]
    beyond = TupleLessThan if descending else TupleGreaterThan
    return queryset.filter(beyond(Tuple(F(column), F("pk")), (value, pk)))


@dataclass(frozen=True)
class LeadPage:
    leads: list[Lead]
    next_after: str | None  # the `after` of the next page; None on the last one


def lead_page(queryset: QuerySet[Lead], *, sort: str, after: str = "") -> LeadPage:
    """One page of the sorted set: PAGE_SIZE leads, and whether more follow (read as one more
    row, not counted)."""
    ordered = sorted_by(queryset, sort)
    if after:
        ordered = after_cursor(ordered, sort, after)
    rows = list(ordered[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return LeadPage(leads=rows, next_after=cursor_make(rows[-1], sort) if more else None)


def lead_count(queryset: QuerySet[Lead], *, cap: int | None = COUNT_CAP) -> tuple[int, bool]:
    """How many leads match, counted up to `cap` (None: all): (count, whether there are more)."""
    if cap is None:
        return queryset.order_by().count(), False
    counted = queryset.order_by().values("pk")[: cap + 1].count()
    return min(counted, cap), counted > cap
