from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from leadflow.signin import SignInView

admin.site.site_header = "Leadflow"
admin.site.site_title = "Leadflow"
admin.site.index_title = _("Lead lifecycle administration")

api_v1 = [
    path("", include("funnel.api.urls")),
    path("", include("integrations.api.urls")),
    path("", include("handoff.api.urls")),
    path("", include("reporting.api.urls")),
]

# Admin pages of models that moved to other apps keep answering at their old addresses.
MOVED_ADMIN = {
    "lead": "handoff",
    "stagetransition": "handoff",
    "webhooksubscription": "integrations",
    "webhookdelivery": "integrations",
}


def _moved_admin(request, model: str, rest: str):
    query = f"?{request.META['QUERY_STRING']}" if request.META.get("QUERY_STRING") else ""
    return HttpResponsePermanentRedirect(f"/admin/{MOVED_ADMIN[model]}/{model}/{rest}{query}")


urlpatterns = [
    path("", include("handoff.urls")),
    path("", include("reporting.urls")),
    path("", include("web.urls")),
    path("", include("configuration.urls")),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    re_path(
        rf"^admin/funnel/(?P<model>{'|'.join(MOVED_ADMIN)})/(?P<rest>.*)$",
        _moved_admin,
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs.html"),
        name="api-docs",
    ),
]
