"""Demo handoffs: what the services would have recorded along a demo lead's stage history.

`demo.seed` walks each lead through the funnel. This module decides when the receiving side
answers an offer (in working time on its team's clock, inside the agreement's breach ladder), and
derives from the finished history the rows that `offers_follow_transitions`, `offer_accept`,
`offer_reject`, `touch_log`, `lead_disposition` and the marketing automation platform would have
written: offers with their SLA due times, touches, dispositions and marketing activities.

Rows are tuples that refer to their lead, transition and offer by position in the batch being
built; `demo.seed` reserves the ids and the writers here put them in.
"""

from __future__ import annotations

import bisect
import datetime
import json
import math
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Model
from django.utils import timezone

from funnel.models import Campaign, HandoffPair, ReasonCode, ReasonPurpose, Team
from handoff.models import (
    Activity,
    BreachAction,
    Disposition,
    Offer,
    OfferStatus,
    SlaClock,
    SlaStep,
    Touch,
)
from handoff.services.breaches import SLA_EXPIRED_REASON
from handoff.services.sla import agreement_current
from handoff.services.work import UNABLE_TO_REACH_REASON
from handoff.working_time import working_add

HOUR = 3600
DAY = 86_400
SECOND = datetime.timedelta(seconds=1)

# Routing runs in a Celery task on commit: seconds, now and then a few minutes.
ROUTING_MEDIAN_SECONDS = 40
ROUTING_SIGMA = 0.9
ROUTING_MAX_SECONDS = 600
# Working time from routing to the decision: median a third of the accept window, log-normal.
# With the default 8 h window about 89% of decisions fall inside it (the sla_met_rate of the
# handoffs report); the tail is cut before the ladder's recycle rung, where the SLA sweep would
# have expired the offer (the demo history has no such moves).
DECISION_MEDIAN_SHARE = 0.35
DECISION_SIGMA = 1.0
NO_LADDER_CAP = 3  # accept windows, when no rung ends a pending offer
# Touches: the first some working hours after acceptance, then about one a working day.
FIRST_TOUCH_MEDIAN_HOURS = 0.5
FIRST_TOUCH_SIGMA = 1.0
TOUCH_GAP_MEDIAN_HOURS = 8
TOUCH_GAP_SIGMA = 0.7
TOUCH_COUNTS = [(1, 25), (2, 25), (3, 25), (4, 15), (5, 10)]  # touches per accepted offer
LOG_DELAY_MAX_SECONDS = 1800  # a touch is logged up to half an hour after it happened
# Deal sizes of won leads: log-normal around 20k, larger at larger companies, 5k to 120k.
DEAL_MEDIAN = 20_000
DEAL_SIGMA = 0.7
DEAL_MIN, DEAL_MAX = 5_000, 120_000
COMPETITORS = ["Pipewise", "FunnelForge", "LeadPilot", "Stagecraft", "RevTrack", "Convertly"]
PRICE_LOST_TO_COMPETITOR = 0.2  # lost on price, with the winner known
# Marketing activity: before the lead's entry, before each entry into QI, and after an exit for
# the few recycled or disqualified leads who keep engaging (the hidden gems).
ENGAGEMENT_DAYS = 21  # how far before an entry its activities spread
PRE_ENTRY_ACTIVITIES = [(0, 30), (1, 35), (2, 25), (3, 10)]
PRE_QI_ACTIVITIES = [(1, 40), (2, 35), (3, 25)]
STILL_ENGAGED_SHARE = 0.12
ACTIVITY_RECORD_MAX_SECONDS = 600  # the MAP pushes activities within minutes

PAGES = [
    "/", "/pricing", "/product/handoffs", "/product/sla", "/product/reports", "/customers",
    "/blog/mql-vs-sal", "/blog/lead-scoring", "/blog/funnel-benchmarks", "/integrations",
]  # fmt: skip
NEWSLETTER_LINKS = ["/blog/mql-vs-sal", "/blog/lead-scoring", "/product/reports", "/pricing"]
# What made a lead from each campaign channel (and from no campaign) an inquiry.
ENTRY_KINDS = {
    Campaign.Channel.WEBINAR: Activity.Kind.WEBINAR.value,
    Campaign.Channel.EVENT: Activity.Kind.EVENT.value,
    Campaign.Channel.CONTENT: Activity.Kind.DOWNLOAD.value,
    Campaign.Channel.EMAIL: Activity.Kind.EMAIL_CLICK.value,
}
ENTRY_FORMS = {Campaign.Channel.REFERRAL: "referral"}  # other channels: the contact form

