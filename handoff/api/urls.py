from django.urls import path

from . import activities, leads, routing

urlpatterns = [
    path("activities/bulk/", activities.ActivityBulkApi.as_view(), name="activity-bulk"),
    path("leads/<int:pk>/accept/", leads.LeadAcceptApi.as_view(), name="lead-accept"),
    path("leads/<int:pk>/reject/", leads.LeadRejectApi.as_view(), name="lead-reject"),
    path("leads/<int:pk>/claim/", leads.LeadClaimApi.as_view(), name="lead-claim"),
    path("leads/<int:pk>/assign/", leads.LeadAssignApi.as_view(), name="lead-assign"),
    path(
        "leads/<int:pk>/disposition/", leads.LeadDispositionApi.as_view(), name="lead-disposition"
    ),
    path("leads/<int:pk>/touches/", leads.LeadTouchesApi.as_view(), name="lead-touches"),
    path("leads/<int:pk>/history/", leads.LeadHistoryApi.as_view(), name="lead-history"),
    path("routing/simulate/", routing.RoutingSimulateApi.as_view(), name="routing-simulate"),
]
