"""Admin for the people who run the funnel: marketers, sales managers and admins.

The funnel's definition and its people. Leads and their history are the lead's life app's
(handoff.admin); rows that history refers to are retired (Active unticked), not deleted.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.contrib.auth.admin import UserAdmin
from django.db import models
from django.db.models import Count, F, ForeignObjectRel
from django.urls import reverse
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from leadflow.audit import AuditHistoryAdmin

from .forms import (
    CampaignForm,
    HandoffPairForm,
    StageForm,
    StageMoveForm,
    StageMoveInlineFormSet,
    TeamForm,
    TerritoryForm,
)
from .models import (
    Campaign,
    HandoffPair,
    HandoffTarget,
    ReasonCode,
    ReasonPurpose,
    Role,
    Stage,
    StageMove,
    Team,
    Territory,
    User,
)
from .selectors import target_today, with_target_in_force
from .services import handoff_target_set

EMPTY = "-"  # as the admin shows empty values


def _target_held(form) -> Decimal | None:
    """A changed target_rate of a stored pair's form, put back to the stored rate: a change of
    target is a new version effective today (handoff_target_set, once the pair is saved)."""
    if form.instance.pk is None or "target_rate" not in form.changed_data:
        return None
    wanted = form.instance.target_rate
    form.instance.target_rate = form.initial["target_rate"]
    return wanted


def _target_set(pair, rate: Decimal | None, actor) -> None:
    if rate is not None:
        handoff_target_set(handoff=pair, rate=rate, effective_from=target_today(), actor=actor)


# Translators: {kinds} lists model names (e.g. "leads, stage histories"), {hint} is one of the
# hints below.
DELETE_REFUSED = gettext_lazy("{obj}: {kinds} refer to it. {hint}")
RETIRE_HINT = gettext_lazy("Retire it instead: untick Active.")
DEACTIVATE_HINT = gettext_lazy("Deactivate the account instead: untick Active.")
KEEP_HINT = gettext_lazy("It stays, so the record stays complete.")

# A rate is at most "1.000": a narrow box keeps the handoff list on one screen.
RATE_INPUT = {
    models.DecimalField: {
        "widget": forms.NumberInput(attrs={"min": 0, "max": 1, "style": "width: 6em"})
    }
}


def changelist_link(model: str, label: str, **filters) -> str:
    """A link to the admin list of `model` ("app_label.model_name"), filtered."""
    url = reverse(f"admin:{model.replace('.', '_')}_changelist")
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    return format_html('<a href="{}?{}">{}</a>', url, query, label)


def _percent(rate) -> str:
    return f"{(rate * 100).normalize():f} %" if rate is not None else EMPTY


def _labels(values, choices) -> str:
    names = dict(choices)
    return ", ".join(str(names.get(value, value)) for value in values) or EMPTY


def _weekdays(days) -> str:
    return ", ".join(str(WEEKDAYS_ABBR.get(day, day)) for day in sorted(days)) or EMPTY


class ReadOnlyMixin:
    """Records of what happened: shown, never added, edited or deleted in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StableKeyMixin:
    """The key is how the API and integrations name a row: set once, when the row is added."""

    stable_fields = ("key",)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields + self.stable_fields if obj is not None else fields


class HistoryProtectedDeleteMixin:
    """Refuses to delete a row that protected rows refer to (leads, history, offers...).

    Django's delete confirmation otherwise loads and lists every protected row: for a stage
    holding a million leads that page would not render. One indexed EXISTS per relation
    answers instead, and the message says what to do.
    """

    delete_hint = RETIRE_HINT

    def delete_blockers(self, obj) -> list[str]:
        kinds = set()
        # Hidden relations too: history refers to stages and users with related_name="+".
        for relation in obj._meta.get_fields(include_hidden=True):
            if not isinstance(relation, ForeignObjectRel) or relation.many_to_many:
                continue
            if relation.on_delete not in (models.PROTECT, models.RESTRICT):
                continue
            name = str(relation.related_model._meta.verbose_name_plural)
            referring = relation.related_model._base_manager.filter(**{relation.field.name: obj})
            if name not in kinds and referring.exists():
                kinds.add(name)
        if not kinds:
            return []
        kinds = ", ".join(sorted(kinds))
        return [DELETE_REFUSED.format(obj=obj, kinds=kinds, hint=self.delete_hint)]

    def get_deleted_objects(self, objs, request):
        blockers = [reason for obj in objs for reason in self.delete_blockers(obj)]
        if blockers:
            return [], {}, set(), blockers
        return super().get_deleted_objects(objs, request)