OFFER_FIELDS = [
    "handoff_id", "lead_id", "status", "agreement_id", "offered_at", "offered_by_id",
    "transition_id", "assignee_id", "routed_at", "assigned_at", "routing", "accept_due_at",
    "first_touch_due_at", "touches_due_at", "work_due_at", "decided_at", "decided_by_id",
    "reason_id", "note", "first_touch_at", "touch_count", "escalated_at", "closed_at",
]  # fmt: skip
TOUCH_FIELDS = ["lead_id", "offer_id", "user_id", "kind", "outcome", "at", "note", "logged_at"]
DISPOSITION_FIELDS = [
    "lead_id", "offer_id", "kind", "actor_id", "at", "reason_id", "note", "amount",
    "close_date", "competitor", "transition_id",
]  # fmt: skip
ACTIVITY_FIELDS = ["lead_id", "kind", "detail", "at", "points", "recorded_at"]
# Positions of the batch references the writers replace with ids.
OFFER_LEAD, OFFER_MOVE = OFFER_FIELDS.index("lead_id"), OFFER_FIELDS.index("transition_id")
DISPOSITION_OFFER = DISPOSITION_FIELDS.index("offer_id")
DISPOSITION_MOVE = DISPOSITION_FIELDS.index("transition_id")

P = ReasonPurpose
# Plain strings for the per-row code: looking up an enum member is slow in Python 3.11.
PENDING, ACCEPTED = OfferStatus.PENDING.value, OfferStatus.ACCEPTED.value
REJECTED, WITHDRAWN = OfferStatus.REJECTED.value, OfferStatus.WITHDRAWN.value
REJECT = P.REJECT.value
# Each clock's position in an offer's due times (accept, first touch, touches, work).
CLOCKS = [
    clock.value
    for clock in (SlaClock.ACCEPT, SlaClock.FIRST_TOUCH, SlaClock.TOUCHES, SlaClock.WORK)
]
K = {kind.name: kind.value for kind in Disposition.Kind}
A = {kind.name: kind.value for kind in Activity.Kind}
_T, _O = Touch.Kind, Touch.Outcome
# (kind, outcome) of an ordinary touch, each pair as often as it happens in a hundred.
TOUCH_MIX = [
    *[(_T.CALL.value, _O.CONNECTED.value)] * 16,
    *[(_T.CALL.value, _O.LEFT_VOICEMAIL.value)] * 17,
    *[(_T.CALL.value, _O.NO_ANSWER.value)] * 17,
    *[(_T.EMAIL.value, _O.SENT.value)] * 20,
    *[(_T.EMAIL.value, _O.REPLIED.value)] * 12,
    *[(_T.EMAIL.value, _O.BOUNCED.value)] * 6,
    *[(_T.SOCIAL.value, _O.SENT.value)] * 5,
    *[(_T.SOCIAL.value, _O.REPLIED.value)] * 2,
    *[(_T.MEETING.value, _O.HELD.value)] * 4,
    *[(_T.MEETING.value, _O.NO_SHOW.value)] * 1,
]
UNANSWERED = [(_T.CALL.value, _O.NO_ANSWER.value)] * 3 + [(_T.EMAIL.value, _O.SENT.value)] * 2
QUALIFYING = {  # the last touch before a lead is qualified, by accepted stage
    "sal": (_T.MEETING.value, _O.HELD.value),
    "qia": (_T.CALL.value, _O.CONNECTED.value),
}


