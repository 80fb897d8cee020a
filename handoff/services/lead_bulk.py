"""Bulk actions on leads chosen in the leads list: set their campaign, reassign them, recycle
them with a reason.

Each lead goes through the service that acts on one lead (`lead_update`, `offers_reassign`,
`lead_transition`), which decides as it always does. A batch is all or nothing: every lead is
tried, each in its own savepoint, so that every refusal is reported with the lead it names; if
any lead is refused, the whole batch is undone and the results say which leads would have been
done. Nothing is ever half-done, and the person fixes the choice and tries again.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy

from funnel.models import Campaign, ReasonCode, Role, Stage, StageKind, StageMove, User
from handoff.models import Lead, Offer
from handoff.selectors import lead_visible
from handoff.services.leads import lead_transition, lead_update
from handoff.services.reassign import offers_reassign
from leadflow.errors import DomainError

BULK_MAX = 50  # one page of the list
SETS_CAMPAIGN = (Role.ADMIN, Role.MARKETING)
REASSIGNS = (Role.ADMIN, Role.MANAGER)

ACTION_LABELS = {
    "campaign": gettext_lazy("Set campaign"),
    "reassign": gettext_lazy("Reassign"),
    "recycle": gettext_lazy("Recycle"),
}
NOT_VISIBLE = gettext_lazy("Lead {id} is not one you may see.")
CAMPAIGN_NOT_ALLOWED = gettext_lazy("Your role ({role}) may not set the campaign of leads.")
REASSIGN_NOT_ALLOWED = gettext_lazy("Your role ({role}) may not reassign leads.")
NO_OPEN_OFFER = gettext_lazy("{lead} has no open offer to hand on.")
NO_RECYCLE_STAGE = gettext_lazy("The funnel has no active recycle stage.")
TOO_MANY = gettext_lazy("Choose at most {max} leads at a time.")
NOTHING_CHOSEN = gettext_lazy("Choose at least one lead.")


class BulkRefused(DomainError):
    code = "bulk_refused"
    status = 400


@dataclass(frozen=True)
class BulkResult:
    """What became (or would have become) of one chosen lead."""

    lead_id: int
    lead: str  # how the lead is named to the person; only its id if they may not see it
    done: bool
    message: str = ""


def recycle_stage() -> Stage | None:
    return Stage.objects.filter(kind=StageKind.RECYCLE, active=True).order_by("position").first()


def recycle_moves() -> list[StageMove]:
    stage = recycle_stage()
    if stage is None:
        return []
    return list(StageMove.objects.filter(to_stage=stage, from_stage__isnull=False))


def recycle_reasons(moves: list[StageMove]) -> list[ReasonCode]:
    """Active reasons of the purposes a move into the recycle stage takes."""
    purposes = {purpose for move in moves for purpose in move.reason_purposes}
    return list(
        ReasonCode.objects.filter(purpose__in=purposes, active=True).order_by("purpose", "label")
    )


def bulk_actions_for(user: User, moves: list[StageMove]) -> list[str]:
    """The bulk actions `user`'s role may take; each lead is still checked by its service."""
    role = user.effective_role
    actions = []
    if role in SETS_CAMPAIGN:
        actions.append("campaign")
    if role in REASSIGNS:
        actions.append("reassign")
    # Roles are read in Python: JSON containment differs between databases.
    if any(role in move.roles for move in moves):
        actions.append("recycle")
    return actions


def _name(lead: Lead) -> str:
    return lead.display_name or f"Lead {lead.pk}"


def _campaign(lead: Lead, actor: User, campaign: Campaign | None, **_kw) -> None:
    if actor.effective_role not in SETS_CAMPAIGN:
        raise BulkRefused(str(CAMPAIGN_NOT_ALLOWED).format(role=actor.effective_role))
    lead_update(lead=lead, actor=actor, fields={"campaign": campaign})


def _reassign(lead: Lead, actor: User, assignee: User, **_kw) -> None:
    if actor.effective_role not in REASSIGNS:
        raise BulkRefused(str(REASSIGN_NOT_ALLOWED).format(role=actor.effective_role))
    offer = Offer.objects.current().filter(lead=lead).first()
    if offer is None:
        raise BulkRefused(str(NO_OPEN_OFFER).format(lead=_name(lead)))
    offers_reassign(offers=[offer], actor=actor, assignee=assignee)


def _recycle(lead: Lead, actor: User, reason: ReasonCode, note: str = "", **_kw) -> None:
    stage = recycle_stage()
    if stage is None:
        raise BulkRefused(str(NO_RECYCLE_STAGE))
    lead_transition(lead=lead, to=stage, actor=actor, reason=reason, note=note)


ACTIONS = {"campaign": _campaign, "reassign": _reassign, "recycle": _recycle}


def _refusal(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return str(exc.message)
    return "; ".join(exc.messages)


def leads_bulk(
    *,
    actor: User,
    lead_ids: list[int],
    action: str,
    campaign: Campaign | None = None,
    assignee: User | None = None,
    reason: ReasonCode | None = None,
    note: str = "",
) -> list[BulkResult]:
    """Apply `action` to each chosen lead, all or nothing; one result per lead, in the order
    chosen. A lead `actor` may not see is refused by its id alone (its name is not theirs)."""
    ids = list(dict.fromkeys(lead_ids))
    if not ids:
        raise BulkRefused(str(NOTHING_CHOSEN))
    if len(ids) > BULK_MAX:
        raise BulkRefused(str(TOO_MANY).format(max=BULK_MAX))
    act = ACTIONS[action]
    results = []
    with transaction.atomic():
        visible = lead_visible(actor).select_related("stage", "owner").in_bulk(ids)
        # In id order, as the services lock: two batches over the same leads cannot deadlock.
        for lead_id in sorted(ids):
            lead = visible.get(lead_id)
            if lead is None:
                results.append(
                    BulkResult(lead_id, f"#{lead_id}", False, str(NOT_VISIBLE).format(id=lead_id))
                )
                continue
            try:
                with transaction.atomic():
                    act(
                        lead,
                        actor,
                        campaign=campaign,
                        assignee=assignee,
                        reason=reason,
                        note=note,
                    )
            except (DomainError, ValidationError) as exc:
                results.append(BulkResult(lead_id, _name(lead), False, _refusal(exc)))
            else:
                results.append(BulkResult(lead_id, _name(lead), True))
        if not all(result.done for result in results):
            transaction.set_rollback(True)  # all or nothing: undo the leads that went through
    order = {lead_id: n for n, lead_id in enumerate(ids)}
    return sorted(results, key=lambda result: order[result.lead_id])


def bulk_refused_any(results: list[BulkResult]) -> bool:
    return not all(result.done for result in results)
