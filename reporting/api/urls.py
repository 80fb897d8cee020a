from django.urls import path

from . import handoffs

urlpatterns = [
    path("reports/handoffs/", handoffs.HandoffReportApi.as_view(), name="report-handoffs"),
]
