from django.urls import path

from . import activities, handoffs, ingest, leads, routing

urlpatterns = [
    path("leads/", leads.LeadListApi.as_view(), name="lead-list"),
    path("leads/bulk/", ingest.LeadBulkApi.as_view(), name="lead-bulk"),
    path("leads/<int:pk>/", leads.LeadDetailApi.as_view(), name="lead-detail"),
    path("leads/<int:pk>/merge/", ingest.LeadMergeApi.as_view(), name="lead-merge"),
    path("leads/<int:pk>/transition/", leads.LeadTransitionApi.as_view(), name="lead-transition"),
    path("leads/<int:pk>/accept/", leads.LeadAcceptApi.as_view(), name="lead-accept"),
    path("leads/<int:pk>/reject/", leads.LeadRejectApi.as_view(), name="lead-reject"),
    path("leads/<int:pk>/claim/", leads.LeadClaimApi.as_view(), name="lead-claim"),
    path("leads/<int:pk>/assign/", leads.LeadAssignApi.as_view(), name="lead-assign"),
    path(
        "leads/<int:pk>/disposition/", leads.LeadDispositionApi.as_view(), name="lead-disposition"
    ),
    path("leads/<int:pk>/touches/", leads.LeadTouchesApi.as_view(), name="lead-touches"),
    path("leads/<int:pk>/history/", leads.LeadHistoryApi.as_view(), name="lead-history"),
    path("activities/bulk/", activities.ActivityBulkApi.as_view(), name="activity-bulk"),
    path("handoffs/", handoffs.HandoffListApi.as_view(), name="handoff-list"),
    path("handoffs/<slug:key>/", handoffs.HandoffDetailApi.as_view(), name="handoff-detail"),
    path("routing/simulate/", routing.RoutingSimulateApi.as_view(), name="routing-simulate"),
]
