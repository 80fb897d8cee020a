"""Defaults that `setup_funnel` installs for each handoff, so SLAs apply from the first lead."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from funnel.models import HandoffPair
from handoff.models import BreachAction, RoutingRule, RoutingStrategy, SlaAgreement, SlaClock
from handoff.services.sla import agreement_propose

DEFAULT_TERMS = {
    "accept_within_hours": Decimal(8),  # one working day
    "first_touch_within_hours": Decimal(8),
    "min_touches": 3,
    "touches_within_days": 10,
    "work_within_days": 30,
    "warn_before_hours": Decimal(2),
}
# The breach ladder: clock, working hours past its due time, action.
DEFAULT_STEPS = [
    (SlaClock.ACCEPT, 0, BreachAction.REMIND),
    (SlaClock.ACCEPT, 4, BreachAction.ESCALATE),
    (SlaClock.ACCEPT, 8, BreachAction.RECYCLE),
    (SlaClock.FIRST_TOUCH, 0, BreachAction.REMIND),
    (SlaClock.FIRST_TOUCH, 8, BreachAction.ESCALATE),
    (SlaClock.TOUCHES, 0, BreachAction.RECYCLE),
    (SlaClock.WORK, 0, BreachAction.ESCALATE),
]


@transaction.atomic
def handoff_setup_defaults() -> dict[str, int]:
    """A signed default agreement and a round-robin rule for each handoff that has none."""
    created = {"agreements": 0, "routing rules": 0}
    now = timezone.now()
    for pair in HandoffPair.objects.select_related("offered_stage", "receiving_team"):
        if not SlaAgreement.objects.filter(handoff=pair).exists():
            agreement = agreement_propose(
                handoff=pair,
                actor=None,
                steps=DEFAULT_STEPS,
                criteria=pair.offered_stage.entry_criteria,
                **DEFAULT_TERMS,
            )
            # Installed as signed, so a fresh install enforces an SLA at once; leaders sign
            # the next version themselves.
            agreement.marketing_signoff_at = agreement.sales_signoff_at = now
            agreement.effective_at = now
            agreement.save()
            created["agreements"] += 1
        if not RoutingRule.objects.filter(handoff=pair).exists():
            RoutingRule.objects.create(
                handoff=pair,
                position=100,
                # Data once made: named in the language setup_funnel runs in (--language).
                name=gettext("Everyone in %(team)s, by weight") % {"team": pair.receiving_team},
                strategy=RoutingStrategy.WEIGHTED,
                target_team=pair.receiving_team,
            )
            created["routing rules"] += 1
    return created
