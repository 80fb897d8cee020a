"""What the header of every page shows a signed-in user: unread notifications, time away."""

from __future__ import annotations


def header(request) -> dict:
    # Filled in by the notifications and away work (issue 11); read lazily by the template.
    return {}
