from django.urls import path

from . import views

app_name = "web"

# Pages that read more than one subject (the manager's console reads reporting's figures).
urlpatterns = [
    path("team/", views.team, name="team"),
]