# Users and teams


@admin.register(User)
class LeadflowUserAdmin(AuditHistoryAdmin, HistoryProtectedDeleteMixin, UserAdmin):
    delete_hint = DEACTIVATE_HINT
    fieldsets = (
        UserAdmin.fieldsets[0],
        UserAdmin.fieldsets[1],
        (gettext_lazy("Funnel"), {"fields": ("role", "team", "territory")}),
        *UserAdmin.fieldsets[2:],
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (
            gettext_lazy("Personal info"),
            {"classes": ("wide",), "fields": ("first_name", "last_name", "email")},
        ),
        (
            gettext_lazy("Funnel"),
            {"classes": ("wide",), "fields": ("role", "team", "territory")},
        ),
    )
    list_display = (
        "username",
        "first_name",
        "last_name",
        "email",
        "role",
        "team",
        "territory",
        "is_active",
        "is_staff",
    )
    list_filter = ("role", "team", "territory", "is_active", "is_staff", "is_superuser", "groups")
    list_select_related = ("team", "territory")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "role":
            field.help_text = _(
                "Decides which stage moves the user may make. Superusers act as Admin."
            )
        return field


class MemberInline(ReadOnlyMixin, admin.TabularInline):
    model = User
    fk_name = "team"
    # The username heads each row, with a link to the user.
    fields = readonly_fields = ("full_name", "email", "role", "territory", "is_active")
    verbose_name = gettext_lazy("member")
    verbose_name_plural = gettext_lazy("Members (set a user's team on the user)")
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("username",)

    @admin.display(description=pgettext_lazy("person", "Name"))
    def full_name(self, obj):
        return obj.get_full_name() or EMPTY

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("territory")


class ReceivedHandoffInline(admin.TabularInline):
    """The handoffs a team receives: their target acceptance rates are the team's commitment."""

    model = HandoffPair
    formfield_overrides = RATE_INPUT
    fk_name = "receiving_team"
    # The pair's name heads each row, with a link to the pair.
    fields = ("sending_team", "offered_stage", "accepted_stage", "target", "target_rate")
    readonly_fields = ("sending_team", "offered_stage", "accepted_stage", "target")
    verbose_name = gettext_lazy("handoff this team receives")
    verbose_name_plural = gettext_lazy("Handoffs this team receives")
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description=gettext_lazy("Target"))
    def target(self, obj):
        return _percent(obj.target_in_force)

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        pairs = (
            super()
            .get_queryset(request)
            .select_related("sending_team", "offered_stage", "accepted_stage")
        )
        return with_target_in_force(pairs, day=target_today())


@admin.register(Team)
class TeamAdmin(AuditHistoryAdmin, StableKeyMixin, HistoryProtectedDeleteMixin, admin.ModelAdmin):
    delete_hint = KEEP_HINT
    form = TeamForm
    list_display = ("name", "key", "manager", "member_count", "time_zone", "hours", "days")
    list_select_related = ("manager",)
    search_fields = ("name", "key")
    autocomplete_fields = ("manager",)
    fieldsets = (
        (None, {"fields": ("name", "key", "manager")}),
        (
            gettext_lazy("Working time"),
            {
                "description": gettext_lazy(
                    "The SLA clock of handoffs this team receives runs only in its working time."
                ),
                "fields": ("time_zone", ("workday_start", "workday_end"), "working_days"),
            },
        ),
    )
    inlines = (ReceivedHandoffInline, MemberInline)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members"))

    def save_formset(self, request, form, formset, change):
        if formset.model is not HandoffPair:
            return super().save_formset(request, form, formset, change)
        targets = [(f.instance, _target_held(f)) for f in formset.forms if f.has_changed()]
        super().save_formset(request, form, formset, change)
        for pair, rate in targets:
            _target_set(pair, rate, request.user)

    @admin.display(description=gettext_lazy("Members"), ordering="member_total")
    def member_count(self, obj):
        return changelist_link("funnel.user", str(obj.member_total), team__id__exact=obj.pk)

    @admin.display(description=gettext_lazy("Working hours"))
    def hours(self, obj):
        return _("{start} to {end}").format(
            start=f"{obj.workday_start:%H:%M}", end=f"{obj.workday_end:%H:%M}"
        )

    @admin.display(description=gettext_lazy("Working days"))
    def days(self, obj):
        return _weekdays(obj.working_days)


