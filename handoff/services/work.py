"""What happens to a lead after the handoff: touches, marketing activity, dispositions."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from funnel.models import (
    HandoffPair,
    ReasonCode,
    ReasonPurpose,
    Role,
    Stage,
    StageKind,
    StageMove,
    User,
)
from funnel.selectors import user_manages_team
from handoff.models import (
    Activity,
    Disposition,
    Lead,
    Offer,
    ScoringRule,
    SlaClock,
    Touch,
)
from handoff.services import sla
from handoff.services.leads import LEAD_MERGED, lead_data, lead_transition
from integrations.events import event_record
from integrations.models import EventType
from leadflow.errors import DomainError

# gettext_noop: plain text, translated where raised (gettext), for callers that compare it.
NOT_THE_HOLDER = gettext_noop(
    "Only the lead's owner, their team's manager or an admin may do this."
)
TOUCH_IN_FUTURE = gettext_noop("A touch cannot be logged in the future.")
NEXT_STEP_NEEDED = _("Say what the next step is, or leave its date empty.")
NEXT_STEP_IN_PAST = _("The next step cannot be due before the touch.")
TOUCH_TOO_OLD = _("A touch older than 90 days cannot be logged: it would rewrite SLA history.")
CANNOT_QUALIFY = _("A lead in {stage} has no next stage to be qualified into.")
NO_STAGE_OF_KIND = _("The funnel has no active {kind} stage.")
REASON_NEEDED = _("A {disposition} disposition needs a {purpose} reason.")
TOO_FEW_TOUCHES = _(
    "Unable to reach needs at least {needed} touches under the agreement; this lead has {count}."
)
AMOUNT_NEEDED = _("A won disposition needs the amount won.")
NEGATIVE_AMOUNT = _("The amount cannot be negative.")
NOT_HELD = _("This lead is not held by sales or the inside team (no owner).")
DISPOSITION_NOT_POSSIBLE = _("{disposition} is not possible for a lead in {stage}.")
DISPOSITION_NOT_FOR_ROLE = _(
    "Your role ({role}) may not record {disposition} for a lead in {stage}."
)
NO_REASON_TAKEN = _("A {disposition} disposition takes no reason.")
UNKNOWN_DISPOSITION = _("Unknown disposition '{disposition}'.")
UNABLE_TO_REACH_REASON = "unable_to_reach"

# Touch time may run slightly ahead of the server's clock (a phone's clock, say).
CLOCK_SKEW = datetime.timedelta(minutes=5)
TOUCH_LATEST_LOGGING = datetime.timedelta(days=90)


class WorkError(DomainError):
    code = "refused"
    status = 409


class WorkForbidden(WorkError):
    code = "forbidden"
    status = 403


def lead_offer_active(lead: Lead) -> Offer | None:
    """The offer under which the lead is being worked: pending or accepted, not yet closed."""
    return (
        Offer.objects.current()
        .filter(lead=lead)
        .select_related("agreement")
        .order_by("-offered_at")
        .first()
    )


def lead_may_work(lead: Lead, user: User, offer: Offer | None = None) -> bool:
    """The owner, the assignee of its open offer, the owning team's manager, or an admin."""
    if user.effective_role in (Role.ADMIN, Role.INTEGRATION):
        return True
    if lead.owner_id == user.pk or (offer is not None and offer.assignee_id == user.pk):
        return True
    return user_manages_team(user, lead.team_id)


