from django.urls import path

from . import auth, directory

urlpatterns = [
    path("auth/token/", auth.AuthTokenApi.as_view(), name="auth-token"),
    path("users/", directory.UserListApi.as_view(), name="user-list"),
    path("teams/", directory.TeamListApi.as_view(), name="team-list"),
    path("stages/", directory.StageListApi.as_view(), name="stage-list"),
    path("reason-codes/", directory.ReasonCodeListApi.as_view(), name="reasoncode-list"),
    path("campaigns/", directory.CampaignListApi.as_view(), name="campaign-list"),
]