@admin.register(Territory)
class TerritoryAdmin(AuditHistoryAdmin, StableKeyMixin, admin.ModelAdmin):
    form = TerritoryForm
    list_display = ("name", "key", "country_list", "member_count")
    search_fields = ("name", "key")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description=gettext_lazy("Countries"))
    def country_list(self, obj):
        return ", ".join(obj.countries) or EMPTY

    @admin.display(description=gettext_lazy("Members"), ordering="member_total")
    def member_count(self, obj):
        return changelist_link("funnel.user", str(obj.member_total), territory__id__exact=obj.pk)


# The funnel's shape: stages, moves, handoffs, reasons


class PlainSelectsMixin:
    """Plain stage selects in move rows: edit, add and view icons on each row only add noise."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(field.widget, RelatedFieldWidgetWrapper):
            field.widget = field.widget.widget
        return field


class EntryMoveInline(admin.TabularInline):
    """The move with no from-stage: whether, and by whom, new leads may start in this stage."""

    model = StageMove
    fk_name = "to_stage"
    form = StageMoveForm
    fields = ("roles",)
    max_num = 1
    extra = 0
    verbose_name = gettext_lazy("entry point for new leads")
    verbose_name_plural = gettext_lazy(
        "Entry point for new leads (roles that may add leads in this stage)"
    )

    def get_queryset(self, request):
        return super().get_queryset(request).filter(from_stage__isnull=True)


class MoveOutInline(PlainSelectsMixin, admin.TabularInline):
    model = StageMove
    fk_name = "from_stage"
    form = StageMoveForm
    formset = StageMoveInlineFormSet
    fields = ("to_stage", "roles", "reason_purposes")
    extra = 0
    ordering = ("to_stage__position", "to_stage__key")
    verbose_name = gettext_lazy("allowed move")
    verbose_name_plural = gettext_lazy("Allowed moves out of this stage")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("to_stage")


@admin.register(Stage)
class StageAdmin(AuditHistoryAdmin, StableKeyMixin, HistoryProtectedDeleteMixin, admin.ModelAdmin):
    form = StageForm
    list_display = ("key", "name", "team", "position", "kind", "active")
    list_display_links = ("key",)
    list_editable = ("name", "position", "active")
    # A funnel has a dozen stages or so: no filters or search, the whole list in view.
    list_select_related = ("team",)
    ordering = ("position", "key")
    fieldsets = (
        (
            None,
            {"fields": ("key", "name", "team", "kind", "position", "active", "handoff", "leads")},
        ),
        (gettext_lazy("Entry criteria"), {"fields": ("entry_criteria",)}),
    )
    readonly_fields = ("handoff", "leads")
    inlines = (EntryMoveInline, MoveOutInline)

    def get_changelist_form(self, request, **kwargs):
        # Narrow boxes, so the whole list fits beside the filters.
        kwargs.setdefault(
            "widgets",
            {
                "name": forms.TextInput(attrs={"style": "width: 14em"}),
                "position": forms.NumberInput(attrs={"style": "width: 5em"}),
            },
        )
        return super().get_changelist_form(request, **kwargs)

    @admin.display(description=gettext_lazy("Handoff"))
    def handoff(self, obj):
        # Whole sentences, so that a translation may order them its own way.
        for attr, text in (
            ("handoff_offered", gettext_lazy('Offered in <a href="{url}">{handoff}</a>')),
            ("handoff_accepted", gettext_lazy('Accepted in <a href="{url}">{handoff}</a>')),
        ):
            pair = getattr(obj, attr, None) if obj.pk else None
            if pair is not None:
                url = reverse("admin:funnel_handoffpair_change", args=[pair.pk])
                return format_html(str(text), url=url, handoff=pair.name)
        return EMPTY

    @admin.display(description=gettext_lazy("Leads"))
    def leads(self, obj):
        if obj.pk is None:
            return EMPTY
        return changelist_link("handoff.lead", _("Leads in this stage"), stage__id__exact=obj.pk)


@admin.register(StageMove)
class StageMoveAdmin(AuditHistoryAdmin, admin.ModelAdmin):
    """All allowed moves at a glance; each stage's page edits its own."""

    form = StageMoveForm
    list_display = ("move_from", "to_stage", "role_list", "reason_list")
    list_filter = ("from_stage", "to_stage")
    list_select_related = ("from_stage", "to_stage")
    ordering = (
        F("from_stage__position").asc(nulls_first=True),
        "to_stage__position",
    )
    fields = ("from_stage", "to_stage", "roles", "reason_purposes")

    @admin.display(description=gettext_lazy("From stage"), ordering="from_stage__position")
    def move_from(self, obj):
        return obj.from_stage or _("(new lead)")

    @admin.display(description=gettext_lazy("Roles"))
    def role_list(self, obj):
        return _labels(obj.roles, Role.choices)

    @admin.display(description=gettext_lazy("Reason needed"))
    def reason_list(self, obj):
        return _labels(obj.reason_purposes, ReasonPurpose.choices)