class WorkClock:
    """`working_add` on one team's clock, as whole seconds after `epoch`, by table lookup.

    The working intervals between two days are listed once, with the working time before each;
    adding working time is then two bisections. For any positive amount it gives the moment
    `handoff.working_time.working_add` gives (same days, hours and time zone, DST included);
    outside the table it calls that function. A million leads take millions of additions, which
    walking the calendar day by day would make the slowest part of the seed.
    """

    def __init__(
        self, team: Team, epoch: datetime.datetime, first: datetime.date, last: datetime.date
    ):
        self.team, self.epoch = team, epoch
        tz = ZoneInfo(team.time_zone)
        self.opens: list[int] = []
        self.closes: list[int] = []
        self.before: list[int] = []  # working seconds before each interval
        self.through: list[int] = []  # working seconds up to each interval's close
        total = 0
        day = first
        while day <= last:
            if day.weekday() in team.working_days:
                opens = self._seconds(datetime.datetime.combine(day, team.workday_start, tz))
                closes = self._seconds(datetime.datetime.combine(day, team.workday_end, tz))
                if closes > opens:  # as working_add: no working time on such a day
                    self.opens.append(opens)
                    self.closes.append(closes)
                    self.before.append(total)
                    total += closes - opens
                    self.through.append(total)
            day += datetime.timedelta(days=1)

    def _seconds(self, moment: datetime.datetime) -> int:
        return int((moment - self.epoch).total_seconds())

    def add(self, t: int, seconds: int) -> int:
        """The moment `seconds` (> 0) of working time after `t`."""
        i = bisect.bisect_right(self.closes, t)  # the first interval still open after t
        if i < len(self.opens):
            target = self.before[i] + max(t - self.opens[i], 0) + seconds
            j = bisect.bisect_left(self.through, target, i)
            if j < len(self.opens):
                return self.opens[j] + target - self.before[j]
        moment = self.epoch + datetime.timedelta(seconds=t)
        return self._seconds(working_add(moment, seconds / HOUR, self.team))


@dataclass
class _Pair:
    """One handoff as the generator needs it: stages, clock, agreement terms in seconds."""

    id: int
    accepted: str  # stage key
    clock: WorkClock
    agreement_id: int | None
    accept: int  # working seconds
    first_touch: int
    touches: int  # calendar seconds
    work: int
    min_touches: int
    decision_cap: int  # working seconds after routing: the first rung that ends a pending offer
    touches_rung: int | None  # working seconds past the touches due time that recycle the lead
    escalations: list[tuple[int, int]]  # (clock's position in CLOCKS, working seconds past due)


@dataclass
class HandoffRows:
    """One batch's rows, in the *_FIELDS orders, with batch positions for lead/move/offer ids."""

    offers: list[tuple] = field(default_factory=list)
    touches: list[tuple] = field(default_factory=list)
    dispositions: list[tuple] = field(default_factory=list)
    activities: list[tuple] = field(default_factory=list)


@dataclass
class LeadFacts:
    """What the handoff rows of one lead depend on, besides its stage history."""

    index: int  # the lead's position in the batch
    first_move: int  # its first transition's position in the batch
    country: str
    employees: int
    source: str
    campaign_id: int | None
    demo_request: bool


# One stage move of a demo history: from stage key (None for the entry), to stage key, seconds
# after the period's start, actor id, actor label, handoff id, reason id.
Move = tuple[str | None, str, int, int | None, str, int | None, int | None]


