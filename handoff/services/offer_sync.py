"""Offers kept in step with the stages their lead moves through: opened when a lead enters a
handoff's offered stage, ended when it leaves by another path or is merged away.

`leads_transition` calls `offers_follow_transitions` in its own transaction; merge calls
`offers_end`. The decisions on an offer are in offers; what the SLA does, in breaches.
"""

from __future__ import annotations

import datetime

from funnel.models import HandoffPair, User
from handoff.models import Offer, OfferStatus, StageTransition
from handoff.services import sla
from handoff.tasks import offer_route_task, offers_route_task
from integrations.events import events_record
from integrations.models import EventType


def offer_data(offer: Offer) -> dict:
    """An offer as events and the API carry it."""
    return {
        "id": offer.pk,
        "lead": offer.lead_id,
        "handoff": offer.handoff.key,
        "status": offer.status,
        "assignee": offer.assignee.username if offer.assignee_id else None,
        "queue": offer.queue.key if offer.queue_id else None,
        "offered_at": offer.offered_at.isoformat(),
        "decided_at": offer.decided_at.isoformat() if offer.decided_at else None,
        "decided_by": offer.decided_by.username if offer.decided_by_id else None,
        "reason": offer.reason.code if offer.reason_id else None,
        "agreement_version": offer.agreement.version if offer.agreement_id else None,
    }


def _offer_end(offer: Offer, *, at: datetime.datetime, actor: User | None, why: str = "") -> None:
    """End one current offer (locked by the caller): a pending one is withdrawn, an accepted one
    closed; either way its SLA clocks stop."""
    if offer.status == OfferStatus.PENDING:
        offer.status, offer.decided_at, offer.decided_by = OfferStatus.WITHDRAWN, at, actor
        offer.closed_at = at
        offer.save(update_fields=["status", "decided_at", "decided_by", "closed_at"])
        sla.timers_cancel(offer=offer, why=why or "offer withdrawn")
    else:
        offer.closed_at = at
        offer.save(update_fields=["closed_at"])
        sla.timers_cancel(offer=offer, why=why or "lead dispositioned")


def offers_end(
    *,
    lead_id: int,
    at: datetime.datetime,
    actor: User | None,
    why: str = "",
) -> list[int]:
    """End the lead's current offers (a merge ends its duplicate's); the ids of those ended.

    Accepts, rejects and SLA expiry end their own offer in offers and breaches; a move by
    another path ends the lead's in `offers_follow_transitions`.
    """
    ended = []
    for offer in Offer.objects.select_for_update().current().filter(lead_id=lead_id):
        _offer_end(offer, at=at, actor=actor, why=why)
        ended.append(offer.pk)
    return ended


def offers_follow_transitions(moves: list[StageTransition]) -> None:
    """Keep offers in step with stage moves (one per lead); `leads_transition` calls this in its
    transaction.

    A pending offer that the lead left by another path (marketing skipped ahead, or pulled it
    back) is withdrawn; an accepted one whose lead left the accepted stage is closed, which stops
    its clocks; entering an offered stage makes a new offer.
    """
    by_lead = {move.lead_id: move for move in moves}
    for offer in Offer.objects.select_for_update().current().filter(lead_id__in=by_lead):
        move = by_lead[offer.lead_id]
        if move.handoff_id == offer.handoff_id:
            continue  # the offer's own accept or reject, which its service records
        accepted_stage_id = offer.handoff.accepted_stage_id
        if offer.status == OfferStatus.ACCEPTED and move.to_stage_id == accepted_stage_id:
            continue
        _offer_end(offer, at=move.at, actor=move.actor, why="")
    offers_open(moves=moves)


def offers_open(*, moves: list[StageTransition]) -> list[Offer]:
    """An offer for each move into a handoff's offered stage, routed after commit.

    A lead's own moves and a bulk import's new leads come here alike; the import's offers go
    to routing in one message.
    """
    pairs = {
        pair.offered_stage_id: pair
        for pair in HandoffPair.objects.filter(
            offered_stage_id__in={move.to_stage_id for move in moves}
        ).select_related("receiving_team")
    }
    agreements = {pair.pk: sla.agreement_current(pair) for pair in pairs.values()}
    offers = Offer.objects.bulk_create(
        [
            Offer(
                handoff=pairs[move.to_stage_id],
                lead_id=move.lead_id,
                offered_at=move.at,
                offered_by=move.actor,
                transition=move,
                agreement=agreements[pairs[move.to_stage_id].pk],
            )
            for move in moves
            if move.to_stage_id in pairs
        ]
    )
    events_record(
        [(EventType.OFFER_CREATED, offer_data(offer), offer.offered_at) for offer in offers]
    )
    ids = [offer.pk for offer in offers]
    if len(ids) == 1:
        offer_route_task.delay_on_commit(ids[0])
    elif ids:
        offers_route_task.delay_on_commit(ids)
    return offers