class HandoffTargetInline(ReadOnlyMixin, admin.TabularInline):
    """The handoff's targets over time; a change of Target rate above adds one from today."""

    model = HandoffTarget
    fields = readonly_fields = ("effective_from", "rate_percent", "created_at", "created_by")
    verbose_name = gettext_lazy("target version")
    verbose_name_plural = gettext_lazy("Targets over time (newest first)")
    extra = 0
    can_delete = False
    ordering = ("-effective_from",)

    @admin.display(description=gettext_lazy("Target"))
    def rate_percent(self, obj):
        return _percent(obj.rate)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


@admin.register(HandoffPair)
class HandoffPairAdmin(
    AuditHistoryAdmin, StableKeyMixin, HistoryProtectedDeleteMixin, admin.ModelAdmin
):
    delete_hint = KEEP_HINT
    form = HandoffPairForm
    formfield_overrides = RATE_INPUT
    list_display = (
        "name",
        "offered_stage",
        "accepted_stage",
        "sending_team",
        "receiving_team",
        "target",
        "target_rate",
    )
    list_display_links = ("name",)
    list_editable = ("target_rate",)
    list_select_related = ("offered_stage", "accepted_stage", "sending_team", "receiving_team")
    fieldsets = (
        (None, {"fields": ("name", "key")}),
        (
            gettext_lazy("Handoff"),
            {
                "description": gettext_lazy(
                    "The sending team offers a lead into the offered stage; the "
                    "receiving team accepts it into the accepted stage or rejects it."
                ),
                "fields": (
                    ("sending_team", "offered_stage"),
                    ("receiving_team", "accepted_stage"),
                    "reject_stage",
                    "target_rate",
                ),
            },
        ),
    )

    inlines = (HandoffTargetInline,)

    def get_queryset(self, request):
        return with_target_in_force(super().get_queryset(request), day=target_today())

    @admin.display(description=gettext_lazy("Target today"), ordering="target_in_force")
    def target(self, obj):
        return _percent(obj.target_in_force)

    def get_object(self, request, object_id, from_field=None):
        pair = super().get_object(request, object_id, from_field)
        if pair is not None:
            # The form shows, and a change starts from, the target in force today.
            pair.target_rate = pair.target_in_force
        return pair

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "target_rate":
            field.help_text = _(
                "The target in force today, 0 to 1 (1 = 100%). A change holds from today on; "
                "past weeks keep the target they had (see Targets over time)."
            )
        return field

    def save_model(self, request, obj, form, change):
        rate = _target_held(form)
        super().save_model(request, obj, form, change)
        _target_set(obj, rate, request.user)

    def audit_related(self, obj):
        return [obj.targets.all()]


@admin.register(ReasonCode)
class ReasonCodeAdmin(AuditHistoryAdmin, StableKeyMixin, admin.ModelAdmin):
    """Stage history refers to reason codes, so they are retired (Active unticked), not deleted."""

    stable_fields = ("code",)
    list_display = ("code", "label", "purpose", "position", "active")
    list_display_links = ("code",)
    list_editable = ("label", "position", "active")
    list_filter = ("purpose", "active")
    search_fields = ("code", "label")
    fields = ("purpose", "code", "label", "position", "active")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(AuditHistoryAdmin, admin.ModelAdmin):
    form = CampaignForm
    list_display = ("name", "channel", "start", "end", "cost", "leads")
    list_filter = ("channel",)
    date_hierarchy = "start"
    search_fields = ("name",)

    @admin.display(description=gettext_lazy("Leads"))
    def leads(self, obj):
        return changelist_link("handoff.lead", _("View leads"), campaign__id__exact=obj.pk)
