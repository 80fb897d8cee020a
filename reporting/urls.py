from django.urls import path

from . import views, views_dashboard

app_name = "reporting"

urlpatterns = [
    # dashboard: "/" sends marketing to the dashboard and everyone else to their queue.
    path("", views_dashboard.home, name="home"),
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
    path("reports/weekly/", views.weekly_list, name="weekly-list"),
    path("reports/weekly/<int:pk>/", views.weekly_detail, name="weekly-detail"),
    path("reports/weekly/<int:pk>.csv", views.weekly_csv, name="weekly-csv"),
    path("reports/weekly/<int:pk>/email/", views.weekly_email, name="weekly-email"),
]
