"""The one base of every refusal a service makes.

A service raises a `DomainError` subclass with a message for people, a `code` for programs and
the HTTP `status` the API answers with; nothing was written. The API's exception handler maps on
these attributes, so the HTTP kit knows no domain app (after the HackSoft styleguide example's
`core/exceptions.py`).
"""

from __future__ import annotations


class DomainError(Exception):
    code = "refused"
    status = 409

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
