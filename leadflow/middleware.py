"""While the database is away, a clear 503 with Retry-After instead of a 500 and its traceback.

An API client (`/api/…`) gets the API's error body, `{"detail": …, "code": "unavailable"}`; a
browser gets the app's own page, `templates/503.html`, rendered without a request so that it
touches no database. A 503 tells the truth: the request failed before anything committed, and
the same request may be sent again.

Only a database that is away counts: no connection could be made, or it was lost, or the server
is shutting down, starting up or out of connection slots. Other operational errors (a deadlock,
a lock or statement timeout, SQLite's "database is locked") stay 500: the database is there, the
request lost a race or took too long, and that is a fault of the app to fix and see, not an
outage to wait out. Django closes the failed connection when the request ends, and the next
request connects again.
"""

from __future__ import annotations

import logging

import psycopg
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
UNAVAILABLE = _("The database is unavailable for a moment; nothing was saved. Try again shortly.")
# SQLSTATEs of a server that is away (PostgreSQL, Appendix A): class 08 is "connection
# exception"; 57P01-57P03 admin shutdown, crash shutdown, cannot connect now; 53300 too many
# connections.
AWAY_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}


def database_is_away(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached, rather than that a query failed."""
    if isinstance(exc, InterfaceError):  # e.g. "the connection is closed"
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if isinstance(cause, psycopg.Error):
        # psycopg gives no SQLSTATE when the failure is the connection itself (refused, lost).
        state = cause.sqlstate
        return state is None or state.startswith("08") or state in AWAY_SQLSTATES
    return getattr(cause, "sqlite_errorname", "") == "SQLITE_CANTOPEN"


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_is_away(exception):
            return None
        logger.warning("Database unavailable, answered 503: %s %s: %s", request.method,
                       request.path, exception)  # fmt: skip
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": UNAVAILABLE, "code": "unavailable"}, status=503)
        else:
            response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
