from django.urls import path

from .views import account, lead, lead_import, leads, pipeline, queue

app_name = "handoff"

urlpatterns = [
    path("queue/", queue.queue, name="queue"),
    path("queue/offers/<int:offer_id>/<slug:action>/", queue.offer_action, name="offer-action"),
    path("pipeline/", pipeline.pipeline, name="pipeline"),
    path("hot/", pipeline.hot_leads_page, name="hot-leads"),
    # The leads list (its CSV import, /leads/import/…, is the imports part's).
    path("leads/", leads.lead_list, name="lead-list"),
    path("leads/export.csv", leads.lead_export, name="lead-export"),
    path("leads/bulk/", leads.lead_bulk, name="lead-bulk"),
    path("leads/views/", leads.lead_view_save, name="lead-view-save"),
    path("leads/views/<int:view_id>/delete/", leads.lead_view_delete, name="lead-view-delete"),
    # The CSV import of leads (handoff/views/lead_import.py).
    path("leads/import/", lead_import.lead_import, name="lead-import"),
    path(
        "leads/import/<int:import_id>/",
        lead_import.lead_import_detail,
        name="lead-import-detail",
    ),
    path(
        "leads/import/<int:import_id>/progress/",
        lead_import.lead_import_progress,
        name="lead-import-progress",
    ),
    path(
        "leads/import/<int:import_id>/errors.csv",
        lead_import.lead_import_errors,
        name="lead-import-errors",
    ),
    path("leads/<int:lead_id>/", lead.lead_page, name="lead"),
    path("leads/<int:lead_id>/<slug:action>/", lead.lead_action, name="lead-action"),
    path("notifications/", account.notifications, name="notifications"),
    path(
        "notifications/<int:notification_id>/read/",
        account.notification_read,
        name="notification-read",
    ),
    path("notifications/read/", account.notifications_read_all, name="notifications-read-all"),
    path("me/", account.preferences, name="preferences"),
]