class HandoffDemo:
    """Draws the receiving side's timing, then the handoff rows of each finished history."""

    def __init__(
        self,
        *,
        timing_rng: random.Random,
        rng: random.Random,
        start: datetime.datetime,
        span: int,
        inside: list[int],
        reps: list[int],
        reps_by_country: dict[str, list[int]],
    ):
        # Answer times shape the history and draw from its generator; the rows drawn here come
        # from their own, so how many draws they take (which depends on where the working
        # clock falls) cannot change the leads and moves that follow.
        self.timing_rng, self.rng = timing_rng, rng
        self.start, self.span = start, span
        self.inside, self.reps, self.reps_by_country = inside, reps, reps_by_country
        first = (start - datetime.timedelta(days=2)).date()
        last = (start + datetime.timedelta(seconds=span, days=90)).date()
        self.pairs: dict[str, _Pair] = {}  # by offered stage key
        clocks: dict[int, WorkClock] = {}
        for pair in HandoffPair.objects.select_related(
            "offered_stage", "accepted_stage", "receiving_team"
        ):
            team = pair.receiving_team
            if team.pk not in clocks:
                clocks[team.pk] = WorkClock(team, start, first, last)
            self.pairs[pair.offered_stage.key] = self._pair(pair, clocks[team.pk])
        self.reasons = {
            pk: (purpose, code)
            for pk, purpose, code in ReasonCode.objects.values_list("pk", "purpose", "code")
        }
        # Activity details, encoded once: campaign id → (channel, detail, detail of its form).
        self.campaigns = {
            pk: (channel, json.dumps({"campaign": name}), {"campaign": name})
            for pk, channel, name in Campaign.objects.values_list("pk", "channel", "name")
        }
        self.webinars = [
            detail
            for channel, detail, _ in self.campaigns.values()
            if channel == Campaign.Channel.WEBINAR
        ]
        self.touch_counts = [count for count, weight in TOUCH_COUNTS for _ in range(weight)]
        self.pages = [json.dumps({"url": page}) for page in PAGES]
        self.clicks = [
            json.dumps({"email": "Monthly newsletter", "url": link}) for link in NEWSLETTER_LINKS
        ]
        self.opens = [json.dumps({"email": "Monthly newsletter"})]
        self.pricing = json.dumps({"url": "/pricing"})
        self.demo_form = json.dumps({"form": "demo_request", "url": "/demo"})
        self.contact_form = json.dumps({"form": "contact", "url": "/contact"})

    @staticmethod
    def _pair(pair: HandoffPair, clock: WorkClock) -> _Pair:
        agreement = agreement_current(pair)
        steps = list(SlaStep.objects.filter(agreement=agreement)) if agreement else []

        def seconds(hours) -> int:
            return int(hours * HOUR)

        accept = seconds(agreement.accept_within_hours) if agreement else 8 * HOUR
        ending = [
            seconds(s.after_hours)
            for s in steps
            if s.clock == SlaClock.ACCEPT
            and s.action in (BreachAction.RECYCLE, BreachAction.REROUTE)
        ]
        touches_rung = [
            seconds(s.after_hours)
            for s in steps
            if s.clock == SlaClock.TOUCHES and s.action == BreachAction.RECYCLE
        ]
        return _Pair(
            id=pair.pk,
            accepted=pair.accepted_stage.key,
            clock=clock,
            agreement_id=agreement.pk if agreement else None,
            accept=accept,
            first_touch=seconds(agreement.first_touch_within_hours) if agreement else 0,
            touches=agreement.touches_within_days * DAY if agreement else 0,
            work=agreement.work_within_days * DAY if agreement else 0,
            min_touches=agreement.min_touches if agreement else 0,
            decision_cap=accept + min(ending) if ending else accept * NO_LADDER_CAP,
            touches_rung=min(touches_rung) if touches_rung else None,
            escalations=[
                (CLOCKS.index(s.clock), seconds(s.after_hours))
                for s in steps
                if s.action == BreachAction.ESCALATE
            ],
        )

    # --- timing the history ---------------------------------------------------------------

    def offered_stages(self) -> set[str]:
        return set(self.pairs)

    def handoff_of(self, offered: str) -> int:
        return self.pairs[offered].id

    def decision(self, offered: str, t: int) -> tuple[int, int]:
        """When an offer made at `t` is routed, and when the receiving side answers it.

        The answer comes in working time on the receiving team's clock, so always within its
        working hours, and before the ladder would have expired the offer.
        """
        rng, pair = self.timing_rng, self.pairs[offered]
        routed = t + min(
            ROUTING_MAX_SECONDS,
            max(2, int(rng.lognormvariate(math.log(ROUTING_MEDIAN_SECONDS), ROUTING_SIGMA))),
        )
        median = math.log(pair.accept * DECISION_MEDIAN_SHARE)
        while True:
            delay = max(60, int(rng.lognormvariate(median, DECISION_SIGMA)))
            if delay < pair.decision_cap - 60:  # the sweep runs every minute
                return routed, pair.clock.add(routed, delay)

    # --- rows from a finished history -----------------------------------------------------

    def follow(
        self, rows: HandoffRows, lead: LeadFacts, moves: list[Move], routed: dict[int, int]
    ) -> None:
        """Append the offers, touches, dispositions and activities of one lead's history.

        `routed` gives, by position in `moves`, when each entry into an offered stage was routed.
        """
        for i, move in enumerate(moves):
            pair = self.pairs.get(move[1])
            if pair is not None:
                self._offer(rows, lead, moves, i, routed[i], pair)
            elif move[0] == "sql" and move[1] in ("won", "lost"):
                # Disposition of a lead the accepted offer no longer covers: the offer closed when
                # the lead left the accepted stage, so lead_disposition records none.
                self._disposition(rows, lead, lead.first_move + i, move, None)
        self._activities(rows, lead, moves)

    def _receiver(self, pair: _Pair, lead: LeadFacts) -> int:
        if pair.accepted == "sal":
            members = self.reps_by_country.get(lead.country) or self.reps
        else:
            members = self.inside
        return members[int(self.rng.random() * len(members))]

    def _offer(
        self,
        rows: HandoffRows,
        lead: LeadFacts,
        moves: list[Move],
        i: int,
        routed: int,
        pair: _Pair,
    ) -> None:
        offered = moves[i]
        answer = moves[i + 1] if i + 1 < len(moves) else None
        leave = moves[i + 2] if i + 2 < len(moves) else None
        if routed >= self.span:
            routed = None  # the routing task has not run yet
        decided = by = reason = closed = None
        if answer is None:
            status = PENDING
            assignee = self._receiver(pair, lead) if routed is not None else None
        else:
            decided, by = answer[2], answer[3]
            assignee = by
            if answer[1] == pair.accepted:
                status = ACCEPTED
                closed = leave[2] if leave is not None else None
            elif self.reasons.get(answer[6], ("",))[0] == REJECT:
                status, reason, closed = REJECTED, answer[6], decided
            else:  # the lead moved on by another path (disqualified straight from the stage)
                status, closed = WITHDRAWN, decided
        dues = (None, None, None, None)
        if routed is not None and pair.agreement_id is not None:
            dues = (
                pair.clock.add(routed, pair.accept),
                pair.clock.add(routed, pair.first_touch),
                routed + pair.touches,
                routed + pair.work,
            )
        offer_index = len(rows.offers)
        touches: list[int] = []
        if status == ACCEPTED:
            touches = self._touches(rows, lead, offer_index, pair, assignee, decided, leave, dues)
            if leave is not None:
                self._disposition(rows, lead, lead.first_move + i + 2, leave, offer_index)
        escalated = self._escalated(pair, dues, decided, closed, touches)
        at = self._at
        rows.offers.append(
            (
                pair.id,
                lead.index,
                status,
                pair.agreement_id,
                at(offered[2]),
                offered[3],
                lead.first_move + i,
                assignee,
                at(routed),
                at(routed),
                "[]",
                *(at(due) for due in dues),
                at(decided),
                by,
                reason,
                "",
                at(touches[0]) if touches else None,
                len(touches),
                at(escalated),
                at(closed),
            )
        )

    def _at(self, t: int | None) -> datetime.datetime | None:
        return None if t is None else self.start + SECOND * t

    def _touches(
        self,
        rows: HandoffRows,
        lead: LeadFacts,
        offer_index: int,
        pair: _Pair,
        user: int,
        accepted: int,
        leave: Move | None,
        dues: tuple,
    ) -> list[int]:
        """Calls, emails and meetings while the lead sat in the accepted stage.

        The agreement's minimum number of touches is met before the touches clock would have
        recycled the lead, and before an "unable to reach" disposition, which needs it.
        """
        rng, clock = self.rng, pair.clock
        end = leave[2] if leave is not None else self.span
        unreachable = leave is not None and (
            self.reasons.get(leave[6], ("", ""))[1] == UNABLE_TO_REACH_REASON
        )
        deadline = None  # touches needed before this moment
        if unreachable:
            deadline = end
        touches_due = dues[2]
        if touches_due is not None and pair.touches_rung is not None:
            rung = clock.add(touches_due, pair.touches_rung) if pair.touches_rung else touches_due
            if rung < end:
                deadline = rung if deadline is None else min(deadline, rung)
        needed = pair.min_touches if deadline is not None else 0
        count = max(self.touch_counts[int(rng.random() * len(self.touch_counts))], needed)
        times = []
        t = accepted
        for number in range(count):
            median = FIRST_TOUCH_MEDIAN_HOURS if number == 0 else TOUCH_GAP_MEDIAN_HOURS
            sigma = FIRST_TOUCH_SIGMA if number == 0 else TOUCH_GAP_SIGMA
            t = clock.add(t, max(60, int(rng.lognormvariate(math.log(median * HOUR), sigma))))
            if t >= end:
                break
            times.append(t)
        if needed and sum(1 for x in times if x < deadline) < needed:
            # A rep who met the minimum just in time: the needed touches fall before it.
            window = deadline - accepted
            early = sorted(
                {accepted + max(1, int(window * rng.uniform(0.05, 0.95))) for _ in range(needed)}
            )
            times = (early + [x for x in times if x >= deadline])[:count]
        if not times and leave is not None:
            # Left the stage before the usual first touch: the rep reached the lead once first.
            times = [accepted + max(1, int((end - accepted) * rng.uniform(0.1, 0.9)))]
        qualified = leave is not None and leave[1] not in ("recycle", "disqualified")
        last = len(times) - 1
        for number, at in enumerate(times):
            if unreachable:
                kind, outcome = self._pick(UNANSWERED)
            elif number == last and qualified:
                kind, outcome = QUALIFYING.get(pair.accepted) or self._pick(TOUCH_MIX)
            else:
                kind, outcome = self._pick(TOUCH_MIX)
            logged = min(self.span, at + int(rng.random() * LOG_DELAY_MAX_SECONDS))
            rows.touches.append(
                (lead.index, offer_index, user, kind, outcome, self._at(at), "", self._at(logged))
            )
        return times

    def _escalated(
        self,
        pair: _Pair,
        dues: tuple,
        decided: int | None,
        closed: int | None,
        touches: list[int],
    ) -> int | None:
        """When the first escalation rung fired while its condition held, as `sla._still_due`."""
        if dues[0] is None:
            return None
        fired = None
        for clock, after in pair.escalations:
            rung = pair.clock.add(dues[clock], after) if after else dues[clock]
            if rung > self.span or (closed is not None and closed <= rung):
                continue
            if clock == 0:  # accept: still undecided
                held = decided is None or decided > rung
            elif clock == 1:  # first touch: none yet
                held = not touches or touches[0] > rung
            elif clock == 2:  # touches: fewer than the minimum
                held = sum(1 for t in touches if t <= rung) < pair.min_touches
            else:  # working-time limit: still open
                held = True
            if held and (fired is None or rung < fired):
                fired = rung
        return fired

    def _disposition(
        self, rows: HandoffRows, lead: LeadFacts, move_index: int, move: Move, offer: int | None
    ) -> None:
        rng = self.rng
        to, at, actor, reason = move[1], move[2], move[3], move[6]
        amount = close_date = None
        competitor = ""
        if to == "won":
            kind = K["WON"]
            size = DEAL_MEDIAN * (max(lead.employees, 10) / 300) ** 0.15
            amount = round(rng.lognormvariate(math.log(size), DEAL_SIGMA) / 100) * 100
            amount = min(DEAL_MAX, max(DEAL_MIN, amount))
            # lead_disposition's default: the local day it is won.
            close_date = timezone.localdate(self._at(at))
        elif to == "lost":
            kind = K["LOST"]
            code = self.reasons[reason][1]
            if code == "competitor" or (
                code == "price" and rng.random() < PRICE_LOST_TO_COMPETITOR
            ):
                competitor = COMPETITORS[int(rng.random() * len(COMPETITORS))]
        elif to == "recycle":
            code = self.reasons.get(reason, ("", ""))[1]
            kind = K["UNABLE_TO_REACH"] if code == UNABLE_TO_REACH_REASON else K["RECYCLE"]
        elif to == "disqualified":
            kind = K["JUNK"]
        else:
            kind = K["QUALIFIED"]
        rows.dispositions.append(
            (
                lead.index,
                offer,
                kind,
                actor,
                self._at(at),
                reason,
                "",
                amount,
                close_date,
                competitor,
                move_index,
            )
        )

    def _activities(self, rows: HandoffRows, lead: LeadFacts, moves: list[Move]) -> None:
        """Engagement before the lead's entry and each QI, and after some exits."""
        rng = self.rng
        created = moves[0][2]
        add = rows.activities.append
        recorded = self._recorded
        for _ in range(self._weighted(PRE_ENTRY_ACTIVITIES)):
            at = created - int(rng.random() * ENGAGEMENT_DAYS * DAY) - 60
            add((lead.index, *self._browse(), self._at(at), 0, recorded(at)))
        # What made it a lead, a moment before it entered.
        at = created - 1 - int(rng.random() * 120)
        add((lead.index, *self._entry(lead), self._at(at), 0, recorded(at)))
        for i, move in enumerate(moves[1:], start=1):
            if move[1] != "qi":
                continue
            since = max(moves[i - 1][2], move[2] - ENGAGEMENT_DAYS * DAY)
            for _ in range(self._weighted(PRE_QI_ACTIVITIES)):
                at = since + int(rng.random() * (move[2] - since))  # since < move[2]
                kind, detail = self._engaged()
                add((lead.index, kind, detail, self._at(at), 0, recorded(at)))
        last = moves[-1]
        if last[1] in ("recycle", "disqualified") and rng.random() < STILL_ENGAGED_SHARE:
            for _ in range(1 + int(rng.random() * 3)):
                at = last[2] + 1 + int(rng.random() * (self.span - last[2] - 1))
                kind, detail = self._engaged()
                add((lead.index, kind, detail, self._at(at), 0, recorded(at)))

    def _recorded(self, at: int) -> datetime.datetime:
        return self._at(min(self.span, at + int(self.rng.random() * ACTIVITY_RECORD_MAX_SECONDS)))

    def _weighted(self, table: list[tuple[int, int]]) -> int:
        pick = self.rng.random() * sum(weight for _, weight in table)
        for value, weight in table:
            pick -= weight
            if pick < 0:
                return value
        return table[-1][0]

    def _browse(self) -> tuple[str, str]:
        if self.rng.random() < 0.7:
            return A["PAGE_VISIT"], self._pick(self.pages)
        return A["EMAIL_OPEN"], self._pick(self.opens)

    def _pick(self, items: list):
        return items[int(self.rng.random() * len(items))]

    def _engaged(self) -> tuple[str, str]:
        """Activity that raises a score: pricing visits, newsletter clicks, webinars."""
        pick = self.rng.random()
        if pick < 0.4:
            return A["PAGE_VISIT"], self.pricing
        if pick < 0.75:
            return A["EMAIL_CLICK"], self._pick(self.clicks)
        if pick < 0.9 and self.webinars:
            return A["WEBINAR"], self._pick(self.webinars)
        return A["PAGE_VISIT"], self._pick(self.pages)

    def _entry(self, lead: LeadFacts) -> tuple[str, str]:
        if lead.demo_request:
            return A["FORM"], self.demo_form
        if lead.campaign_id is None:
            return A["FORM"], self.contact_form
        channel, detail, fields = self.campaigns[lead.campaign_id]
        kind = ENTRY_KINDS.get(channel)
        if kind is not None:
            return kind, detail
        form = ENTRY_FORMS.get(channel, "contact")
        return A["FORM"], json.dumps({**fields, "form": form})


