"""Writes to the funnel. `lead_transition` is the only code that changes a lead's stage."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .events import event_record, lead_data
from .models import (
    Campaign,
    EventType,
    HandoffPair,
    Lead,
    ReasonCode,
    Role,
    Stage,
    StageKind,
    StageMove,
    StageTransition,
    Team,
    User,
)

KEEP_OWNER = object()  # lead_transition leaves the owner as it is

STAGE_UNKNOWN = "Stage '{key}' does not exist or is not active."
MOVE_NOT_ALLOWED = "A lead in {from_stage} cannot move to {to_stage}."
ENTRY_NOT_ALLOWED = "A new lead cannot start in {to_stage}."
HANDOFF_ONLY = "{to_stage} is entered only by accepting the {handoff} handoff."
ROLE_NOT_ALLOWED = "Your role ({role}) may not move a lead from {from_stage} to {to_stage}."
REASON_REQUIRED = "Moving to {to_stage} needs a reason of purpose: {purposes}."
REASON_WRONG_PURPOSE = (
    "Reason '{code}' is a {purpose} reason; moving to {to_stage} needs one of: {purposes}."
)
REASON_INACTIVE = "Reason '{code}' is no longer in use."
CONCURRENT_CHANGE = (
    "This lead was changed by someone else meanwhile: it is now in {current}, not {expected}. "
    "Reload it and try again."
)


class TransitionError(Exception):
    """A refused move. `code` says which rule refused it; nothing was written."""

    code = "transition_refused"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StageUnknown(TransitionError):
    code = "stage_unknown"


class MoveNotAllowed(TransitionError):
    code = "move_not_allowed"


class RoleNotAllowed(TransitionError):
    code = "role_not_allowed"


class ReasonRequired(TransitionError):
    code = "reason_required"


class ConcurrentChange(TransitionError):
    code = "concurrent_change"


def _stage_get(stage: Stage | str) -> Stage:
    key = stage.key if isinstance(stage, Stage) else stage
    found = Stage.objects.filter(key=key, active=True).select_related("team").first()
    if found is None:
        raise StageUnknown(STAGE_UNKNOWN.format(key=key))
    return found


def _actor_role(actor: User | None) -> str | None:
    """None stands for the system itself (SLA timers), which the agreement authorises."""
    return actor.effective_role if actor is not None else None


def _move_check(
    *,
    from_stage: Stage | None,
    to_stage: Stage,
    actor: User | None,
    reason: ReasonCode | None,
    handoff: HandoffPair | None,
) -> None:
    move = StageMove.objects.filter(from_stage=from_stage, to_stage=to_stage).first()
    if move is None:
        if from_stage is None:
            raise MoveNotAllowed(ENTRY_NOT_ALLOWED.format(to_stage=to_stage))
        raise MoveNotAllowed(MOVE_NOT_ALLOWED.format(from_stage=from_stage, to_stage=to_stage))

    # Loose coupling: the receiver's stage records an acceptance, so nothing else may enter it.
    accepting = HandoffPair.objects.filter(accepted_stage=to_stage).first()
    if accepting is not None and (handoff is None or handoff.pk != accepting.pk):
        raise MoveNotAllowed(HANDOFF_ONLY.format(to_stage=to_stage, handoff=accepting.key))

    role = _actor_role(actor)
    if role is not None and role not in move.roles:
        raise RoleNotAllowed(
            ROLE_NOT_ALLOWED.format(
                role=role, from_stage=from_stage or "(new lead)", to_stage=to_stage
            )
        )

    if move.reason_purposes:
        purposes = ", ".join(move.reason_purposes)
        if reason is None:
            raise ReasonRequired(REASON_REQUIRED.format(to_stage=to_stage, purposes=purposes))
        if reason.purpose not in move.reason_purposes:
            raise ReasonRequired(
                REASON_WRONG_PURPOSE.format(
                    code=reason.code, purpose=reason.purpose, to_stage=to_stage, purposes=purposes
                )
            )
    if reason is not None and not reason.active:
        raise ReasonRequired(REASON_INACTIVE.format(code=reason.code))


def _actor_label(actor: User | None, actor_label: str) -> str:
    if actor_label:
        return actor_label
    if actor is None:
        return "system"
    return actor.username if actor.role == Role.INTEGRATION else ""


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
    to_stage = _stage_get(to)
    # The lock serialises concurrent moves of one lead; the loser sees the winner's stage.
    # No select_related here: after waiting for a lock, PostgreSQL re-checks a joined row
    # against the old stage row and drops the lead instead of returning its new stage.
    current = Lead.objects.select_for_update().get(pk=lead.pk)
    if current.stage_id != lead.stage_id:
        raise ConcurrentChange(CONCURRENT_CHANGE.format(current=current.stage, expected=lead.stage))
    _move_check(
        from_stage=current.stage, to_stage=to_stage, actor=actor, reason=reason, handoff=handoff
    )

    now = at or timezone.now()
    changes: dict[str, Any] = {
        "stage": to_stage,
        "stage_entered_at": now,
        "team": to_stage.team,
        "updated_at": now,
    }
    if to_stage.kind == StageKind.RECYCLE:
        changes["recycle_count"] = F("recycle_count") + 1
    if owner is not KEEP_OWNER:
        changes["owner"] = owner
    # Conditional update: also holds where the database has no row locks (SQLite).
    if not Lead.objects.filter(pk=lead.pk, stage_id=current.stage_id).update(**changes):
        raise ConcurrentChange(
            CONCURRENT_CHANGE.format(current="another stage", expected=lead.stage)
        )

    move = StageTransition.objects.create(
        lead=current,
        from_stage=current.stage,
        to_stage=to_stage,
        at=now,
        actor=actor,
        actor_label=_actor_label(actor, actor_label),
        handoff=handoff,
        reason=reason,
        note=note,
    )
    lead.refresh_from_db(
        fields=["stage", "stage_entered_at", "team", "recycle_count", "updated_at", "owner"]
    )
    event_record(
        type=EventType.LEAD_STAGE_CHANGED,
        at=now,
        data={
            "lead": lead_data(lead),
            "changes": {
                "stage": {"from": current.stage.key, "to": to_stage.key},
                "owner": {
                    "from": current.owner.username if current.owner_id else None,
                    "to": lead.owner.username if lead.owner_id else None,
                },
            },
            "actor": move.actor.username if move.actor_id else move.actor_label,
            "reason": reason.code if reason else None,
            "handoff": handoff.key if handoff else None,
            "note": note,
            "transition": move.pk,
        },
    )
    _offers_follow(lead, move)
    return move


def _offers_follow(lead: Lead, move: StageTransition) -> None:
    # Handoffs react to every stage move in the same transaction: entering an offered stage
    # opens an offer, leaving a handed-off stage ends one. Imported here: handoff builds on funnel.
    from handoff.services.offers import offers_follow_transition

    offers_follow_transition(lead=lead, move=move)


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
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
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
        raise ValidationError({name: "Changes only through its own action." for name in refused})
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
    to_stage = _stage_get(stage)
    _move_check(from_stage=None, to_stage=to_stage, actor=actor, reason=None, handoff=None)
    now = timezone.now()
    lead = Lead(
        stage=to_stage, stage_entered_at=now, team=to_stage.team, **lead_clean_fields(fields)
    )
    lead.full_clean(exclude=["stage", "team"], validate_constraints=True)
    lead.save()
    move = StageTransition.objects.create(
        lead=lead,
        from_stage=None,
        to_stage=to_stage,
        at=now,
        actor=actor,
        actor_label=_actor_label(actor, actor_label),
        note=note,
    )
    event_record(type=EventType.LEAD_CREATED, at=now, data={"lead": lead_data(lead)})
    _offers_follow(lead, move)
    return lead


@transaction.atomic
def funnel_setup_defaults() -> dict[str, int]:
    """Install the default funnel. Safe to re-run: existing rows are never changed.

    Allowed moves are installed only into a funnel that has none, so a move a user removed
    is not brought back.
    """
    from . import defaults
    from .models import Team

    created = dict.fromkeys(["teams", "stages", "moves", "handoffs", "reasons"], 0)
    teams = {}
    for key, name in defaults.TEAMS:
        teams[key], made = Team.objects.get_or_create(key=key, defaults={"name": name})
        created["teams"] += made
    stages = {}
    for key, name, team, position, kind, criteria in defaults.STAGES:
        stages[key], made = Stage.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "team": teams[team],
                "position": position,
                "kind": kind,
                "entry_criteria": criteria,
            },
        )
        created["stages"] += made
    if not StageMove.objects.exists():
        StageMove.objects.bulk_create(
            StageMove(
                from_stage=stages[src] if src else None,
                to_stage=stages[dst],
                roles=list(roles),
                reason_purposes=list(purposes),
            )
            for src, dst, roles, purposes in defaults.MOVES
        )
        created["moves"] = len(defaults.MOVES)
    for key, name, offered, accepted, rejected, sender, receiver in defaults.HANDOFFS:
        if HandoffPair.objects.filter(key=key).exists():
            continue
        # A user may have paired these stages differently under another key: leave theirs.
        if HandoffPair.objects.filter(offered_stage=stages[offered]).exists() or (
            HandoffPair.objects.filter(accepted_stage=stages[accepted]).exists()
        ):
            continue
        HandoffPair.objects.create(
            key=key,
            name=name,
            offered_stage=stages[offered],
            accepted_stage=stages[accepted],
            reject_stage=stages[rejected],
            sending_team=teams[sender],
            receiving_team=teams[receiver],
        )
        created["handoffs"] += 1
    for purpose, reasons in defaults.REASONS.items():
        for position, (code, label) in enumerate(reasons):
            _, made = ReasonCode.objects.get_or_create(
                purpose=purpose, code=code, defaults={"label": label, "position": position}
            )
            created["reasons"] += made
    return created


# --- the directory: people, campaigns and handoff settings, as the API writes them ------------

USERNAME_TAKEN = "A user with that username already exists."
CAMPAIGN_NAME_TAKEN = "A campaign named '{name}' already exists."
CAMPAIGN_ENDS_BEFORE_START = "A campaign cannot end before it starts."


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    team: Team | None = None,
) -> User:
    """Create a login with a role. Every refusal is reported at once, by field; the password is
    judged by the installation's password validators (AUTH_PASSWORD_VALIDATORS)."""
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        team=team,
    )
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        with transaction.atomic():  # a savepoint, so the caller's transaction stays usable
            user.save()
    except IntegrityError as exc:  # the same username, created since full_clean looked
        raise ValidationError({"username": USERNAME_TAKEN}) from exc
    return user


