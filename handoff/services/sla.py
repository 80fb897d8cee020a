"""SLA agreements (versioned, signed by both sides) and the timers each offer runs under: their
schedule and cancelling them. What happens when one runs out is in breaches."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from funnel.models import HandoffPair, User
from funnel.selectors import user_manages_team
from handoff.models import (
    Offer,
    SlaAgreement,
    SlaClock,
    SlaStep,
    SlaTimer,
)
from handoff.working_time import working_add
from leadflow.errors import DomainError

NOT_A_LEADER = _(
    "Only the manager of {sender} (marketing side) or of {receiver} (sales side) "
    "may sign off this agreement."
)
ALREADY_SIGNED = _("The {side} side already signed off version {version}.")
# The side that signed, in ALREADY_SIGNED.
SIDES = {
    "marketing": pgettext_lazy("the … side (of an agreement) already signed", "marketing"),
    "sales": pgettext_lazy("the … side (of an agreement) already signed", "sales"),
}
AGREEMENT_SUPERSEDED = _("Version {version} was superseded by a newer proposal; sign that one.")


class AgreementError(DomainError):
    code = "agreement_refused"
    status = 409


# The terms a version sets; its breach ladder (SlaStep) is copied as it is.
AGREEMENT_TERMS = (
    "criteria",
    "accept_within_hours",
    "first_touch_within_hours",
    "min_touches",
    "touches_within_days",
    "work_within_days",
    "warn_before_hours",
)


def agreement_current(handoff: HandoffPair) -> SlaAgreement | None:
    """The agreement in force: the newest version signed by both sides."""
    return (
        SlaAgreement.objects.filter(handoff=handoff, effective_at__isnull=False)
        .order_by("-version")
        .first()
    )


@transaction.atomic
def agreement_propose(
    *,
    handoff: HandoffPair,
    actor: User | None,
    steps: list[tuple[str, Decimal | int, str]],
    **terms,
) -> SlaAgreement:
    """A new version of a handoff's terms. It is not in force until both sides sign it off."""
    HandoffPair.objects.select_for_update().get(pk=handoff.pk)  # one new version at a time
    last = SlaAgreement.objects.filter(handoff=handoff).aggregate(v=Max("version"))["v"] or 0
    agreement = SlaAgreement(handoff=handoff, version=last + 1, created_by=actor, **terms)
    agreement.full_clean()
    agreement.save()
    for clock, after_hours, action in steps:
        step = SlaStep(agreement=agreement, clock=clock, after_hours=after_hours, action=action)
        step.full_clean()
        step.save()
    return agreement


@transaction.atomic
def agreement_sign_off(*, agreement: SlaAgreement, actor: User) -> SlaAgreement:
    """Record one side's sign-off; the second one puts the version in force."""
    agreement = (
        SlaAgreement.objects.select_for_update().select_related("handoff").get(pk=agreement.pk)
    )
    pair = agreement.handoff
    newest = SlaAgreement.objects.filter(handoff=pair).aggregate(v=Max("version"))["v"]
    if agreement.version != newest:
        raise AgreementError(AGREEMENT_SUPERSEDED.format(version=agreement.version))
    agreement.full_clean()  # a draft edited in the admin is held to the same terms
    now = timezone.now()
    if user_manages_team(actor, pair.sending_team_id):
        if agreement.marketing_signoff_at:
            raise AgreementError(
                ALREADY_SIGNED.format(side=SIDES["marketing"], version=agreement.version)
            )
        agreement.marketing_signoff_by, agreement.marketing_signoff_at = actor, now
    elif user_manages_team(actor, pair.receiving_team_id):
        if agreement.sales_signoff_at:
            raise AgreementError(
                ALREADY_SIGNED.format(side=SIDES["sales"], version=agreement.version)
            )
        agreement.sales_signoff_by, agreement.sales_signoff_at = actor, now
    else:
        raise AgreementError(
            NOT_A_LEADER.format(sender=pair.sending_team, receiver=pair.receiving_team)
        )
    if agreement.marketing_signoff_at and agreement.sales_signoff_at:
        agreement.effective_at = now
    agreement.save()
    return agreement


def _clock_dues(offer: Offer, agreement: SlaAgreement, start: datetime.datetime) -> dict:
    team = offer.handoff.receiving_team
    return {
        SlaClock.ACCEPT: working_add(start, agreement.accept_within_hours, team),
        SlaClock.FIRST_TOUCH: working_add(start, agreement.first_touch_within_hours, team),
        SlaClock.TOUCHES: start + datetime.timedelta(days=agreement.touches_within_days),
        SlaClock.WORK: start + datetime.timedelta(days=agreement.work_within_days),
    }


def timers_schedule(*, offer: Offer, start: datetime.datetime) -> None:
    """Set the offer's due times from `start` and create its warning and breach timers."""
    agreement = offer.agreement
    if agreement is None:
        return
    team = offer.handoff.receiving_team
    dues = _clock_dues(offer, agreement, start)
    offer.accept_due_at = dues[SlaClock.ACCEPT]
    offer.first_touch_due_at = dues[SlaClock.FIRST_TOUCH]
    offer.touches_due_at = dues[SlaClock.TOUCHES]
    offer.work_due_at = dues[SlaClock.WORK]
    timers = []
    if agreement.warn_before_hours:
        for clock, within in (
            (SlaClock.ACCEPT, agreement.accept_within_hours),
            (SlaClock.FIRST_TOUCH, agreement.first_touch_within_hours),
        ):
            warn_at = working_add(start, within - agreement.warn_before_hours, team)
            timers.append(SlaTimer(offer=offer, clock=clock, kind="warning", due_at=warn_at))
    for step in agreement.steps.all():
        timers.append(
            SlaTimer(
                offer=offer,
                clock=step.clock,
                kind="breach",
                action=step.action,
                step=step,
                # +0 is the due time itself: working_add would move a due at closing time
                # (or on a weekend) to the next opening.
                due_at=(
                    working_add(dues[step.clock], step.after_hours, team)
                    if step.after_hours
                    else dues[step.clock]
                ),
            )
        )
    SlaTimer.objects.bulk_create(timers)


def timers_cancel(*, offer: Offer, clocks: list[str] | None = None, why: str) -> int:
    waiting = SlaTimer.objects.filter(offer=offer, fired_at__isnull=True, cancelled_at__isnull=True)
    if clocks is not None:
        waiting = waiting.filter(clock__in=clocks)
    return waiting.update(cancelled_at=timezone.now(), outcome=why)


def agreement_revise(*, agreement: SlaAgreement, actor: User | None) -> SlaAgreement:
    """A new, unsigned version with the same terms and ladder, for leaders to edit and sign."""
    terms = {field: getattr(agreement, field) for field in AGREEMENT_TERMS}
    steps = [(s.clock, s.after_hours, s.action) for s in agreement.steps.all()]
    return agreement_propose(handoff=agreement.handoff, actor=actor, steps=steps, **terms)
