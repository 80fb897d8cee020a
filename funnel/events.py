"""The event outbox: `event_record` writes an event in the transaction of the change it reports.

Integrations read the events in order (`GET /api/v1/events/?after=N`) and receive them as
webhooks (funnel.webhooks), after commit. An event's id is its sequence number.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from .models import Event, Lead

# Held until commit, so ids are handed out in commit order and a reader that saw event N
# never later finds a smaller id appear (a sequence alone gives ids in insert order).
EVENT_SEQUENCE_LOCK = 0x4C46_4556  # "LFEV"


def lead_data(lead: Lead) -> dict[str, Any]:
    """A lead as events carry it: the API's fields, without the current offer."""
    return {
        "id": lead.pk,
        "email": lead.email,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "company": lead.company,
        "country": lead.country,
        "source": lead.source,
        "campaign": lead.campaign_id,
        "score": lead.score,
        "external_id": lead.external_id,
        "crm_id": lead.crm_id,
        "stage": lead.stage.key,
        "owner": lead.owner.username if lead.owner_id else None,
        "created_at": lead.created_at.isoformat(),
        "updated_at": lead.updated_at.isoformat(),
    }


def event_record(*, type: str, data: dict[str, Any], at: datetime.datetime | None = None) -> Event:
    """Add an event to the outbox; call inside the transaction that makes the change."""
    from .tasks import webhook_dispatch_task

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [EVENT_SEQUENCE_LOCK])
    event = Event.objects.create(type=type, data=data, occurred_at=at or timezone.now())
    webhook_dispatch_task.delay_on_commit(event.pk)
    return event
