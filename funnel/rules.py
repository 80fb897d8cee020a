"""The allowed-move rule, written once: which stage a lead may enter from where, by whom, and
with which reason. Services, forms and the API all ask here."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.errors import DomainError

from .models import HandoffPair, ReasonCode, Stage, StageMove, User

STAGE_UNKNOWN = _("Stage '{key}' does not exist or is not active.")
MOVE_NOT_ALLOWED = _("A lead in {from_stage} cannot move to {to_stage}.")
ENTRY_NOT_ALLOWED = _("A new lead cannot start in {to_stage}.")
HANDOFF_ONLY = _("{to_stage} is entered only by accepting the {handoff} handoff.")
ROLE_NOT_ALLOWED = _("Your role ({role}) may not move a lead from {from_stage} to {to_stage}.")
REASON_REQUIRED = _("Moving to {to_stage} needs a reason of purpose: {purposes}.")
REASON_WRONG_PURPOSE = _(
    "Reason '{code}' is a {purpose} reason; moving to {to_stage} needs one of: {purposes}."
)
REASON_INACTIVE = _("Reason '{code}' is no longer in use.")
REASON_UNKNOWN_FOR_MOVE = _("Unknown reason '{code}' for this move.")


class TransitionError(DomainError):
    """A refused move. `code` says which rule refused it; nothing was written."""

    code = "transition_refused"
    status = 409


class StageUnknown(TransitionError):
    code = "stage_unknown"
    status = 400


class MoveNotAllowed(TransitionError):
    code = "move_not_allowed"


class RoleNotAllowed(TransitionError):
    code = "role_not_allowed"
    status = 403


class ReasonRequired(TransitionError):
    code = "reason_required"
    status = 400


class ConcurrentChange(TransitionError):
    code = "concurrent_change"


def stage_get(stage: Stage | str) -> Stage:
    """The active stage `stage` (a Stage or its key), or StageUnknown."""
    key = stage.key if isinstance(stage, Stage) else stage
    found = Stage.objects.filter(key=key, active=True).select_related("team").first()
    if found is None:
        raise StageUnknown(STAGE_UNKNOWN.format(key=key))
    return found


def _actor_role(actor: User | None) -> str | None:
    """None stands for the system itself (SLA timers), which the agreement authorises."""
    return actor.effective_role if actor is not None else None


def move_check(
    *,
    from_stage: Stage | None,
    to_stage: Stage,
    actor: User | None,
    reason: ReasonCode | None,
    handoff: HandoffPair | None,
) -> None:
    """Refuse the move (None `from_stage`: a new lead's entry) unless the funnel allows it."""
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
                role=role, from_stage=from_stage or gettext("(new lead)"), to_stage=to_stage
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


def entry_stages_for(actor: User) -> list[Stage]:
    """Active stages a new lead may start in when `actor` creates it (funnel entry moves)."""
    role = actor.effective_role
    moves = StageMove.objects.filter(from_stage__isnull=True, to_stage__active=True).exclude(
        # Only accepting its handoff enters an accepted stage (move_check's rule).
        to_stage__in=HandoffPair.objects.values("accepted_stage")
    )
    # Roles are filtered here, not in SQL: JSON containment differs between databases.
    stages = [
        move.to_stage
        for move in moves.select_related("to_stage")
        if role in move.roles and not move.reason_purposes
    ]
    return sorted(stages, key=lambda stage: (stage.position, stage.key))


def reason_for_move(*, from_stage_id: int | None, to: str, code: str) -> ReasonCode | None:
    """The reason `code` among the purposes the move takes (codes repeat across purposes).

    Retired reasons are found too (active ones first), so that move_check can say the reason is
    no longer in use.
    """
    if not code:
        return None
    move = StageMove.objects.filter(from_stage_id=from_stage_id, to_stage__key=to).first()
    reasons = ReasonCode.objects.filter(code=code)
    if move is not None and move.reason_purposes:
        reasons = reasons.filter(purpose__in=move.reason_purposes)
    reason = reasons.order_by("-active").first()
    if reason is None:
        raise ValidationError({"reason": [REASON_UNKNOWN_FOR_MOVE.format(code=code)]})
    return reason
