"""CSV that a spreadsheet opens as data, never as formulas (OWASP, "CSV Injection").

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (`=HYPERLINK(...)`, `@SUM(...)`, `-2+3+cmd|...`).
Such a cell gets a leading apostrophe, which the spreadsheet shows as text and does not keep.

Numbers stay numbers: an int, float or Decimal, and text that is exactly a decimal number
(`-12`, `-0.25`, `+3.5`: how the snapshot stores an amount or a rate), since a bare number
cannot be a formula and an apostrophe would turn a real figure into text.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value):
    """`value` as a cell a spreadsheet cannot run: text starting like a formula is prefixed."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


class _SafeWriter:
    """csv.writer's interface; every cell passes through csv_cell."""

    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)

    @property
    def dialect(self):
        return self._writer.dialect


def csv_safe_writer(out, *args, **kwargs) -> _SafeWriter:
    """A csv.writer on `out` whose cells are neutralised (csv_cell)."""
    return _SafeWriter(csv.writer(out, *args, **kwargs))
