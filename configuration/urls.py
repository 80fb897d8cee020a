from django.urls import path

from . import urls_funnel, urls_handoff
from .views import index

app_name = "configuration"

# /settings/…: each part edited by its owner (marketing ops, managers, admins), the same
# services and rules the API and the admin use (parts.py says who).
urlpatterns = [
    path("settings/", index.settings_index, name="index"),
    *urls_funnel.urlpatterns,
    *urls_handoff.urlpatterns,
]
