"""What the header of every page shows a signed-in user: unread notifications, time away."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from handoff.selectors import account_get


def header(request) -> dict:
    # Lazy: read (one query) only when a template shows it, so htmx partials, pages without the
    # header and anonymous visitors pay nothing; read once however often the template asks.
    return {"header": SimpleLazyObject(lambda: account_get(user=request.user))}