# --- writing ------------------------------------------------------------------------------


def _offer_rows(rows: HandoffRows, lead_ids, move_ids) -> list[tuple]:
    out = []
    for row in rows.offers:
        row = list(row)
        row[OFFER_LEAD] = lead_ids[row[OFFER_LEAD]]
        row[OFFER_MOVE] = move_ids[row[OFFER_MOVE]]
        out.append(row)
    return out


def _touch_rows(rows: HandoffRows, lead_ids, offer_ids):
    for lead, offer, *rest in rows.touches:
        yield (lead_ids[lead], offer_ids[offer], *rest)


def _disposition_rows(rows: HandoffRows, lead_ids, move_ids, offer_ids):
    for row in rows.dispositions:
        row = list(row)
        row[0] = lead_ids[row[0]]
        if row[DISPOSITION_OFFER] is not None:
            row[DISPOSITION_OFFER] = offer_ids[row[DISPOSITION_OFFER]]
        row[DISPOSITION_MOVE] = move_ids[row[DISPOSITION_MOVE]]
        yield row


def _activity_rows(rows: HandoffRows, lead_ids):
    for lead, *rest in rows.activities:
        yield (lead_ids[lead], *rest)


def _columns(model: type[Model], fields: list[str]) -> str:
    return ", ".join(model._meta.get_field(name.removesuffix("_id")).column for name in fields)


