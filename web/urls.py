from django.urls import path

from . import views

app_name = "web"

# Pages that read more than one subject (the manager's console reads reporting's figures).
urlpatterns = [
    path("team/", views.team, name="team"),
    path("team/reassign/", views.team_reassign, name="team-reassign"),
    path(
        "team/agreements/<slug:handoff_key>/propose/",
        views.agreement_propose_view,
        name="agreement-propose",
    ),
    path(
        "team/agreements/<int:agreement_id>/sign-off/",
        views.agreement_sign_off_view,
        name="agreement-sign-off",
    ),
]