@transaction.atomic
def touch_log(
    *,
    lead: Lead,
    actor: User,
    kind: str,
    at: datetime.datetime | None = None,
    outcome: str = "",
    note: str = "",
    next_step: str = "",
    next_step_due: datetime.date | datetime.datetime | None = None,
) -> Touch:
    """Log a call, email or meeting, with the next step the rep plans (and by when); the first
    touch and the touch count move the SLA clocks."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.merged_into_id is not None:  # merged since the rep looked: its touches moved on
        raise WorkError(LEAD_MERGED.format(into=lead.merged_into_id))
    offer = lead_offer_active(lead)
    if not lead_may_work(lead, actor, offer):
        raise WorkForbidden(gettext(NOT_THE_HOLDER))
    at = at or timezone.now()
    if at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"at": gettext(TOUCH_IN_FUTURE)})
    if at < timezone.now() - TOUCH_LATEST_LOGGING:
        raise ValidationError({"at": TOUCH_TOO_OLD})
    if next_step_due is not None and not next_step:
        raise ValidationError({"next_step": NEXT_STEP_NEEDED})
    if next_step_due is not None and not isinstance(next_step_due, datetime.datetime):
        # A day, as the page asks for it: due by the end of that day.
        end = datetime.datetime.combine(next_step_due, datetime.time(23, 59))
        next_step_due = timezone.make_aware(end)
    if next_step_due is not None and next_step_due < at:
        raise ValidationError({"next_step_due": NEXT_STEP_IN_PAST})
    touch = Touch(
        lead=lead,
        offer=offer,
        user=actor,
        kind=kind,
        outcome=outcome,
        at=at,
        note=note,
        next_step=next_step,
        next_step_due=next_step_due,
    )
    touch.full_clean()
    touch.save()
    if offer is not None:
        Offer.objects.filter(pk=offer.pk).update(touch_count=F("touch_count") + 1)
        Offer.objects.filter(
            Q(first_touch_at__isnull=True) | Q(first_touch_at__gt=at), pk=offer.pk
        ).update(first_touch_at=at)
        offer.refresh_from_db(fields=["touch_count", "first_touch_at"])
        sla.timers_cancel(offer=offer, clocks=[SlaClock.FIRST_TOUCH], why="touched")
        if offer.agreement and offer.touch_count >= offer.agreement.min_touches:
            sla.timers_cancel(offer=offer, clocks=[SlaClock.TOUCHES], why="enough touches")
    return touch


def _score_points(rules: list[ScoringRule], kind: str, detail: dict) -> int:
    text = str(detail).lower()
    return sum(
        rule.points
        for rule in rules
        if rule.kind == kind and (not rule.contains or rule.contains.lower() in text)
    )


@transaction.atomic
def activity_record(
    *, lead: Lead, kind: str, at: datetime.datetime, detail: dict | None = None
) -> Activity:
    """Store a marketing activity in the lead's history and add the points scoring rules give."""
    activity = Activity(lead=lead, kind=kind, at=at, detail=detail or {})
    activity.full_clean(exclude=["points"])
    [activity] = activities_record(activities=[activity])
    return activity


@transaction.atomic
def activities_record(*, activities: list[Activity]) -> list[Activity]:
    """Store activities the caller built and checked, each with the points the active scoring
    rules give, and add those points to their leads' scores: one insert and one update."""
    rules = list(ScoringRule.objects.filter(active=True))
    points: dict[int, int] = {}
    for activity in activities:
        activity.points = _score_points(rules, activity.kind, activity.detail)
        points[activity.lead_id] = points.get(activity.lead_id, 0) + activity.points
    Activity.objects.bulk_create(activities)
    scored = {lead_id: n for lead_id, n in points.items() if n}
    if scored:
        Lead.objects.filter(pk__in=scored).update(
            score=F("score")
            + Case(*(When(pk=lead_id, then=Value(n)) for lead_id, n in scored.items())),
            updated_at=timezone.now(),
        )
    return activities


@dataclass(frozen=True)
class DispositionRule:
    """What one kind of disposition takes from the holder, and where it leads the lead."""

    # The purpose of the reason the holder gives; None: it takes none.
    reason_purpose: str | None = None
    # The kind of stage it ends in; None: the next open stage (qualified).
    leads_to: str | None = None
    needs_amount: bool = False
    # The agreement's minimum touches must be logged first.
    needs_touches: bool = False
    # The recycle reason it records by itself.
    own_reason: str = ""


