from django.urls import path

from .views import lead, pipeline, queue

app_name = "handoff"

urlpatterns = [
    path("queue/", queue.queue, name="queue"),
    path("queue/offers/<int:offer_id>/<slug:action>/", queue.offer_action, name="offer-action"),
    path("pipeline/", pipeline.pipeline, name="pipeline"),
    path("hot/", pipeline.hot_leads, name="hot-leads"),
    path("leads/<int:lead_id>/", lead.lead_page, name="lead"),
]
