"""Admin of integrations: webhook subscriptions and their deliveries."""

import json

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from funnel.admin import changelist_link
from leadflow.audit import AuditHistoryAdmin

from .models import DeliveryStatus, EventType, WebhookAttempt, WebhookDelivery, WebhookSubscription
from .webhooks import WebhookError, webhook_events_clean, webhook_redeliver, webhook_url_check

# Webhooks


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=EventType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every event type."),
    )

    class Meta:
        model = WebhookSubscription
        # Not the secret: shown once to whoever makes or rotates it through the API, never here.
        # One added here gets a generated secret, which its owner rotates to learn.
        fields = ("url", "events", "active", "description", "owner")

    def clean_url(self):
        url = self.cleaned_data["url"]
        if self.instance.pk and "url" not in self.changed_data:
            return url  # kept as it is: not looked up again, as the API does
        try:
            webhook_url_check(url)
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["url"]) from exc
        return url

    def clean_events(self):
        return webhook_events_clean(self.cleaned_data["events"])


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(AuditHistoryAdmin, admin.ModelAdmin):
    """Who hears of which events. A subscription's owner sees and edits it through the API."""

    form = WebhookSubscriptionForm
    list_display = ("url", "owner", "event_list", "active", "pending", "dead", "created_at")
    list_filter = ("active",)
    list_select_related = ("owner",)
    search_fields = ("url", "description", "owner__username")
    autocomplete_fields = ("owner",)
    readonly_fields = ("secret_masked", "created_at")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                pending_total=Count("deliveries", filter=Q(deliveries__status="pending")),
                dead_total=Count("deliveries", filter=Q(deliveries__status="dead")),
            )
        )

    @admin.display(description=gettext_lazy("Secret"))
    def secret_masked(self, obj):
        if not obj.pk:
            return _("Generated when saved.")
        return "•••••••• " + _("(shown once when made; its owner may rotate it through the API)")

    @admin.display(description=gettext_lazy("Events"))
    def event_list(self, obj):
        return ", ".join(obj.events) or _("All")

    @admin.display(description=gettext_lazy("Pending"), ordering="pending_total")
    def pending(self, obj):
        return changelist_link(
            "integrations.webhookdelivery",
            str(obj.pending_total),
            subscription__id__exact=obj.pk,
            status__exact=DeliveryStatus.PENDING,
        )

    @admin.display(description=gettext_lazy("Dead-lettered"), ordering="dead_total")
    def dead(self, obj):
        return changelist_link(
            "integrations.webhookdelivery",
            str(obj.dead_total),
            subscription__id__exact=obj.pk,
            status__exact=DeliveryStatus.DEAD,
        )


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = readonly_fields = ("at", "status_code", "error", "duration_ms")
    ordering = ("at", "id")
    verbose_name_plural = gettext_lazy("Attempts")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Each event to each subscription. Written only by the sender; "Redeliver" queues one again."""

    list_display = (
        "id",
        "event",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_status_code",
    )
    list_filter = ("status", "subscription")
    list_select_related = ("event", "subscription")
    date_hierarchy = "created_at"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    fields = readonly_fields = (
        "event",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_status_code",
        "last_error",
        "created_at",
        "payload",
    )
    inlines = (WebhookAttemptInline,)
    actions = ("redeliver",)

    @admin.display(description=gettext_lazy("Event data"))
    def payload(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.event.data, indent=2))

    @admin.action(
        description=gettext_lazy("Redeliver (queue again; the next sweep sends it)"),
        permissions=["change"],
    )
    def redeliver(self, request, queryset):
        queued = skipped = 0
        for delivery in queryset:
            try:
                webhook_redeliver(delivery=delivery, actor=request.user)
            except WebhookError:
                skipped += 1  # still pending: it is sent anyway
                continue
            self.log_change(request, delivery, "Queued again for delivery.")
            queued += 1
        message = _("%(queued)s queued again; %(skipped)s still pending, left as is.")
        self.message_user(request, message % {"queued": queued, "skipped": skipped})

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
