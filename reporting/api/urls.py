from django.urls import path

from . import alerts, black_hole, funnel, handoffs, plan, qualifiers, reasons, velocity, weekly

urlpatterns = [
    path("reports/handoffs/", handoffs.HandoffReportApi.as_view(), name="report-handoffs"),
    path("reports/alerts/", alerts.RatioAlertListApi.as_view(), name="report-alerts"),
    path("reports/weekly/", weekly.WeeklyReportListApi.as_view(), name="report-weekly-list"),
    path(
        "reports/weekly/<int:pk>/",
        weekly.WeeklyReportDetailApi.as_view(),
        name="report-weekly-detail",
    ),
    path("reports/black-hole/", black_hole.BlackHoleReportApi.as_view(), name="report-black-hole"),
    path("reports/reasons/", reasons.ReasonsReportApi.as_view(), name="report-reasons"),
    path("reports/hidden-gems/", reasons.HiddenGemsReportApi.as_view(), name="report-hidden-gems"),
    path("reports/plan/", plan.PlanReportApi.as_view(), name="report-plan"),
    path("reports/funnel/", funnel.FunnelReportApi.as_view(), name="report-funnel"),
    path("reports/velocity/", velocity.VelocityReportApi.as_view(), name="report-velocity"),
    path("reports/qualifiers/", qualifiers.QualifiersReportApi.as_view(), name="report-qualifiers"),
]
