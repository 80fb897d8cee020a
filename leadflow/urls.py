from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

admin.site.site_header = "Leadflow"
admin.site.site_title = "Leadflow"
admin.site.index_title = "Lead lifecycle administration"

api_v1 = [
    path("", include("funnel.api.urls")),
    path("", include("handoff.api.urls")),
    path("", include("reporting.api.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="handoff:queue", permanent=False)),
    path("", include("handoff.urls")),
    path("", include("reporting.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
