from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from funnel.admin import ReadOnlyMixin
from funnel.models import HandoffPair, Lead

from .models import (
    Activity,
    Disposition,
    Notification,
    Offer,
    RepProfile,
    RoutingRule,
    ScoringRule,
    SlaAgreement,
    SlaStep,
    SlaTimer,
    Touch,
)
from .services.routing import routing_decide
from .services.sla import AgreementError, agreement_revise, agreement_sign_off


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
class SlaAgreementAdmin(admin.ModelAdmin):
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

    @admin.display(boolean=True, description="in force")
    def in_force(self, obj):
        return obj.effective_at is not None

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

    @admin.action(description="Sign off the selected agreements (as your side)")
    def sign_off(self, request, queryset):
        for agreement in queryset:
            try:
                signed = agreement_sign_off(agreement=agreement, actor=request.user)
            except AgreementError as exc:
                self.message_user(request, f"{agreement}: {exc}", messages.ERROR)
            else:
                state = "now in force" if signed.effective_at else "waiting for the other side"
                self.message_user(request, f"{agreement} signed off: {state}.")

    @admin.action(description="Start a new version from the selected agreement")
    def revise(self, request, queryset):
        for agreement in queryset:
            draft = agreement_revise(agreement=agreement, actor=request.user)
            self.message_user(request, f"Draft {draft} created: edit it, then both sides sign.")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
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
            "Conditions (empty matches everything)",
            {
                "fields": [
                    "countries", "regions", "industries", "sources", "campaigns",
                    ("employees_min", "employees_max"), ("score_min", "score_max"),
                ]
            },
        ),
        ("Target", {"fields": ["strategy", "target_user", "target_team", "virtual_time"]}),
    ]  # fmt: skip

    @admin.display(description="target")
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
                self.message_user(request, "The lead id is a number.", messages.ERROR)
            else:
                lead = get_object_or_404(Lead, pk=lead_id)
                handoff = get_object_or_404(HandoffPair, key=handoff_key)
                decision = routing_decide(lead=lead, handoff=handoff).as_dict()
        context = {
            **self.admin_site.each_context(request),
            "title": "Simulate routing",
            "opts": self.model._meta,
            "handoffs": handoffs,
            "lead": lead,
            "lead_id": lead_id,
            "handoff_key": handoff_key,
            "decisions": [decision] if decision else None,
        }
        return TemplateResponse(request, "admin/handoff/routingrule/simulate.html", context)


@admin.register(RepProfile)
class RepProfileAdmin(admin.ModelAdmin):
    list_display = [
        "user", "weight", "max_open_offers", "max_offers_per_day", "away_from", "away_until",
        "accepts_routing", "email_digest",
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

    @admin.display(description="lead", ordering="lead__email")
    def lead_link(self, obj):
        url = reverse("admin:funnel_lead_change", args=[obj.lead_id])
        return format_html('<a href="{}">{}</a>', url, obj.lead)

    @admin.display(description="why it went where it went")
    def routing_explained(self, obj):
        return render_to_string("admin/handoff/offer/routing.html", {"decisions": obj.routing})


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
class ScoringRuleAdmin(admin.ModelAdmin):
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
    list_display = ["subject", "user", "kind", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    list_select_related = ["user"]
    show_full_result_count = False
