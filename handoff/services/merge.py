"""Merging a duplicate lead into the one that survives it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from funnel.models import User
from handoff.models import Activity, Disposition, Lead, Notification, Offer, Touch
from handoff.services.leads import CONTACT_FIELDS, lead_data, lead_update
from handoff.services.offer_sync import offers_end
from integrations.events import event_record
from integrations.models import EventType
from leadflow.errors import DomainError

MERGE_SELF = gettext_noop("A lead cannot be merged into itself.")
MERGE_INTO_MERGED = _(
    "Lead {id} was merged into lead {into} on {when:%Y-%m-%d %H:%M}; merge into lead {into}."
)
ALREADY_MERGED = _("Lead {id} was already merged into lead {into} on {when:%Y-%m-%d %H:%M}.")


class MergeError(DomainError):
    """A refused merge; nothing was changed."""

    code = "merge_refused"
    status = 409


# Contact fields the survivor takes from the duplicate where its own are empty. Not external_id:
# it is the duplicate's identity in the platform, kept on the duplicate (and unique), so rows
# sent by it resolve to the survivor through merged_into.
MERGE_FILLED = sorted(CONTACT_FIELDS - {"external_id", "attributes"})


def _empty(value: Any) -> bool:
    return value is None or value in ("", {})


@transaction.atomic
def lead_merge(*, survivor: Lead, duplicate: Lead, actor: User | None) -> Lead:
    """Merge `duplicate` into `survivor`, which keeps its own stage, owner and contact data.

    The duplicate's offers, touches, activities, dispositions and notifications move to the
    survivor, and the activities' points to the survivor's score. Its current offers end first
    (`offers_end`): moved still open, an offer would stand for a stage the survivor is not in
    (accepting it would fail, its timers would recycle the survivor), and a second pending offer
    would break one-open-offer-per-lead. Its stage transitions stay on it, since history is
    append-only: the survivor's history reaches them through `merged_leads`. The survivor's
    empty contact fields are filled from the duplicate (attributes key by key), never
    overwritten. The duplicate is kept, marked merged.
    """
    if survivor.pk == duplicate.pk:
        raise ValidationError({"duplicate": gettext(MERGE_SELF)})
    # Lower id first: merges of the same two leads, in either direction, queue behind each
    # other instead of deadlocking. Leads before their offers, as everywhere.
    locked = {
        pk: Lead.objects.select_for_update().get(pk=pk)
        for pk in sorted((survivor.pk, duplicate.pk))
    }
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    if duplicate.merged_into_id is not None:
        raise MergeError(
            ALREADY_MERGED.format(
                id=duplicate.pk, into=duplicate.merged_into_id, when=duplicate.merged_at
            )
        )
    if survivor.merged_into_id is not None:
        raise MergeError(
            MERGE_INTO_MERGED.format(
                id=survivor.pk, into=survivor.merged_into_id, when=survivor.merged_at
            )
        )

    now = timezone.now()
    offers_ended = offers_end(lead_id=duplicate.pk, at=now, actor=actor, why="lead merged")
    points = Activity.objects.filter(lead_id=duplicate.pk).aggregate(n=Sum("points"))["n"] or 0
    moved = {
        name: model.objects.filter(lead_id=duplicate.pk).update(lead_id=survivor.pk)
        for name, model in (
            ("offers", Offer),
            ("touches", Touch),
            ("activities", Activity),
            ("dispositions", Disposition),
            ("notifications", Notification),
        )
    }

    fills = {
        name: getattr(duplicate, name)
        for name in MERGE_FILLED
        if _empty(getattr(survivor, name)) and not _empty(getattr(duplicate, name))
    }
    attributes = {**duplicate.attributes, **survivor.attributes}
    if attributes != survivor.attributes:
        fills["attributes"] = attributes
    if fills:
        lead_update(lead=survivor, actor=actor, fields=fills)
    Lead.objects.filter(pk=survivor.pk).update(score=F("score") + points, updated_at=now)
    Lead.objects.filter(pk=duplicate.pk).update(merged_into=survivor, merged_at=now, updated_at=now)

    survivor.refresh_from_db()
    event_record(
        type=EventType.LEAD_MERGED,
        at=now,
        data={
            "lead": lead_data(survivor),
            "survivor": survivor.pk,
            "duplicate": duplicate.pk,
            "duplicate_external_id": duplicate.external_id,
            "filled": sorted(fills),
            "moved": moved,
            "offers_ended": offers_ended,
            "points": points,
            "actor": actor.username if actor is not None else "system",
        },
    )
    return survivor
