"""The API's JSON parser: DRF's, refusing with a 400 what the layers after it cannot take.

- Nesting deeper than MAX_DEPTH. Python's decoder raises RecursionError near depth 1,000, and
  validation, hashing and the database driver all walk the data recursively after it.
- Lone surrogates (`"\\ud800"`): JSON's escapes allow them, Unicode text does not, and PostgreSQL
  refuses them on write. As I-JSON (RFC 7493) says, such a body is not valid text: it is refused
  whole, like a syntax error, wherever the string sits (a value, a key, inside `attributes`).

The size of the body is refused before parsing (413): DATA_UPLOAD_MAX_MEMORY_SIZE.
"""

from __future__ import annotations

import re

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Leads in bulk with their attributes sit at depth 4 ({"leads": [{"attributes": {…}}]}).
MAX_DEPTH = 32
TOO_DEEP = format_lazy(_("JSON nested deeper than {depth} levels."), depth=MAX_DEPTH)
LONE_SURROGATE = _(
    "JSON string with a lone surrogate (U+{code:04X}) at {where}: not valid Unicode."
)

_SURROGATE = re.compile("[\ud800-\udfff]")


def _where(path: tuple) -> str:
    """A JSON Pointer (/leads/0/company); a surrogate in a key is shown escaped, as \\udfff."""
    where = "/" + "/".join(str(step) for step in path)
    return where.encode("utf-8", "backslashreplace").decode()


def _check_text(text: str, path: tuple) -> None:
    found = _SURROGATE.search(text)
    if found:
        raise ParseError(LONE_SURROGATE.format(code=ord(found.group()), where=_where(path)))


def json_check(data) -> None:
    """Raise ParseError if `data` nests deeper than MAX_DEPTH or holds a lone surrogate.

    Iterative, so that it cannot itself run out of stack.
    """
    stack = [(data, 1, ())]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, str):
            _check_text(value, path)
            continue
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            continue
        if depth > MAX_DEPTH:
            raise ParseError(TOO_DEEP)
        for key, item in items:
            if isinstance(key, str):
                _check_text(key, (*path, key))
            stack.append((item, depth + 1, (*path, key)))


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP) from exc
        json_check(data)
        return data