@transaction.atomic
def campaign_create(
    *,
    actor: User | None,
    name: str,
    channel: str = Campaign.Channel.OTHER,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    cost: Decimal = Decimal(0),
) -> Campaign:
    """Create a campaign; names are unique, and a campaign ends on or after its start."""
    if start is not None and end is not None and end < start:
        raise ValidationError({"end": CAMPAIGN_ENDS_BEFORE_START})
    if Campaign.objects.filter(name=name).exists():
        raise ValidationError({"name": CAMPAIGN_NAME_TAKEN.format(name=name)})
    campaign = Campaign(name=name, channel=channel, start=start, end=end, cost=cost)
    campaign.full_clean()
    try:
        with transaction.atomic():
            campaign.save()
    except IntegrityError as exc:  # the same name, created since the check
        raise ValidationError({"name": CAMPAIGN_NAME_TAKEN.format(name=name)}) from exc
    return campaign


@transaction.atomic
def handoff_pair_update(
    *,
    handoff: HandoffPair,
    actor: User | None,
    name: str | None = None,
    target_rate: Decimal | None = None,
) -> HandoffPair:
    """Rename a handoff or set its target acceptance rate (a fraction: 1 = 100%).

    Its stages and teams are the shape of the funnel and are edited in the admin. Only the
    columns that changed are written.
    """
    current = HandoffPair.objects.select_for_update().get(pk=handoff.pk)
    wanted = {"name": name, "target_rate": target_rate}
    changed = [f for f, v in wanted.items() if v is not None and getattr(current, f) != v]
    if not changed:
        return current
    for field in changed:
        setattr(current, field, wanted[field])
    current.full_clean()
    current.save(update_fields=changed)
    return current
