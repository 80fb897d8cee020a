"""A hand-built acceptance history of the MQL → SAL handoff, through the real services.

Weeks are counted in Berlin time; the report's week is 2026-W47 (Monday 16 November). Each offer
is decided an hour after it is offered (well inside its SLA), by the rep it was routed to.

  week      offers  accepted  rejected  pending  acceptance
  2026-W44       1         0         1        0  0%    (1 decision: under a min volume of 4)
  2026-W45       4         4         0        0  100%
  2026-W46       4         3         1        0  75%
  2026-W47       5         2         2        1  50%   the week checked
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import time_machine

from funnel.models import ReasonCode
from handoff.models import Offer
from handoff.services.leads import lead_create
from handoff.services.offers import offer_accept, offer_reject, offer_route
from handoff.services.work import lead_disposition
from reporting.tests.conftest import berlin

WEEK = datetime.date(2026, 11, 16)  # 2026-W47
CHECK_AT = berlin(2026, 11, 23, 6)  # the Monday after, when beat runs the check

OFFERS = [
    (berlin(2026, 10, 27, 10), "reject"),  # W44
    (berlin(2026, 11, 2, 10), "accept"),  # W45
    (berlin(2026, 11, 3, 10), "accept"),
    (berlin(2026, 11, 4, 10), "accept"),
    (berlin(2026, 11, 5, 10), "accept"),
    (berlin(2026, 11, 9, 10), "accept"),  # W46
    (berlin(2026, 11, 10, 10), "accept"),
    (berlin(2026, 11, 11, 10), "accept"),
    (berlin(2026, 11, 12, 10), "reject"),
    (berlin(2026, 11, 16, 10), "accept"),  # W47
    (berlin(2026, 11, 17, 10), "accept"),
    (berlin(2026, 11, 18, 10), "reject"),
    (berlin(2026, 11, 19, 10), "reject"),
    (berlin(2026, 11, 20, 10), None),  # still pending
]


def travel(moment: datetime.datetime):
    return time_machine.travel(moment, tick=False)


def offers_build() -> list[Offer]:
    reason = ReasonCode.objects.get(purpose="reject", code="not_icp")
    offers = []
    for n, (offered, decision) in enumerate(OFFERS, start=1):
        with travel(offered):
            lead = lead_create(
                actor=None, stage="mql", email=f"buyer{n}@example.com", first_name="Buyer",
                last_name=f"No. {n}", company=f"Company {n}",
            )  # fmt: skip
            offer = offer_route(offer_id=Offer.objects.get(lead=lead).pk)
        with travel(offered + datetime.timedelta(hours=1)):
            if decision == "accept":
                offer_accept(offer=offer, actor=offer.assignee)
            elif decision == "reject":
                offer_reject(offer=offer, actor=offer.assignee, reason=reason)
        offers.append(offer)
    return offers


def deals_close(offers: list[Offer]) -> None:
    """In W47: the first lead accepted that week is won (12,000), the second lost on price."""
    won, lost = offers[9], offers[10]
    with travel(berlin(2026, 11, 19, 15)):
        lead_disposition(lead=won.lead, actor=won.assignee, disposition="won",
                         amount=Decimal(12000), note="Three-year licence")  # fmt: skip
    with travel(berlin(2026, 11, 20, 15)):
        lead_disposition(
            lead=lost.lead, actor=lost.assignee, disposition="lost",
            reason=ReasonCode.objects.get(purpose="lost", code="price"), competitor="Globex",
        )  # fmt: skip
