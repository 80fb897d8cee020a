from django.urls import path

from . import auth, leads

urlpatterns = [
    path("auth/token/", auth.AuthTokenApi.as_view(), name="auth-token"),
    path("leads/", leads.LeadListApi.as_view(), name="lead-list"),
    path("leads/<int:pk>/", leads.LeadDetailApi.as_view(), name="lead-detail"),
    path("leads/<int:pk>/transition/", leads.LeadTransitionApi.as_view(), name="lead-transition"),
]
