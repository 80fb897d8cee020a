"""Work through a table in batches within a time budget (the safety nets' loops)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from django.db.models import QuerySet


def ids_within(queryset: QuerySet, *, batch: int, seconds: float) -> Iterator[int]:
    """The ids of `queryset`, in id order, a batch read at a time, until `seconds` have gone:
    what is left is for the next run. Rows done meanwhile drop out of later batches."""
    deadline = time.monotonic() + seconds
    last = 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        for pk in ids:
            if time.monotonic() >= deadline:
                return
            yield pk
        if len(ids) < batch:
            return
        last = ids[-1]
