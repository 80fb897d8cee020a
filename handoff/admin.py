"""Admin of a lead's life: leads and their history, offers, routing, SLA agreements, work.

A lead's stage, its team and its stage history are written only by handoff.services.leads
(lead_create, lead_transition): here they are read-only, and history can be neither changed
nor deleted.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, Max, Q
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from funnel.admin import EMPTY, ReadOnlyMixin
from funnel.models import Campaign, HandoffPair
from leadflow.audit import AuditHistoryAdmin

from .forms import LeadAddForm, LeadForm
from .models import (
    Activity,
    Disposition,
    Lead,
    Notification,
    NotificationPreference,
    Offer,
    RepProfile,
    RoutingRule,
    ScoringRule,
    SlaAgreement,
    SlaStep,
    SlaTimer,
    StageTransition,
    Touch,
)
from .services.leads import lead_create, lead_update
from .services.routing import routing_decide, routing_explain
from .services.sla import AgreementError, agreement_revise, agreement_sign_off

# Leads and their history


class TextInputFilter(admin.SimpleListFilter):
    """A typed value instead of a list of values: listing them would scan every lead."""

    template = "admin/funnel/input_filter.html"
    placeholder = ""

    def lookups(self, request, model_admin):
        return [("", "")]  # the filter shows only when it has a lookup

    def choices(self, changelist):
        kept = {k: v for k, v in changelist.params.items() if k != self.parameter_name}
        yield {
            "selected": not self.value(),
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "kept_params": kept.items(),
            "placeholder": self.placeholder,
            "display": gettext("All"),
        }


class CountryFilter(TextInputFilter):
    title = _("country")
    parameter_name = "country"
    placeholder = _("e.g. DE")

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(country=self.value().strip().upper())
        return queryset


class SourceFilter(TextInputFilter):
    title = _("source")
    parameter_name = "source"
    placeholder = _("e.g. webinar")

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(source__iexact=self.value().strip())
        return queryset


class RecentCampaignFilter(admin.SimpleListFilter):
    """The latest campaigns, not all of them: older ones are reached from their campaign."""

    title = _("campaign (latest)")
    parameter_name = "campaign__id__exact"
    shown = 20

    def lookups(self, request, model_admin):
        campaigns = list(Campaign.objects.order_by(F("start").desc(nulls_last=True), "-id"))
        latest = campaigns[: self.shown]
        chosen = [c for c in campaigns[self.shown :] if str(c.pk) == self.value()]
        return [(c.pk, c.name) for c in [*latest, *chosen]]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(campaign_id=self.value())
        return queryset


class HistoryInline(ReadOnlyMixin, admin.TabularInline):
    """A lead's stage history, oldest first. Append-only: the database refuses edits too."""

    model = StageTransition
    fk_name = "lead"
    fields = readonly_fields = ("at", "from_stage", "to_stage", "by", "reason", "handoff", "note")
    ordering = ("at", "id")
    verbose_name = _("stage change")
    verbose_name_plural = _("Stage history")
    extra = 0
    can_delete = False

    @admin.display(description=_("By"))
    def by(self, obj):
        return _actor(obj)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("from_stage", "to_stage", "actor", "reason", "handoff")
        )


