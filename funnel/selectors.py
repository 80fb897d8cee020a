"""Reads of the funnel's people."""

from __future__ import annotations

from .models import Role, Team, User


def user_manages_team(user: User, team_id: int | None) -> bool:
    """The team's manager, or a user with the manager role in that team."""
    if team_id is None:
        return False
    if user.role == Role.MANAGER and user.team_id == team_id:
        return True
    return Team.objects.filter(pk=team_id, manager=user).exists()
