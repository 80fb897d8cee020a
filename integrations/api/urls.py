from django.urls import path

from . import views

urlpatterns = [
    path("webhooks/", views.WebhookListApi.as_view(), name="webhook-list"),
    path("webhooks/<int:pk>/", views.WebhookDetailApi.as_view(), name="webhook-detail"),
    path(
        "webhooks/<int:pk>/rotate-secret/",
        views.WebhookSecretRotateApi.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "webhooks/<int:pk>/deliveries/",
        views.WebhookDeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "webhooks/deliveries/<int:pk>/redeliver/",
        views.WebhookRedeliverApi.as_view(),
        name="webhook-delivery-redeliver",
    ),
    path("events/", views.EventListApi.as_view(), name="event-list"),
]
