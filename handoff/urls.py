from django.urls import path

from . import views

app_name = "handoff"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("queue/offers/<int:offer_id>/<slug:action>/", views.offer_action, name="offer-action"),
]
