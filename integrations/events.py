"""The event outbox: `event_record` writes an event in the transaction of the change it reports.

Integrations read the events in order (`GET /api/v1/events/?after=N`) and receive them as
webhooks (integrations.webhooks), after commit. An event's id is its sequence number.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from .models import Event
from .tasks import webhook_dispatch_task

# Held until commit, so ids are handed out in commit order and a reader that saw event N
# never later finds a smaller id appear (a sequence alone gives ids in insert order).
EVENT_SEQUENCE_LOCK = 0x4C46_4556  # "LFEV"


def event_record(*, type: str, data: dict[str, Any], at: datetime.datetime | None = None) -> Event:
    """Add an event to the outbox; call inside the transaction that makes the change."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [EVENT_SEQUENCE_LOCK])
    event = Event.objects.create(type=type, data=data, occurred_at=at or timezone.now())
    webhook_dispatch_task.delay_on_commit(event.pk)
    return event
