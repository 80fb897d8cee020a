from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission


def has_role(user, *roles: str) -> bool:
    return bool(user and user.is_authenticated and user.effective_role in roles)


def roles_may(*roles: str, read: tuple[str, ...] | None = None) -> type[BasePermission]:
    """Only these roles may use the endpoint; `read` widens who may GET it."""

    class RolePermission(BasePermission):
        message = _("Your role may not do this.")

        def has_permission(self, request, view):
            allowed = roles + (read or ()) if request.method in SAFE_METHODS else roles
            return has_role(request.user, *allowed)

    RolePermission.__name__ = f"RolePermission_{'_'.join(roles)}"
    return RolePermission
