"""What the handoff settings pages share: who may use a part, and the recent changes shown."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from leadflow.audit import audit_trail

from ..parts import may_edit, may_read


def require_read(request: HttpRequest, key: str) -> bool:
    """403 unless the user's role may read the part; whether it may also edit it."""
    if not may_read(request.user, key):
        raise PermissionDenied
    return may_edit(request.user, key)


def require_edit(request: HttpRequest, key: str) -> None:
    """403 unless the user's role may edit the part: a reader's write changes nothing."""
    if not may_edit(request.user, key):
        raise PermissionDenied


def recent_changes(*targets, limit: int = 20) -> list:
    """The audit trail of what the page edits, newest first (one query)."""
    return audit_trail(*targets, limit=limit)