def _actor(transition: StageTransition) -> str:
    if transition.actor is not None:
        return transition.actor.get_full_name() or transition.actor.get_username()
    return transition.actor_label or EMPTY


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    """Leads are added through lead_create and never deleted: their history is kept."""

    form = LeadForm
    add_form = LeadAddForm
    list_display = (
        "display_name",
        "email",
        "company",
        "country",
        "stage",
        "owner",
        "campaign",
        "score",
        "in_stage_since",
    )
    list_filter = ("stage", "team", SourceFilter, RecentCampaignFilter, CountryFilter)
    list_select_related = ("stage", "team", "owner", "campaign")
    search_fields = ("email", "first_name", "last_name", "company", "external_id")
    # Counting a million leads, per page and per filter choice, costs more than it tells.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    autocomplete_fields = ("campaign",)
    readonly_fields = (
        "stage",
        "stage_entered_at",
        "team",
        "owner",
        "score",
        "recycle_count",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (_("Contact"), {"fields": (("first_name", "last_name"), "email", "phone", "title")}),
        (
            _("Company"),
            {"fields": ("company", "industry", "employees", ("country", "region", "city"))},
        ),
        (_("Marketing"), {"fields": ("source", "campaign", "score")}),
        (
            _("Funnel"),
            {
                "description": _(
                    "The stage changes only through the funnel's moves, never here; "
                    "every change is listed in the stage history below."
                ),
                "fields": (("stage", "stage_entered_at"), "team", "owner", "recycle_count"),
            },
        ),
        (
            _("Integration"),
            {
                "classes": ("collapse",),
                "fields": ("external_id", "crm_id", "attributes", "created_at", "updated_at"),
            },
        ),
    )
    add_fieldsets = (
        (_("Contact"), {"fields": (("first_name", "last_name"), "email", "phone", "title")}),
        (
            _("Company"),
            {"fields": ("company", "industry", "employees", ("country", "region", "city"))},
        ),
        (_("Marketing"), {"fields": ("source", "campaign")}),
        (_("Funnel"), {"fields": ("entry_stage", "note")}),
        (_("Integration"), {"classes": ("collapse",), "fields": ("external_id", "crm_id")}),
    )
    inlines = (HistoryInline,)

    @admin.display(description=_("Name"), ordering="last_name")
    def display_name(self, obj):
        return f"{obj.first_name} {obj.last_name}".strip() or gettext("(no name)")

    @admin.display(description=_("In stage since"), ordering="stage_entered_at")
    def in_stage_since(self, obj):
        return date_format(timezone.localtime(obj.stage_entered_at), "SHORT_DATE_FORMAT")

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term and " " not in term:
            # A whole email address or external id: indexes answer it, where a
            # substring search reads every lead. A partial one falls through to that.
            exact = queryset.filter(Q(email=term.lower()) | Q(external_id=term))
            if exact.exists():
                return exact, False
        return super().get_search_results(request, queryset, search_term)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            # The entry stages offered depend on who adds the lead.
            kwargs["form"] = type("LeadAddForm", (self.add_form,), {"actor": request.user})
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            lead_update(lead=obj, actor=request.user, fields=changed)
            return
        lead = lead_create(
            actor=request.user,
            stage=form.cleaned_data["entry_stage"],
            note=form.cleaned_data["note"],
            **form.lead_fields(),
        )
        # The admin goes on with the form's instance (log entry, redirect): make it the lead.
        obj.pk = lead.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StageTransition)
class StageTransitionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Stage history across all leads: read-only, like the table itself."""

    list_display = ("when", "lead_link", "from_stage", "to_stage", "by", "reason", "handoff")
    list_filter = ("to_stage", "handoff")
    list_select_related = ("lead", "from_stage", "to_stage", "actor", "reason", "handoff")
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    fields = (
        "lead",
        "at",
        "from_stage",
        "to_stage",
        "actor",
        "actor_label",
        "handoff",
        "reason",
        "note",
    )

    @admin.display(description=_("At"), ordering="at")
    def when(self, obj):
        return date_format(timezone.localtime(obj.at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("Lead"), ordering="lead")
    def lead_link(self, obj):
        lead = obj.lead
        label = f"{lead.first_name} {lead.last_name}".strip() or lead.email or lead.external_id
        url = reverse("admin:handoff_lead_change", args=[obj.lead_id])
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=_("By"))
    def by(self, obj):
        return _actor(obj)


# Handoffs


class SlaStepInline(admin.TabularInline):
    model = SlaStep
    extra = 0

    def _draft(self, obj):
        return obj is None or not (obj.marketing_signoff_at or obj.sales_signoff_at)

    def has_add_permission(self, request, obj=None):
        return self._draft(obj)

    def has_change_permission(self, request, obj=None):
        return self._draft(obj)

    def has_delete_permission(self, request, obj=None):
        return self._draft(obj)


@admin.register(SlaAgreement)
class SlaAgreementAdmin(AuditHistoryAdmin, admin.ModelAdmin):
    list_display = [
        "handoff", "version", "in_force", "accept_within_hours", "first_touch_within_hours",
        "min_touches", "touches_within_days", "marketing_signoff_by", "sales_signoff_by",
    ]  # fmt: skip
    list_filter = ["handoff"]
    inlines = [SlaStepInline]
    actions = ["sign_off", "revise"]
    readonly_fields = [
        "version", "marketing_signoff_by", "marketing_signoff_at", "sales_signoff_by",
        "sales_signoff_at", "effective_at", "created_by", "created_at",
    ]  # fmt: skip

    @admin.display(boolean=True, description=_("in force"))
    def in_force(self, obj):
        return obj.effective_at is not None

    def audit_related(self, obj):
        return [obj.steps.all()]

    def has_change_permission(self, request, obj=None):
        # Signed terms are an agreement between two teams: change them with a new version.
        if obj is not None and (obj.marketing_signoff_at or obj.sales_signoff_at):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            latest = SlaAgreement.objects.filter(handoff=obj.handoff).aggregate(v=Max("version"))
            obj.version = (latest["v"] or 0) + 1
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else [f for f in self.readonly_fields if f != "version"]

    def get_exclude(self, request, obj=None):
        return [] if obj else ["version"]

    @admin.action(description=_("Sign off the selected agreements (as your side)"))
    def sign_off(self, request, queryset):
        for agreement in queryset:
            try:
                signed = agreement_sign_off(agreement=agreement, actor=request.user)
            except AgreementError as exc:
                self.message_user(request, f"{agreement}: {exc}", messages.ERROR)
                continue
            if signed.effective_at:
                message = gettext("{agreement} signed off: now in force.")
            else:
                message = gettext("{agreement} signed off: waiting for the other side.")
            self.message_user(request, message.format(agreement=agreement))

    @admin.action(description=_("Start a new version from the selected agreement"))
    def revise(self, request, queryset):
        for agreement in queryset:
            draft = agreement_revise(agreement=agreement, actor=request.user)
            self.message_user(
                request,
                gettext("Draft {draft} created: edit it, then both sides sign.").format(
                    draft=draft
                ),
            )


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditHistoryAdmin, admin.ModelAdmin):
    list_display = ["name", "handoff", "position", "active", "strategy", "target"]
    list_editable = ["position", "active"]
    list_filter = ["handoff", "strategy", "active"]
    filter_horizontal = ["campaigns"]
    readonly_fields = ["virtual_time"]
    autocomplete_fields = ["target_user"]
    change_list_template = "admin/handoff/routingrule/change_list.html"
    fieldsets = [
        (None, {"fields": ["handoff", "name", "position", "active"]}),
        (
            _("Conditions (empty matches everything)"),
            {
                "fields": [
                    "countries", "regions", "industries", "sources", "campaigns",
                    ("employees_min", "employees_max"), ("score_min", "score_max"),
                ]
            },
        ),
        (_("Target"), {"fields": ["strategy", "target_user", "target_team", "virtual_time"]}),
    ]  # fmt: skip

    @admin.display(description=_("target"))
    def target(self, obj):
        return obj.target_user if obj.strategy == "user" else obj.target_team

    def get_urls(self):
        simulate = self.admin_site.admin_view(self.simulate_view)
        return [path("simulate/", simulate, name="handoff_routing_simulate"), *super().get_urls()]

    def simulate_view(self, request):
        """Where would this lead go now? The dry run: nothing is assigned."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        decision = lead = None
        handoffs = HandoffPair.objects.all()
        lead_id, handoff_key = request.GET.get("lead", ""), request.GET.get("handoff", "")
        if lead_id and handoff_key:
            if not lead_id.isdigit():
                self.message_user(request, gettext("The lead id is a number."), messages.ERROR)
            else:
                lead = get_object_or_404(Lead, pk=lead_id)
                handoff = get_object_or_404(HandoffPair, key=handoff_key)
                decision = routing_decide(lead=lead, handoff=handoff).as_dict()
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Simulate routing"),
            "opts": self.model._meta,
            "handoffs": handoffs,
            "lead": lead,
            "lead_id": lead_id,
            "handoff_key": handoff_key,
            "decisions": [decision] if decision else None,
        }
        return TemplateResponse(request, "admin/handoff/routingrule/simulate.html", context)