# The one table of dispositions: every caller (API, queue page, admin) goes through it.
DISPOSITION_RULES = {
    Disposition.Kind.QUALIFIED: DispositionRule(),
    Disposition.Kind.RECYCLE: DispositionRule(
        reason_purpose=ReasonPurpose.RECYCLE, leads_to=StageKind.RECYCLE
    ),
    Disposition.Kind.JUNK: DispositionRule(
        reason_purpose=ReasonPurpose.DISQUALIFY, leads_to=StageKind.DISQUALIFIED
    ),
    Disposition.Kind.UNABLE_TO_REACH: DispositionRule(
        leads_to=StageKind.RECYCLE, needs_touches=True, own_reason=UNABLE_TO_REACH_REASON
    ),
    Disposition.Kind.WON: DispositionRule(leads_to=StageKind.WON, needs_amount=True),
    Disposition.Kind.LOST: DispositionRule(
        reason_purpose=ReasonPurpose.LOST, leads_to=StageKind.LOST
    ),
}


def disposition_rule(disposition: str) -> DispositionRule:
    """The rule of `disposition`; an unknown one is refused."""
    rule = DISPOSITION_RULES.get(disposition)
    if rule is None:
        raise ValidationError({"disposition": UNKNOWN_DISPOSITION.format(disposition=disposition)})
    return rule


@dataclass
class FunnelMoves:
    """The funnel's active stages and allowed moves, read once: where each disposition takes a
    lead, and which dispositions a role may record in a stage (a page of cards asks 25 times)."""

    stages: list[Stage]
    moves: dict[tuple[int, int], StageMove]
    accepted: set[int]  # stages entered only by accepting a handoff

    @classmethod
    def load(cls) -> FunnelMoves:
        """Two queries: the stages (each marked if a handoff's acceptance enters it), the moves."""
        accepting = HandoffPair.objects.filter(accepted_stage=OuterRef("pk"))
        stages = list(
            Stage.objects.filter(active=True)
            .annotate(accepting=Exists(accepting))
            .order_by("position", "key")
        )
        moves = StageMove.objects.filter(from_stage__isnull=False, to_stage__active=True)
        return cls(
            stages=stages,
            moves={(m.from_stage_id, m.to_stage_id): m for m in moves},
            accepted={stage.pk for stage in stages if stage.accepting},
        )

    def _next_stage(self, stage: Stage) -> Stage:
        """Where "qualified" takes a lead: the nearest open stage after it that it may move
        to. Accepted stages of handoffs are skipped: only accepting an offer enters them."""
        for target in self.stages:
            if (
                target.kind == StageKind.OPEN
                and target.position > stage.position
                and target.pk not in self.accepted
                and (stage.pk, target.pk) in self.moves
            ):
                return target
        raise WorkError(CANNOT_QUALIFY.format(stage=stage))

    def _stage_of_kind(self, kind: str) -> Stage:
        stage = next((stage for stage in self.stages if stage.kind == kind), None)
        if stage is None:
            raise WorkError(NO_STAGE_OF_KIND.format(kind=kind))
        return stage

    def path(self, stage: Stage, disposition: str) -> list[Stage]:
        """The stages `disposition` moves a lead in `stage` through, in order."""
        rule = disposition_rule(disposition)
        if rule.leads_to is None:
            return [self._next_stage(stage)]
        target = self._stage_of_kind(rule.leads_to)
        if rule.leads_to in (StageKind.WON, StageKind.LOST) and (stage.pk, target.pk) not in (
            self.moves
        ):
            # Closed from SQL: a lead only accepted passes through it first.
            return [self._next_stage(stage), target]
        return [target]

    def refusal(self, stage: Stage, disposition: str, role: str | None) -> WorkError | None:
        """Why `role` may not record `disposition` on a lead in `stage`; None if it may.

        Checks every move of the path (role included) before any is made, so a refusal names
        the lead's own stage, not one it would have passed through."""
        label = Disposition.Kind(disposition).label
        try:
            path = self.path(stage, disposition)
        except WorkError as exc:
            return exc
        here = stage
        for target in path:
            move = self.moves.get((here.pk, target.pk))
            if move is None or target.pk in self.accepted:
                return WorkError(DISPOSITION_NOT_POSSIBLE.format(disposition=label, stage=stage))
            if role is not None and role not in move.roles:
                return WorkForbidden(
                    DISPOSITION_NOT_FOR_ROLE.format(
                        disposition=label, stage=stage, role=Role(role).label
                    )
                )
            here = target
        return None

    def dispositions_for(self, stage: Stage, role: str | None) -> list[str]:
        """The dispositions `role` may record on a lead in `stage`, in the table's order."""
        return [kind for kind in DISPOSITION_RULES if self.refusal(stage, kind, role) is None]


