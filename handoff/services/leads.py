"""A lead's own writes: create it, edit its contact fields, move it between stages.

`lead_transition` is the only code that changes a lead's stage; the offers follow each move in
its transaction (offer_sync).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funnel.models import HandoffPair, ReasonCode, Role, Stage, StageKind, User
from funnel.rules import ConcurrentChange, move_check, stage_get
from handoff.models import Lead, StageTransition
from handoff.services.offer_sync import offers_follow_transitions, offers_open
from integrations.events import events_record
from integrations.models import EventType


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


KEEP_OWNER = object()  # lead_transition leaves the owner as it is

CONCURRENT_CHANGE = _(
    "This lead was changed by someone else meanwhile: it is now in {current}, not {expected}. "
    "Reload it and try again."
)
LEAD_MERGED = _("This lead was merged into lead {into} meanwhile; act on lead {into}.")


def _actor_label(actor: User | None, actor_label: str) -> str:
    if actor_label:
        return actor_label
    if actor is None:
        return "system"
    return actor.username if actor.role == Role.INTEGRATION else ""


class LeadMove(NamedTuple):
    """One lead's move in `leads_transition`: `lead` is what the actor saw."""

    lead: Lead
    to: Stage
    reason: ReasonCode | None = None
    note: str = ""
    handoff: HandoffPair | None = None
    owner: User | object | None = KEEP_OWNER


@transaction.atomic
def lead_transition(
    *,
    lead: Lead,
    to: Stage | str,
    actor: User | None,
    reason: ReasonCode | None = None,
    note: str = "",
    handoff: HandoffPair | None = None,
    actor_label: str = "",
    at: datetime.datetime | None = None,
    owner: User | object | None = KEEP_OWNER,
) -> StageTransition:
    """Move `lead` to the stage `to`, as `actor` (None: the system), and record the move.

    The move is checked against the funnel's allowed moves and the actor's role. The caller's
    `lead` is what the actor saw: if its stage changed meanwhile, the move is refused rather
    than applied to a lead the actor did not look at. A handoff passes `owner` to hand the
    lead over (or back, with None) in the same write.
    """
    move = LeadMove(lead, stage_get(to), reason, note, handoff, owner)
    [transition] = leads_transition(moves=[move], actor=actor, actor_label=actor_label, at=at)
    return transition


@transaction.atomic
def leads_transition(
    *,
    moves: list[LeadMove],
    actor: User | None,
    actor_label: str = "",
    at: datetime.datetime | None = None,
) -> list[StageTransition]:
    """Make several leads' moves at once, each as `lead_transition` makes one (checked, refused
    whole if any lead changed meanwhile), in a few statements whatever their number; the SLA
    sweep recycles its batch of expired leads this way. The callers' leads are brought up to
    date."""
    # The locks serialise concurrent moves of a lead; the loser sees the winner's stage. No
    # select_related here: after waiting for a lock, PostgreSQL re-checks a joined row against
    # the old stage row and drops the lead instead of returning its new stage.
    ids = [move.lead.pk for move in moves]
    current = Lead.objects.select_for_update().order_by("pk").in_bulk(ids)
    stages = Stage.objects.in_bulk({lead.stage_id for lead in current.values()})
    owners = User.objects.in_bulk({lead.owner_id for lead in current.values() if lead.owner_id})
    checked = set()
    for move in moves:
        was = current[move.lead.pk]
        if was.merged_into_id is not None:
            # Merged since the actor looked: a move here would open offers on a lead that no
            # longer stands for anyone.
            raise ConcurrentChange(LEAD_MERGED.format(into=was.merged_into_id))
        if was.stage_id != move.lead.stage_id:
            raise ConcurrentChange(
                CONCURRENT_CHANGE.format(current=stages[was.stage_id], expected=move.lead.stage)
            )
        check = (was.stage_id, move.to.pk, move.reason, move.handoff)
        if check not in checked:  # the same move for many leads is checked once
            move_check(
                from_stage=stages[was.stage_id],
                to_stage=move.to,
                actor=actor,
                reason=move.reason,
                handoff=move.handoff,
            )
            checked.add(check)

    now = at or timezone.now()
    # One conditional update per kind of move: it also holds where the database has no row
    # locks (SQLite).
    groups: dict[tuple, list[int]] = defaultdict(list)
    for move in moves:
        owner = move.owner if move.owner is KEEP_OWNER else getattr(move.owner, "pk", None)
        groups[(current[move.lead.pk].stage_id, move.to, owner)].append(move.lead.pk)
    for (from_stage_id, to_stage, owner), group in groups.items():
        changes: dict[str, Any] = {
            "stage": to_stage,
            "stage_entered_at": now,
            "team": to_stage.team,
            "updated_at": now,
        }
        if to_stage.kind == StageKind.RECYCLE:
            changes["recycle_count"] = F("recycle_count") + 1
        if owner is not KEEP_OWNER:
            changes["owner_id"] = owner
        if Lead.objects.filter(pk__in=group, stage_id=from_stage_id).update(**changes) != len(
            group
        ):
            raise ConcurrentChange(
                CONCURRENT_CHANGE.format(current="another stage", expected=stages[from_stage_id])
            )

    label = _actor_label(actor, actor_label)
    transitions = StageTransition.objects.bulk_create(
        [
            StageTransition(
                lead=current[move.lead.pk],
                from_stage_id=current[move.lead.pk].stage_id,
                to_stage=move.to,
                at=now,
                actor=actor,
                actor_label=label,
                handoff=move.handoff,
                reason=move.reason,
                note=move.note,
            )
            for move in moves
        ]
    )
    events = []
    for move, transition in zip(moves, transitions, strict=True):
        lead, was = move.lead, current[move.lead.pk]
        lead.stage, lead.stage_entered_at, lead.team, lead.updated_at = (
            move.to,
            now,
            move.to.team,
            now,
        )
        lead.recycle_count = was.recycle_count + (move.to.kind == StageKind.RECYCLE)
        previous_owner = owners.get(was.owner_id)
        lead.owner = previous_owner if move.owner is KEEP_OWNER else move.owner
        events.append(
            (
                EventType.LEAD_STAGE_CHANGED,
                {
                    "lead": lead_data(lead),
                    "changes": {
                        "stage": {"from": stages[was.stage_id].key, "to": move.to.key},
                        "owner": {
                            "from": previous_owner.username if previous_owner else None,
                            "to": lead.owner.username if lead.owner_id else None,
                        },
                    },
                    "actor": actor.username if actor else label,
                    "reason": move.reason.code if move.reason else None,
                    "handoff": move.handoff.key if move.handoff else None,
                    "note": move.note,
                    "transition": transition.pk,
                },
                now,
            )
        )
    events_record(events)
    # Offers follow every move in the same transaction: entering an offered stage opens one,
    # leaving a handed-off stage ends one.
    offers_follow_transitions(transitions)
    return transitions


