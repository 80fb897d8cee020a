"""A lead card as the queue, the pipeline and the lead page show it: the lead, its open offer,
where each of its forms posts, the dispositions its stage and the viewer's role allow, and,
after an action, the refusal (with what the user entered) or the confirmation, on this card."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _

from funnel.models import ReasonPurpose, User
from handoff.forms import DISPOSITION_PURPOSES, TouchForm, reason_choices
from handoff.models import Disposition, Lead, Offer
from handoff.services.work import FunnelMoves
from handoff.views.actions import ACTIONS


@dataclass
class Outcome:
    """What the last action did, shown on the card it was taken on."""

    lead_id: int | None = None
    done: str = ""
    error: str = ""
    posted: dict = field(default_factory=dict)  # the failed form's input, kept
    # Where the user acted ("held:3"): a lead that left the list leaves its confirmation there.
    slot: str = ""


@dataclass
class Card:
    lead: Lead
    offer: Offer | None
    urls: dict[str, str]
    dispositions: list[tuple[str, str]]
    done: str = ""
    error: str = ""
    posted: dict = field(default_factory=dict)
    gone: bool = False  # only the confirmation of an action that took the lead off this list


class CardMaker:
    """Makes the cards of one page; the funnel's moves and the select options are read once."""

    def __init__(self, user: User, outcome: Outcome | None = None, *, via_lead: bool = False):
        self.user = user
        self.outcome = outcome or Outcome()
        self.via_lead = via_lead  # forms post to the lead's address, not the offer's
        self._funnel: FunnelMoves | None = None
        self._dispositions: dict[int, list] = {}
        self.placed = False  # the outcome was shown on a card or in its slot

    def _allowed(self, lead: Lead) -> list[tuple[str, str]]:
        if lead.stage_id not in self._dispositions:
            if self._funnel is None:
                self._funnel = FunnelMoves.load()
            kinds = self._funnel.dispositions_for(lead.stage, self.user.effective_role)
            self._dispositions[lead.stage_id] = [
                (kind, label) for kind, label in Disposition.Kind.choices if kind in kinds
            ]
        return self._dispositions[lead.stage_id]

    def _urls(self, lead: Lead, offer: Offer | None) -> dict[str, str]:
        if self.via_lead or offer is None:
            return {a: reverse("handoff:lead-action", args=[lead.pk, a]) for a in ACTIONS}
        return {a: reverse("handoff:offer-action", args=[offer.pk, a]) for a in ACTIONS}

    def card(self, lead: Lead, offer: Offer | None, *, work: bool = False) -> Card:
        card = Card(
            lead=lead,
            offer=offer,
            urls=self._urls(lead, offer),
            dispositions=self._allowed(lead) if work else [],
        )
        if self.outcome.lead_id == lead.pk:
            self.placed = True
            card.done, card.error, card.posted = (
                self.outcome.done,
                self.outcome.error,
                self.outcome.posted,
            )
        return card

    @property
    def unplaced(self) -> Outcome | None:
        """The outcome if no card showed it (its lead left every list shown): for the top."""
        return (
            None if self.placed or not (self.outcome.done or self.outcome.error) else self.outcome
        )

    def cards(self, pairs, *, work: bool = False) -> list[Card]:
        return [self.card(lead, offer, work=work) for lead, offer in pairs]

    def settle(self, **lists: list[Card]) -> dict[str, list[Card]]:
        """After every list of the page is made: an action whose lead left them all leaves its
        confirmation in the list it was taken in, where its card stood."""
        name, _, index = self.outcome.slot.partition(":")
        if not self.placed and self.outcome.done and name in lists:
            cards = lists[name]
            at = min(int(index) if index.isdigit() else 0, len(cards))
            done = self.outcome.done
            cards.insert(at, Card(None, None, urls={}, dispositions=[], done=done, gone=True))
            self.placed = True
        return lists


def select_options() -> dict[str, list]:
    """The choices of the cards' selects; the reasons in one query."""
    touch = TouchForm()
    purposes = [ReasonPurpose.REJECT, *DISPOSITION_PURPOSES]
    reasons = reason_choices(*purposes, prompt="")[1:]
    reject = [(value, label) for value, label in reasons if value.startswith("reject:")]
    return {
        "reject_reason": [("", _("Why reject?")), *reject],
        "touch_kind": touch.fields["kind"].choices,
        "touch_outcome": touch.fields["outcome"].choices,
        "disposition_reason": [("", _("Reason…")), *(r for r in reasons if r not in reject)],
    }
