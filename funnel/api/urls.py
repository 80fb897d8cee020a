from django.urls import path

from . import auth, directory, ingest, integrations, leads

urlpatterns = [
    path("auth/token/", auth.AuthTokenApi.as_view(), name="auth-token"),
    path("leads/", leads.LeadListApi.as_view(), name="lead-list"),
    path("leads/bulk/", ingest.LeadBulkApi.as_view(), name="lead-bulk"),
    path("leads/<int:pk>/", leads.LeadDetailApi.as_view(), name="lead-detail"),
    path("leads/<int:pk>/merge/", ingest.LeadMergeApi.as_view(), name="lead-merge"),
    path("leads/<int:pk>/transition/", leads.LeadTransitionApi.as_view(), name="lead-transition"),
    path("users/", directory.UserListApi.as_view(), name="user-list"),
    path("teams/", directory.TeamListApi.as_view(), name="team-list"),
    path("stages/", directory.StageListApi.as_view(), name="stage-list"),
    path("handoffs/", directory.HandoffListApi.as_view(), name="handoff-list"),
    path("handoffs/<slug:key>/", directory.HandoffDetailApi.as_view(), name="handoff-detail"),
    path("reason-codes/", directory.ReasonCodeListApi.as_view(), name="reasoncode-list"),
    path("campaigns/", directory.CampaignListApi.as_view(), name="campaign-list"),
    path("webhooks/", integrations.WebhookListApi.as_view(), name="webhook-list"),
    path("webhooks/<int:pk>/", integrations.WebhookDetailApi.as_view(), name="webhook-detail"),
    path(
        "webhooks/<int:pk>/deliveries/",
        integrations.WebhookDeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "webhooks/deliveries/<int:pk>/redeliver/",
        integrations.WebhookRedeliverApi.as_view(),
        name="webhook-delivery-redeliver",
    ),
    path("events/", integrations.EventListApi.as_view(), name="event-list"),
]