LEAD_FIELDS = {
    "email",
    "first_name",
    "last_name",
    "phone",
    "company",
    "title",
    "country",
    "region",
    "city",
    "industry",
    "employees",
    "source",
    "campaign",
    "external_id",
    "crm_id",
    "score",
    "attributes",
}


def lead_clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Normalise contact fields the way the database stores them."""
    unknown = set(fields) - LEAD_FIELDS
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    cleaned = dict(fields)
    if "email" in cleaned:
        cleaned["email"] = (cleaned["email"] or "").strip().lower()
    if "country" in cleaned:
        cleaned["country"] = (cleaned["country"] or "").strip().upper()
    if cleaned.get("external_id") == "":
        cleaned["external_id"] = None
    return cleaned


# What a person or an integration may edit directly. Stage, owner and score change only through
# their own services (moves, handoffs, scoring).
CONTACT_FIELDS = LEAD_FIELDS - {"score"}


@transaction.atomic
def lead_update(*, lead: Lead, actor: User | None, fields: dict[str, Any]) -> Lead:
    """Change a lead's contact fields; only the columns that changed are written."""
    refused = sorted(set(fields) & (LEAD_FIELDS - CONTACT_FIELDS))
    if refused:
        raise ValidationError({name: _("Changes only through its own action.") for name in refused})
    cleaned = lead_clean_fields(fields)
    current = Lead.objects.select_for_update().get(pk=lead.pk)
    changed = [name for name, value in cleaned.items() if getattr(current, name) != value]
    for name in changed:
        setattr(current, name, cleaned[name])
    if not changed:
        return current
    current.full_clean(exclude=["stage", "team", "owner"], validate_constraints=True)
    current.updated_at = timezone.now()
    # Only these columns: a full save could undo a stage move made meanwhile.
    current.save(update_fields=[*changed, "updated_at"])
    return current


@transaction.atomic
def lead_create(
    *,
    actor: User | None,
    stage: Stage | str = "inquiry",
    actor_label: str = "",
    note: str = "",
    **fields: Any,
) -> Lead:
    """Create a lead in an entry stage of the funnel, with its first transition."""
    to_stage = stage_get(stage)
    move_check(from_stage=None, to_stage=to_stage, actor=actor, reason=None, handoff=None)
    now = timezone.now()
    lead = Lead(
        stage=to_stage, stage_entered_at=now, team=to_stage.team, **lead_clean_fields(fields)
    )
    lead.full_clean(exclude=["stage", "team"], validate_constraints=True)
    [lead] = leads_write_new(actor=actor, leads=[lead], notes=[note], actor_label=actor_label)
    return lead


def leads_write_new(
    *,
    actor: User | None,
    leads: list[Lead],
    notes: list[str] | None = None,
    actor_label: str = "",
) -> list[Lead]:
    """Write new leads the caller built and checked (entry stage allowed, fields clean), each
    with its first transition, its `lead.created` event and, in an offered stage, its offer.

    A statement per kind of row, whatever the number of leads: this is how a bulk import and a
    single create write alike.
    """
    Lead.objects.bulk_create(leads)
    label = _actor_label(actor, actor_label)
    moves = StageTransition.objects.bulk_create(
        [
            StageTransition(
                lead=lead,
                from_stage=None,
                to_stage=lead.stage,
                at=lead.stage_entered_at,
                actor=actor,
                actor_label=label,
                note=note,
            )
            for lead, note in zip(leads, notes or [""] * len(leads), strict=True)
        ]
    )
    events_record(
        [
            (EventType.LEAD_CREATED, {"lead": lead_data(lead)}, lead.stage_entered_at)
            for lead in leads
        ]
    )
    offers_open(moves=moves)
    return leads