def rows_copy(
    cursor, rows: HandoffRows, *, lead_ids: list[int], move_ids: list[int], offer_ids: list[int]
) -> None:
    """Write a batch's handoff rows with PostgreSQL COPY; offers first, since the rest refer to
    them. `offer_ids` are reserved ids, one per offer in batch order."""
    table = Offer._meta.db_table
    with cursor.copy(f"COPY {table} (id, {_columns(Offer, OFFER_FIELDS)}) FROM STDIN") as copy:
        for offer_id, row in zip(offer_ids, _offer_rows(rows, lead_ids, move_ids), strict=True):
            copy.write_row((offer_id, *row))
    for model, fields, made in (
        (Touch, TOUCH_FIELDS, _touch_rows(rows, lead_ids, offer_ids)),
        (Disposition, DISPOSITION_FIELDS, _disposition_rows(rows, lead_ids, move_ids, offer_ids)),
        (Activity, ACTIVITY_FIELDS, _activity_rows(rows, lead_ids)),
    ):
        columns = _columns(model, fields)
        with cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in made:
                copy.write_row(row)


def rows_create(
    rows: HandoffRows, *, lead_ids: list[int], move_ids: list[int], offer_ids: list[int]
) -> None:
    """Write a batch's handoff rows with bulk_create, for databases without COPY (SQLite)."""
    offers = [
        Offer(id=offer_id, **dict(zip(OFFER_FIELDS, row, strict=True)))
        for offer_id, row in zip(offer_ids, _offer_rows(rows, lead_ids, move_ids), strict=True)
    ]
    for offer in offers:
        offer.routing = json.loads(offer.routing)
    Offer.objects.bulk_create(offers, batch_size=2_000)
    Touch.objects.bulk_create(
        (
            Touch(**dict(zip(TOUCH_FIELDS, row, strict=True)))
            for row in _touch_rows(rows, lead_ids, offer_ids)
        ),
        batch_size=2_000,
    )
    Disposition.objects.bulk_create(
        (
            Disposition(**dict(zip(DISPOSITION_FIELDS, row, strict=True)))
            for row in _disposition_rows(rows, lead_ids, move_ids, offer_ids)
        ),
        batch_size=2_000,
    )
    activities = []
    for row in _activity_rows(rows, lead_ids):
        fields = dict(zip(ACTIVITY_FIELDS, row, strict=True))
        fields["detail"] = json.loads(fields["detail"])
        activities.append(Activity(**fields))
    Activity.objects.bulk_create(activities, batch_size=2_000)


def human_reasons(reasons: dict[str, list[int]]) -> dict[str, list[int]]:
    """Reasons people give: "SLA expired" is the sweep's alone (actor NULL), never a person's."""
    expired = set(
        ReasonCode.objects.filter(purpose=P.RECYCLE, code=SLA_EXPIRED_REASON).values_list(
            "pk", flat=True
        )
    )
    return {purpose: [pk for pk in ids if pk not in expired] for purpose, ids in reasons.items()}


def rows_count(rows: HandoffRows) -> dict[str, int]:
    return {
        "offers": len(rows.offers),
        "touches": len(rows.touches),
        "dispositions": len(rows.dispositions),
        "activities": len(rows.activities),
    }
