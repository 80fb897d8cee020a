"""The event outbox: `event_record` writes an event in the transaction of the change it reports.

Integrations read the events in order (`GET /api/v1/events/?after=N`) and receive them as
webhooks (integrations.webhooks), after commit.

Writers take no lock: an event is inserted with the change and numbered after it commits.
`events_sequence` gives each committed event that has none its feed position, in one short
transaction of its own that only sequencers wait for. Positions only grow, so a reader that
has seen position N never later finds a smaller one appear, and an event that commits late
gets a later position rather than slipping in behind what readers already saw. A position is
the event's id whenever that keeps the order (one writer at a time: always), else the next
number after the last one given.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from leadflow.db import bulk_update_columns

from .models import Event
from .tasks import webhook_dispatch_batch_task, webhook_dispatch_task

# Only sequencers take it, each for one short transaction.
EVENT_SEQUENCE_LOCK = 0x4C46_4556  # "LFEV"
SEQUENCE_BATCH = 5000


def event_record(*, type: str, data: dict[str, Any], at: datetime.datetime | None = None) -> Event:
    """Add an event to the outbox; call inside the transaction that makes the change."""
    event = Event.objects.create(type=type, data=data, occurred_at=at or timezone.now())
    webhook_dispatch_task.delay_on_commit(event.pk)
    return event


def events_record(events: list[tuple[str, dict[str, Any], datetime.datetime]]) -> list[Event]:
    """Add several `(type, data, at)` events at once, in their order: one insert, and their
    webhooks dispatched by one message after commit."""
    if len(events) <= 1:
        return [event_record(type=type, data=data, at=at) for type, data, at in events]
    recorded = Event.objects.bulk_create(
        [Event(type=type, data=data, occurred_at=at) for type, data, at in events]
    )
    webhook_dispatch_batch_task.delay_on_commit([event.pk for event in recorded])
    return recorded


def events_sequence() -> int:
    """Give the committed events that have no feed position theirs, in id order; how many.

    Call it outside a writer's transaction (the feed, dispatch and sweep tasks do), so the
    lock is held for this short transaction only.
    """
    numbered = 0
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [EVENT_SEQUENCE_LOCK])
            waiting = list(
                Event.objects.filter(position__isnull=True)
                .order_by("id")
                .values_list("id", flat=True)[:SEQUENCE_BATCH]
            )
            if not waiting:
                return numbered
            last = Event.objects.aggregate(last=Max("position"))["last"] or 0
            events = []
            for event_id in waiting:
                last = max(event_id, last + 1)
                events.append(Event(id=event_id, position=last))
            bulk_update_columns(Event, events, ["position"])
        numbered += len(events)
        if len(waiting) < SEQUENCE_BATCH:
            return numbered
