from django.urls import path

from .views import index

app_name = "configuration"

# /settings/…: each part edited by its owner (marketing ops, managers, admins), the same
# services and rules the API and the admin use.
urlpatterns = [
    path("settings/", index.settings_index, name="index"),
]
