from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("reports/weekly/", views.weekly_list, name="weekly-list"),
    path("reports/weekly/<int:pk>/", views.weekly_detail, name="weekly-detail"),
    path("reports/weekly/<int:pk>.csv", views.weekly_csv, name="weekly-csv"),
    path("reports/weekly/<int:pk>/email/", views.weekly_email, name="weekly-email"),
]
