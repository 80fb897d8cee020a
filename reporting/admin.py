from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from funnel.admin import ReadOnlyMixin
from reporting.alerts import percent
from reporting.models import RatioAlert, RatioWatch, WeeklyReport
from reporting.weeks import week_label


@admin.register(RatioWatch)
class RatioWatchAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "handoff", "from_stage", "to_stage", "target", "threshold",
                    "min_volume", "active"]  # fmt: skip
    list_editable = ["threshold", "min_volume", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "active"]}),
        (
            gettext_lazy("The ratio"),
            {
                "fields": ["kind", "handoff", "from_stage", "to_stage"],
                "description": gettext_lazy(
                    "Acceptance: pick the handoff. Conversion: pick both stages (of "
                    "the leads entering the first in a week, the share that reach the second)."
                ),
            },
        ),
        (
            gettext_lazy("When to alert"),
            {
                "fields": ["target", "threshold", "min_volume"],
                "description": gettext_lazy(
                    "An alert is raised once per week when the week's ratio departs "
                    "from the target (a handoff's target rate unless set here) or from the mean of "
                    "the 8 weeks before by more than the threshold. To silence a handoff, untick "
                    "active rather than deleting its watch: setup_funnel reinstalls a missing one."
                ),
            },
        ),
    ]


@admin.register(RatioAlert)
class RatioAlertAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["iso_week", "watch", "value_shown", "target_shown", "baseline_shown",
                    "volume", "why", "created_at"]  # fmt: skip
    list_filter = ["watch", "week"]
    list_select_related = ["watch"]
    date_hierarchy = "week"

    @admin.display(description=gettext_lazy("week"), ordering="week")
    def iso_week(self, alert):
        return week_label(alert.week)

    @admin.display(description=gettext_lazy("value"), ordering="value")
    def value_shown(self, alert):
        return percent(alert.value)

    @admin.display(description=gettext_lazy("target"))
    def target_shown(self, alert):
        return percent(alert.target)

    @admin.display(description=gettext_lazy("8-week mean"))
    def baseline_shown(self, alert):
        return percent(alert.baseline)

    @admin.display(description=gettext_lazy("drifted from"))
    def why(self, alert):
        return ", ".join(alert.reasons)


@admin.register(WeeklyReport)
class WeeklyReportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["iso_week", "week", "built_at", "emailed_at", "links"]
    fields = ["week", "built_at", "emailed_at", "links"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("week"), ordering="week")
    def iso_week(self, report):
        return week_label(report.week)

    @admin.display(description=gettext_lazy("report"))
    def links(self, report):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">CSV</a>',
            reverse("reporting:weekly-detail", args=[report.pk]),
            _("view"),
            reverse("reporting:weekly-csv", args=[report.pk]),
        )
