from django.urls import path

from .views import account, lead, pipeline, queue

app_name = "handoff"

urlpatterns = [
    path("queue/", queue.queue, name="queue"),
    path("queue/offers/<int:offer_id>/<slug:action>/", queue.offer_action, name="offer-action"),
    path("pipeline/", pipeline.pipeline, name="pipeline"),
    path("hot/", pipeline.hot_leads_page, name="hot-leads"),
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