def _reason_checked(
    reason: ReasonCode | None, rule: DispositionRule, disposition: str
) -> ReasonCode | None:
    """The holder's reason, if the disposition takes one of its purpose; refused otherwise."""
    if rule.reason_purpose is None:
        if reason is not None:
            raise ValidationError({"reason": NO_REASON_TAKEN.format(disposition=disposition)})
        return None
    if reason is None or reason.purpose != rule.reason_purpose:
        raise ValidationError(
            {"reason": REASON_NEEDED.format(disposition=disposition, purpose=rule.reason_purpose)}
        )
    return reason


@transaction.atomic
def lead_disposition(
    *,
    lead: Lead,
    actor: User,
    disposition: str,
    reason: ReasonCode | None = None,
    note: str = "",
    amount: Decimal | None = None,
    close_date: datetime.date | None = None,
    competitor: str = "",
) -> Disposition:
    """Record what the holder decided about a lead, and move it where that decision leads.

    qualified → the next stage (QIA → MQL, SAL → SQL); recycle → nurture, with a reason;
    junk → disqualified, with a reason; unable to reach → recycle, once the agreed touches are
    logged; won / lost → closed, passing through SQL first if the lead was only accepted.
    """
    rule = disposition_rule(disposition)
    lead = Lead.objects.select_related("stage").get(pk=lead.pk)
    offer = lead_offer_active(lead)
    if lead.owner_id is None and actor.effective_role not in (Role.ADMIN, Role.INTEGRATION):
        raise WorkError(str(NOT_HELD))
    if not lead_may_work(lead, actor, offer):
        raise WorkForbidden(gettext(NOT_THE_HOLDER))
    if amount is not None and amount < 0:
        raise ValidationError({"amount": NEGATIVE_AMOUNT})

    funnel = FunnelMoves.load()
    refusal = funnel.refusal(lead.stage, disposition, actor.effective_role)
    if refusal is not None:
        raise refusal
    reason = _reason_checked(reason, rule, disposition)
    if rule.needs_touches:
        needed = offer.agreement.min_touches if offer and offer.agreement else 1
        count = offer.touch_count if offer else 0
        if count < needed:
            raise WorkError(TOO_FEW_TOUCHES.format(needed=needed, count=count))
    if rule.own_reason:
        reason = ReasonCode.objects.filter(
            purpose=ReasonPurpose.RECYCLE, code=rule.own_reason
        ).first()
    if rule.needs_amount and amount is None:
        raise ValidationError({"amount": AMOUNT_NEEDED})

    targets = funnel.path(lead.stage, disposition)

    move = None
    for target in targets:
        last = target == targets[-1]
        back_to_marketing = target.kind in (StageKind.RECYCLE, StageKind.DISQUALIFIED)
        move = lead_transition(
            lead=lead,
            to=target,
            actor=actor,
            reason=reason if last else None,
            note=note if last else "",
            **({"owner": None} if back_to_marketing else {}),
        )
    record = Disposition.objects.create(
        lead=lead,
        offer=offer,
        kind=disposition,
        actor=actor,
        at=move.at,
        reason=reason,
        note=note,
        amount=amount,
        close_date=close_date
        or (timezone.localdate() if disposition == Disposition.Kind.WON else None),
        competitor=competitor,
        transition=move,
    )
    # lead_transition refreshed the moved lead's stage, team and owner in place.
    event_record(
        type=EventType.LEAD_DISPOSITIONED,
        at=record.at,
        data={
            "lead": lead_data(lead),
            "disposition": record.kind,
            "reason": reason.code if reason else None,
            "amount": str(amount) if amount is not None else None,
            "close_date": record.close_date.isoformat() if record.close_date else None,
            "competitor": competitor,
            "actor": actor.username,
            "note": note,
        },
    )
    return record
