"""/settings/ parts of the funnel's definition and its people (configuration/views/funnel.py).

Each part: a list (GET), an add form and an edit form by id (GET shows, POST saves), and the
one-button actions a list or an edit page posts (reorder, retire, remove).
"""

from django.urls import path

from .views import funnel as views

urlpatterns = [
    path("settings/stages/", views.stages, name="stages"),
    path("settings/stages/add/", views.stage_add, name="stage-add"),
    path("settings/stages/<int:pk>/", views.stage_edit, name="stage-edit"),
    path("settings/stages/<int:pk>/reorder/", views.stage_reorder, name="stage-reorder"),
    path("settings/stages/<int:pk>/retire/", views.stage_retire, name="stage-retire"),
    path("settings/stages/<int:pk>/reactivate/", views.stage_reactivate, name="stage-reactivate"),
    path("settings/moves/", views.moves, name="moves"),
    path("settings/moves/add/", views.move_add, name="move-add"),
    path("settings/moves/<int:pk>/", views.move_edit, name="move-edit"),
    path("settings/moves/<int:pk>/remove/", views.move_remove, name="move-remove"),
    path("settings/reasons/", views.reasons, name="reasons"),
    path("settings/reasons/add/", views.reason_add, name="reason-add"),
    path("settings/reasons/<int:pk>/", views.reason_edit, name="reason-edit"),
    path("settings/campaigns/", views.campaigns, name="campaigns"),
    path("settings/campaigns/add/", views.campaign_add, name="campaign-add"),
    path("settings/campaigns/<int:pk>/", views.campaign_edit, name="campaign-edit"),
    path("settings/teams/", views.teams, name="teams"),
    path("settings/teams/add/", views.team_add, name="team-add"),
    path("settings/teams/<int:pk>/", views.team_edit, name="team-edit"),
    path("settings/territories/", views.territories, name="territories"),
    path("settings/territories/add/", views.territory_add, name="territory-add"),
    path("settings/territories/<int:pk>/", views.territory_edit, name="territory-edit"),
    path("settings/users/", views.users, name="users"),
    path("settings/users/add/", views.user_add, name="user-add"),
    path("settings/users/<int:pk>/", views.user_edit, name="user-edit"),
]