@admin.register(RepProfile)
class RepProfileAdmin(AuditHistoryAdmin, admin.ModelAdmin):
    list_display = [
        "user", "weight", "max_open_offers", "max_offers_per_day", "away_from", "away_until",
        "accepts_routing",
    ]  # fmt: skip
    list_editable = ["weight", "max_open_offers", "max_offers_per_day", "away_from", "away_until"]
    list_filter = ["accepts_routing", "user__team"]
    autocomplete_fields = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]


class SlaTimerInline(ReadOnlyMixin, admin.TabularInline):
    model = SlaTimer
    fields = ["clock", "kind", "action", "due_at", "fired_at", "cancelled_at", "outcome"]
    readonly_fields = fields
    extra = 0


class TouchInline(ReadOnlyMixin, admin.TabularInline):
    model = Touch
    fields = ["at", "kind", "outcome", "user", "note"]
    readonly_fields = fields
    extra = 0


@admin.register(Offer)
class OfferAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "lead_link", "handoff", "status", "assignee", "queue", "offered_at", "routed_at",
        "decided_at", "accept_due_at", "touch_count",
    ]  # fmt: skip
    list_filter = ["handoff", "status", "queue"]
    list_select_related = ["lead", "handoff", "assignee", "queue"]
    search_fields = ["lead__email", "lead__company", "assignee__username"]
    date_hierarchy = "offered_at"
    show_full_result_count = False
    inlines = [SlaTimerInline, TouchInline]
    exclude = ["routing"]
    readonly_fields = ["routing_explained"]

    @admin.display(description=_("lead"), ordering="lead__email")
    def lead_link(self, obj):
        url = reverse("admin:handoff_lead_change", args=[obj.lead_id])
        return format_html('<a href="{}">{}</a>', url, obj.lead)

    @admin.display(description=_("why it went where it went"))
    def routing_explained(self, obj):
        # Each decision with its one-sentence summary: the territory that took it, who was picked.
        decisions = [{**d, "summary": routing_explain(d)} for d in obj.routing]
        return render_to_string("admin/handoff/offer/routing.html", {"decisions": decisions})


@admin.register(Touch)
class TouchAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["lead", "kind", "outcome", "user", "at"]
    list_filter = ["kind", "outcome"]
    list_select_related = ["lead", "user"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(Activity)
class ActivityAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["lead", "kind", "at", "points"]
    list_filter = ["kind"]
    list_select_related = ["lead"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(ScoringRule)
class ScoringRuleAdmin(AuditHistoryAdmin, admin.ModelAdmin):
    list_display = ["name", "kind", "contains", "points", "active"]
    list_editable = ["points", "active"]
    list_filter = ["kind", "active"]


@admin.register(Disposition)
class DispositionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["lead", "kind", "actor", "at", "reason", "amount"]
    list_filter = ["kind"]
    list_select_related = ["lead", "actor", "reason"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["subject", "user", "kind", "created_at", "read_at", "delivery", "emailed_at"]
    list_filter = ["kind", "delivery"]
    list_select_related = ["user"]
    show_full_result_count = False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    """Each user sets these at /me/; here for support. A kind with no row is emailed."""

    list_display = ["user", "kind", "delivery"]
    list_filter = ["kind", "delivery"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
