"""Concurrency, as a property (issue 13, promise 3).

A stateful hypothesis test drives random sequences of moves, offers, accepts, rejects, claims,
assigns, touches, dispositions, merges, routings and SLA sweeps against a few leads. Each rule
fires 2-4 of them at once from threads on their own connections, released together by a
barrier, so they race for the same rows on real PostgreSQL. Only the services' refusals
(DomainError, ValidationError) are expected; anything else fails. After every step the
invariants are checked from the database (ORM queries), not from what the services answered:

- a lead's stage is the last transition's target, and its history is one chain in time order;
- at most one open offer per lead; a merged lead has no offers and no moves after its merge;
- every transition was allowed by the funnel as configured when it was made (the test keeps
  that history itself: the funnel is edited only in steps of their own, so every transition
  falls between two known configurations);
- each offer has at most one decision, and its status is what its lead's history says;
- the handoffs report for the whole period equals counts on the offers and the transitions;
- once routing has run, no pending offer is without an assignee or a queue, or a running clock.
"""

from __future__ import annotations

import datetime
import itertools
import threading
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Count
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from funnel.models import HandoffPair, ReasonCode, Role, Stage, StageMove, Team, User
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from handoff.models import (
    Disposition,
    Lead,
    Offer,
    OfferHolding,
    OfferStatus,
    RoutingRule,
    RoutingStrategy,
    SlaClock,
    SlaTimer,
    StageTransition,
    Touch,
)
from handoff.services.breaches import sla_sweep
from handoff.services.leads import lead_create, lead_transition
from handoff.services.merge import lead_merge
from handoff.services.offers import (
    offer_accept,
    offer_assign,
    offer_claim,
    offer_reject,
    offer_route,
)
from handoff.services.setup import handoff_setup_defaults
from handoff.services.work import lead_disposition, touch_log
from leadflow.enqueue import Task
from leadflow.errors import DomainError
from reporting.params import ReportQuery
from reporting.selectors.handoffs import handoff_report

# What a service may answer instead of doing it: its refusals. Anything else is a defect.
REFUSALS = (DomainError, ValidationError)

LEADS_AT_MOST = 4  # live leads per example: few, so the operations collide on them
THREAD_TIMEOUT = 60  # seconds; a thread still running then is stuck (a deadlock the test sees)
START = datetime.datetime(2027, 3, 1, 8, 0, tzinfo=datetime.UTC)  # a Monday, before 9:00

KINDS = (
    "move",
    "offer",
    "accept",
    "reject",
    "claim",
    "assign",
    "touch",
    "disposition",
    "merge",
    "sweep",
    "route",
)
# Moves the funnel-editing rule removes and puts back, or narrows the roles of. Never a move
# to recycle: the SLA's recycle takes those (see races-decisions).
EDITABLE = (("inquiry", "qi"), ("qi", "mql"), ("sal", "sql"), ("recycle", "mql"), (None, "qi"))
NARROWED = (("inquiry", "mql"), ("qia", "mql"), ("sql", "won"))

OP_PARTS = (
    st.sampled_from(KINDS),
    st.integers(0, LEADS_AT_MOST - 1),  # another lead (the survivor of a merge)
    st.integers(0, 30),  # picks the target, the actor or the reason
    st.integers(0, 30),
)
op = st.tuples(*OP_PARTS)


class World:
    """The people and the funnel every example shares (made once per test), and what the test
    knows of the funnel's history: (first transition id under it, its allowed moves)."""

    def __init__(self):
        funnel_setup_defaults()
        handoff_setup_defaults()
        self.teams = {team.key: team for team in Team.objects.all()}
        self.managers = {}
        for key, team in self.teams.items():
            manager = UserFactory(username=f"prop_{key}_manager", role=Role.MANAGER, team=team)
            team.manager = manager
            team.save(update_fields=["manager"])
            self.managers[key] = manager
        self.members = {
            "inside": [
                UserFactory(
                    username=f"prop_inside_{n}", role=Role.INSIDE, team=self.teams["inside"]
                )
                for n in "ab"
            ],
            "sales": [
                UserFactory(username=f"prop_sales_{n}", role=Role.SALES, team=self.teams["sales"])
                for n in "ab"
            ],
        }
        self.marketer = UserFactory(
            username="prop_marketer", role=Role.MARKETING, team=self.teams["marketing"]
        )
        self.admin = UserFactory(username="prop_admin", role=Role.ADMIN)
        self.actors = [
            None,  # the system
            self.marketer,
            self.admin,
            *self.members["inside"],
            *self.members["sales"],
            *self.managers.values(),
        ]
        # German leads wait in the receiving team's queue; the others go round-robin.
        for pair in HandoffPair.objects.all():
            RoutingRule.objects.create(
                handoff=pair,
                position=10,
                name=f"{pair.key}: Germany to the queue",
                countries=["DE"],
                strategy=RoutingStrategy.QUEUE,
                target_team=pair.receiving_team,
            )
        self.pairs = list(HandoffPair.objects.select_related("receiving_team"))
        self.stages = list(Stage.objects.order_by("position"))
        self.stage = {stage.key: stage for stage in self.stages}
        self.reasons = defaultdict(list)
        for reason in ReasonCode.objects.order_by("pk"):
            self.reasons[reason.purpose].append(reason)
        self.default_moves = self.snapshot()
        self.configs: list[tuple[int, dict]] = [(0, self.default_moves)]
        self.checked_to = 0  # transitions up to this id were checked against the funnel
        self.leads_made = 0

    @staticmethod
    def snapshot() -> dict:
        return {
            (m.from_stage_id, m.to_stage_id): (tuple(m.roles), tuple(m.reason_purposes))
            for m in StageMove.objects.all()
        }

    def funnel_edited(self) -> None:
        last = StageTransition.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.configs.append((last + 1, self.snapshot()))

    def config_for(self, transition_id: int) -> dict:
        return next(moves for first, moves in reversed(self.configs) if transition_id >= first)

    def funnel_restore(self) -> None:
        if self.snapshot() == self.default_moves:
            return
        StageMove.objects.all().delete()
        StageMove.objects.bulk_create(
            StageMove(from_stage_id=f, to_stage_id=t, roles=list(r), reason_purposes=list(p))
            for (f, t), (r, p) in self.default_moves.items()
        )
        self.funnel_edited()


def _race(actions: list) -> list:
    """Run the actions at once, each in its own thread on its own connection; what each
    returned or raised."""
    start = threading.Barrier(len(actions))
    outcomes: list = [None] * len(actions)

    def run(i: int, action) -> None:
        try:
            start.wait(timeout=THREAD_TIMEOUT)
            outcomes[i] = action()
        except BaseException as exc:  # judged by the caller, in the main thread
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(i, a), daemon=True) for i, a in enumerate(actions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT)
    stuck = [i for i, thread in enumerate(threads) if thread.is_alive()]
    assert not stuck, f"operations {stuck} still running after {THREAD_TIMEOUT}s (a deadlock?)"
    return outcomes


# The first failure, with the steps that led to it. Threads make a failing run unlikely to
# repeat exactly, so hypothesis's own replay of it may pass (and report a flaky test): this is
# what the test reports instead.
FAILURES: list[str] = []
# What the operations answered, by kind: done or refused (printed at the end, to see that the
# races ran and were not all refused).
TALLY: dict[tuple[str, str], int] = defaultdict(int)


def _pick(items, n: int):
    return items[n % len(items)] if items else None


class Funnel(RuleBasedStateMachine):
    world: World  # set by the test
    clock = None  # the test's time_machine

    def __init__(self):
        super().__init__()
        self.leads: list[int] = []
        self.settled = True
        self.refusals: dict[str, int] = defaultdict(int)
        self.log: list[str] = []

    def _failed(self, what: BaseException) -> None:
        if not FAILURES:
            FAILURES.append("\n".join([*self.log, f"-> {what!r}"]))

    def check_invariants(self, *args, **kwargs):
        try:
            return super().check_invariants(*args, **kwargs)
        except BaseException as exc:
            self._failed(exc)
            raise

    # --- the leads --------------------------------------------------------------------

    def _new_lead(self, stage: str, country: str) -> None:
        world = self.world
        world.leads_made += 1
        lead = lead_create(
            actor=world.marketer,
            stage=stage,
            email=f"prop{world.leads_made}@example.com",
            country=country,
        )
        self.leads.append(lead.pk)
        self.log.append(f"lead {lead.pk} made in {stage} ({country})")

    @initialize(
        stages=st.lists(st.sampled_from(["inquiry", "qi", "mql"]), min_size=3, max_size=3),
        countries=st.lists(st.sampled_from(["DE", "FR"]), min_size=3, max_size=3),
    )
    def some_leads(self, stages, countries):
        for stage, country in zip(stages, countries, strict=True):
            self._new_lead(stage, country)
        self._settle()

    def teardown(self):
        self.world.funnel_restore()

    def _live(self) -> list[int]:
        return list(
            Lead.objects.filter(pk__in=self.leads, merged_into__isnull=True).values_list(
                "pk", flat=True
            )
        )

    @rule(stage=st.sampled_from(["inquiry", "qi", "mql"]), country=st.sampled_from(["DE", "FR"]))
    def another_lead(self, stage, country):
        # Not a precondition: hypothesis's draws must not depend on the database.
        if len(self._live()) < LEADS_AT_MOST:
            self._new_lead(stage, country)
        self._settle()

    # --- the races --------------------------------------------------------------------

    @rule(lead=st.integers(0, LEADS_AT_MOST - 1), ops=st.lists(op, min_size=2, max_size=4))
    def race_on_one_lead(self, lead, ops):
        self._run([(lead, *o) for o in ops])

    @rule(
        ops=st.lists(
            st.tuples(st.integers(0, LEADS_AT_MOST - 1), *OP_PARTS), min_size=2, max_size=4
        ),
        settle=st.booleans(),
    )
    def race_across_leads(self, ops, settle):
        self._run(ops, settle=settle)

    @rule(
        hours=st.sampled_from([2, 7, 9, 13, 20, 30, 60, 24 * 11]),
        lead=st.integers(0, LEADS_AT_MOST - 1),
        ops=st.lists(op, min_size=1, max_size=3),
    )
    def time_passes_and_a_sweep_races(self, hours, lead, ops):
        """The clock moves on (timers fall due) and a sweep runs while people act."""
        self.clock.shift(datetime.timedelta(hours=hours))
        self.log.append(f"{hours} hours later")
        self._run([(lead, "sweep", 0, 0, 0), *((lead, *o) for o in ops)])

    @rule(edit=st.integers(0, len(EDITABLE) + len(NARROWED) - 1))
    def the_funnel_is_edited(self, edit):
        """An admin removes or restores an allowed move, or narrows or widens who may make one;
        alone in its step, so each transition falls under one known configuration."""
        world = self.world
        if edit < len(EDITABLE):
            src, dst = EDITABLE[edit]
            from_stage = world.stage[src] if src else None
            found = StageMove.objects.filter(from_stage=from_stage, to_stage=world.stage[dst])
            if found.exists():
                found.delete()
            else:
                roles, purposes = world.default_moves[
                    (from_stage.pk if from_stage else None, world.stage[dst].pk)
                ]
                StageMove.objects.create(
                    from_stage=from_stage,
                    to_stage=world.stage[dst],
                    roles=list(roles),
                    reason_purposes=list(purposes),
                )
        else:
            src, dst = NARROWED[edit - len(EDITABLE)]
            move = StageMove.objects.filter(
                from_stage=world.stage[src], to_stage=world.stage[dst]
            ).first()
            if move is not None:
                default = list(world.default_moves[(move.from_stage_id, move.to_stage_id)][0])
                move.roles = default if move.roles != default else [Role.ADMIN]
                move.save(update_fields=["roles"])
        world.funnel_edited()
        self.log.append(f"funnel edited ({edit})")

    # --- building the operations (in the main thread, from what each actor saw) ---------

    def _run(self, ops: list[tuple], *, settle: bool = True) -> None:
        self.log.append(f"race {ops} (settle={settle})")
        try:
            self._race(ops, settle=settle)
        except BaseException as exc:
            self._failed(exc)
            raise

    def _race(self, ops: list[tuple], *, settle: bool) -> None:
        actions = [self._action(*o) for o in ops]
        actions = [a for a in actions if a is not None]
        if len(actions) >= 2:
            for (name, _), outcome in zip(actions, _race([a for _, a in actions]), strict=True):
                TALLY[name, "refused" if isinstance(outcome, REFUSALS) else "done"] += 1
                if isinstance(outcome, REFUSALS):
                    self.refusals[name] += 1
                elif isinstance(outcome, BaseException):
                    raise AssertionError(f"{name} raised {outcome!r}") from outcome
        elif actions:
            name, action = actions[0]
            try:
                action()
                TALLY[name, "done"] += 1
            except REFUSALS:
                TALLY[name, "refused"] += 1
                self.refusals[name] += 1
        self.settled = False
        if settle:
            self._settle()

    def _action(self, slot: int, kind: str, other: int, a: int, b: int):
        world = self.world
        if not self.leads:
            return None
        lead = Lead.objects.select_related("stage").get(pk=_pick(self.leads, slot))
        offer = (
            Offer.objects.filter(transition__lead=lead)
            .select_related("handoff__receiving_team")
            .order_by("-pk")
            .first()
        )
        if kind in ("move", "offer"):
            if kind == "offer":
                to, actor = _pick([world.stage["qi"], world.stage["mql"]], a), world.marketer
            else:
                to, actor = _pick(world.stages, a), _pick(world.actors, b)
            move = StageMove.objects.filter(from_stage=lead.stage, to_stage=to).first()
            purposes = move.reason_purposes if move else []
            reason = _pick(world.reasons[_pick(purposes, b)], a) if purposes else None
            return kind, lambda: lead_transition(lead=lead, to=to, actor=actor, reason=reason)
        if kind == "merge":
            survivor = Lead.objects.get(pk=_pick(self.leads, other))
            actor = _pick([None, world.admin, world.managers["sales"]], a)
            return kind, lambda: lead_merge(survivor=survivor, duplicate=lead, actor=actor)
        if kind == "sweep":
            return kind, lambda: sla_sweep(batch_size=_pick([3, 1000], a))
        if kind == "touch":
            actor = _pick([lead.owner, offer and offer.assignee, world.admin], a) or world.admin
            kinds = [Touch.Kind.CALL, Touch.Kind.EMAIL]
            return kind, lambda: touch_log(lead=lead, actor=actor, kind=_pick(kinds, b))
        if kind == "disposition":
            disposition = _pick(list(Disposition.Kind), a)
            purpose = {
                "recycle": "recycle",
                "junk": "disqualify",
                "lost": "lost",
            }.get(disposition)
            reason = _pick(world.reasons[purpose], b) if purpose else None
            amount = Decimal(1000) if disposition == Disposition.Kind.WON else None
            actor = (
                _pick([lead.owner, world.managers["sales"], world.admin], b)
                or world.managers["inside"]
            )
            return kind, lambda: lead_disposition(
                lead=lead, actor=actor, disposition=disposition, reason=reason, amount=amount
            )
        if offer is None:
            return None
        team = offer.handoff.receiving_team
        members = world.members[team.key]
        if kind == "route":
            return kind, lambda: offer_route(offer_id=offer.pk)
        if kind == "accept":
            actor = _pick([offer.assignee, *members, world.managers[team.key]], a) or members[0]
            return kind, lambda: offer_accept(offer=offer, actor=actor)
        if kind == "reject":
            actor = _pick([offer.assignee, *members, world.admin], a) or members[0]
            reason = _pick([None, *world.reasons["reject"]], b)
            return kind, lambda: offer_reject(offer=offer, actor=actor, reason=reason)
        if kind == "claim":
            return kind, lambda: offer_claim(offer=offer, actor=_pick(members, a))
        if kind == "assign":
            actor = _pick([world.managers[team.key], world.admin], a)
            return kind, lambda: offer_assign(offer=offer, actor=actor, assignee=_pick(members, b))
        raise AssertionError(kind)

    def _settle(self) -> None:
        """What the routing worker (or its safety net) does: route each offer not yet routed."""
        for offer_id in Offer.objects.filter(
            status=OfferStatus.PENDING, routed_at__isnull=True
        ).values_list("pk", flat=True):
            offer_route(offer_id=offer_id)
        self.settled = True

    # --- the invariants ---------------------------------------------------------------

    @invariant()
    def stage_is_the_last_move_and_history_is_one_chain(self):
        by_lead = defaultdict(list)
        for t in StageTransition.objects.order_by("pk").values(
            "pk", "lead_id", "from_stage_id", "to_stage_id", "at"
        ):
            by_lead[t["lead_id"]].append(t)
        for lead in Lead.objects.values("pk", "stage_id", "merged_into_id", "merged_at"):
            history = by_lead[lead["pk"]]
            assert history, f"lead {lead['pk']} has no transitions"
            assert history[-1]["to_stage_id"] == lead["stage_id"], (lead, history[-1])
            assert history[0]["from_stage_id"] is None, history[0]
            for before, after in itertools.pairwise(history):
                assert after["from_stage_id"] == before["to_stage_id"], (before, after)
                assert after["at"] >= before["at"], (before, after)
            if lead["merged_into_id"] is not None:
                assert history[-1]["at"] <= lead["merged_at"], (
                    f"lead {lead['pk']} moved after it was merged",
                    history[-1],
                    lead,
                )

    @invariant()
    def one_open_offer_per_lead_and_none_on_a_merged_lead(self):
        for status in ([OfferStatus.PENDING], [OfferStatus.PENDING, OfferStatus.ACCEPTED]):
            counts = defaultdict(int)
            for lead_id in Offer.objects.filter(
                status__in=status, closed_at__isnull=True
            ).values_list("lead_id", flat=True):
                counts[lead_id] += 1
            assert all(n == 1 for n in counts.values()), (status, counts)
        merged = Lead.objects.filter(merged_into__isnull=False)
        for model in (Offer, Touch, Disposition):
            left = model.objects.filter(lead__in=merged)
            assert not left.exists(), f"{model.__name__} on a merged lead: {list(left.values())}"

    @invariant()
    def every_move_was_allowed_when_it_was_made(self):
        world = self.world
        accepting = {pair.accepted_stage_id: pair.pk for pair in world.pairs}
        roles = dict(User.objects.values_list("pk", "role"))
        superusers = set(User.objects.filter(is_superuser=True).values_list("pk", flat=True))
        purposes = dict(ReasonCode.objects.values_list("pk", "purpose"))
        newest = world.checked_to
        for t in StageTransition.objects.filter(pk__gt=world.checked_to).order_by("pk").values():
            moves = world.config_for(t["id"])
            key = (t["from_stage_id"], t["to_stage_id"])
            assert key in moves, f"transition {t} was not an allowed move at the time"
            allowed_roles, needs = moves[key]
            if t["actor_id"] is not None:
                role = Role.ADMIN if t["actor_id"] in superusers else roles[t["actor_id"]]
                assert role in allowed_roles, (t, role, allowed_roles)
            if t["to_stage_id"] in accepting:
                assert t["handoff_id"] == accepting[t["to_stage_id"]], t
            if needs:
                assert purposes.get(t["reason_id"]) in needs, (t, needs)
            newest = t["id"]
        world.checked_to = newest

    def _decisions(self) -> dict[int, dict]:
        """Each offer's decisions, read from its lead's history: the handoff's moves between
        the move that opened it and the lead's next offer."""
        openings = defaultdict(list)  # original lead -> [(opening transition id, offer)]
        offers = list(
            Offer.objects.select_related("handoff", "transition").order_by("transition_id")
        )
        for offer in offers:
            assert offer.transition_id is not None, f"offer {offer.pk} opened by no move"
            openings[offer.transition.lead_id].append(offer)
        tagged = defaultdict(list)
        for t in StageTransition.objects.filter(handoff__isnull=False).order_by("pk").values():
            tagged[t["lead_id"]].append(t)
        found = {}
        matched = 0
        for lead_id, lead_offers in openings.items():
            for i, offer in enumerate(lead_offers):
                end = lead_offers[i + 1].transition_id if i + 1 < len(lead_offers) else None
                window = [
                    t
                    for t in tagged[lead_id]
                    if t["id"] > offer.transition_id
                    and (end is None or t["id"] < end)
                    and t["handoff_id"] == offer.handoff_id
                ]
                matched += len(window)
                pair = offer.handoff
                found[offer.pk] = {
                    "offer": offer,
                    "accepts": [t for t in window if t["to_stage_id"] == pair.accepted_stage_id],
                    "rejects": [
                        t
                        for t in window
                        if t["to_stage_id"] == pair.reject_stage_id and t["actor_id"] is not None
                    ],
                    "expiries": [
                        t
                        for t in window
                        if t["to_stage_id"] == pair.reject_stage_id and t["actor_id"] is None
                    ],
                }
        total = sum(len(ts) for ts in tagged.values())
        assert matched == total, f"{total - matched} handoff moves belong to no offer"
        return found

    @invariant()
    def each_offer_has_at_most_one_decision_and_history_agrees(self):
        for d in self._decisions().values():
            offer, accepts, rejects, expiries = (
                d["offer"],
                d["accepts"],
                d["rejects"],
                d["expiries"],
            )
            said = (offer.pk, offer.status, accepts, rejects, expiries)
            assert len(accepts) + len(rejects) <= 1, said
            assert len(expiries) <= 1, said
            if offer.status == OfferStatus.ACCEPTED:
                assert len(accepts) == 1 and offer.decided_at == accepts[0]["at"], said
            elif offer.status == OfferStatus.REJECTED:
                assert len(rejects) == 1 and not expiries, said
                assert offer.decided_at == rejects[0]["at"], said
            elif offer.status == OfferStatus.EXPIRED:
                assert len(expiries) == 1 and not accepts and not rejects, said
                assert offer.decided_at == expiries[0]["at"], said
            else:
                assert not (accepts or rejects or expiries), said
            if offer.status == OfferStatus.PENDING:
                assert offer.decided_at is None and offer.closed_at is None, said
            else:
                assert offer.decided_at is not None, said
            if offer.closed_at is not None:
                waiting = SlaTimer.objects.filter(
                    offer=offer, fired_at__isnull=True, cancelled_at__isnull=True
                )
                assert not waiting.exists(), (said, list(waiting.values()))
        both = SlaTimer.objects.filter(fired_at__isnull=False, cancelled_at__isnull=False)
        assert not both.exists(), list(both.values())

    @invariant()
    def the_report_agrees_with_the_history(self):
        decisions = self._decisions()
        today = timezone.localdate()
        rows = handoff_report(
            query=ReportQuery(
                start=datetime.date(2000, 1, 1), end=today + datetime.timedelta(days=3650)
            )
        )
        for row in rows:
            pair = next(p for p in self.world.pairs if p.key == row["handoff"])
            offers = Offer.objects.filter(handoff=pair)
            history = StageTransition.objects.filter(handoff=pair)
            mine = [d for d in decisions.values() if d["offer"].handoff_id == pair.pk]
            expected = {
                "offered": StageTransition.objects.filter(to_stage=pair.offered_stage).count(),
                "accepted": history.filter(to_stage=pair.accepted_stage).count(),
                "rejected": history.filter(to_stage=pair.reject_stage, actor__isnull=False).count(),
                "expired": sum(1 for d in mine if d["expiries"] and not d["accepts"]),
            }
            by_status = {s: offers.filter(status=s).count() for s in OfferStatus.values}
            got = {key: row[key] for key in expected}
            assert got == expected, (pair.key, got, expected)
            assert got["offered"] == offers.count(), (pair.key, got, offers.count())
            for status in ("accepted", "rejected", "expired", "withdrawn", "pending"):
                assert row[status] == by_status[status], (pair.key, status, row, by_status)

    @precondition(lambda self: self.settled)
    @invariant()
    def every_pending_offer_is_held_and_its_clock_runs(self):
        for offer in Offer.objects.filter(status=OfferStatus.PENDING).select_related(
            "handoff", "assignee"
        ):
            said = (offer.pk, offer.assignee_id, offer.queue_id, offer.routed_at)
            assert offer.routed_at is not None, said
            assert offer.assignee_id is not None or offer.queue_id is not None, said
            if offer.assignee_id is not None:
                assert offer.assignee.team_id == offer.handoff.receiving_team_id, said
            if offer.agreement_id is not None:
                assert offer.accept_due_at is not None, said
                waiting = SlaTimer.objects.filter(
                    offer=offer,
                    clock=SlaClock.ACCEPT,
                    fired_at__isnull=True,
                    cancelled_at__isnull=True,
                )
                assert waiting.exists(), f"pending offer {offer.pk} has no running clock"

    @invariant()
    def routing_comes_first_and_once(self):
        vias = defaultdict(list)
        for offer_id, via in OfferHolding.objects.order_by("pk").values_list("offer_id", "via"):
            vias[offer_id].append(via)
        for offer_id, seq in vias.items():
            assert seq.count("routing") <= 1, (offer_id, seq)
            if "routing" in seq:
                assert seq[0] == "routing", (offer_id, seq)


@pytest.fixture
def no_messages(monkeypatch):
    """Nothing sent to the broker: the test routes offers itself (as the worker would), and
    emails and webhooks are not what it checks."""
    monkeypatch.setattr(Task, "delay_on_commit", lambda self, *args, **kwargs: None)
    monkeypatch.setattr(Task, "apply_async_on_commit", lambda self, *args, **kwargs: None)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_operations_keep_every_invariant(no_messages, time_machine):
    time_machine.move_to(START, tick=True)
    Funnel.world = World()
    Funnel.clock = time_machine
    FAILURES.clear()
    TALLY.clear()
    try:
        run_state_machine_as_test(
            Funnel,
            settings=settings(
                max_examples=15,
                stateful_step_count=20,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
                print_blob=False,
                phases=[Phase.generate],
            ),
        )
    except Exception as exc:
        if FAILURES:
            pytest.fail(f"{FAILURES[0]}\n({exc!r})")
        raise
    print("\noperations (done/refused):", {k: dict(sorted(v.items())) for k, v in _by_kind()})
    print("offers:", dict(Offer.objects.values_list("status").annotate(n=Count("pk")).order_by()))
    print(
        "timers fired:",
        SlaTimer.objects.filter(fired_at__isnull=False).count(),
        "merged leads:",
        Lead.objects.filter(merged_into__isnull=False).count(),
        "transitions:",
        StageTransition.objects.count(),
    )
    # The races ran: every kind of operation both succeeded and was refused at least once.
    done = {kind for (kind, how), n in TALLY.items() if how == "done" and n}
    assert done == set(KINDS), set(KINDS) - done


def _by_kind():
    kinds = defaultdict(dict)
    for (kind, how), n in TALLY.items():
        kinds[kind][how] = n
    return sorted(kinds.items())


# --- what the property found, kept fixed by deterministic tests ---------------------------------


@pytest.fixture
def world(no_messages):
    return World()


def _lead(world: World, stage: str, n: int, country: str = "FR") -> Lead:
    return lead_create(
        actor=world.marketer, stage=stage, email=f"found{n}@example.com", country=country
    )


@pytest.mark.django_db(transaction=True)
def test_a_lead_merged_while_someone_moves_it_is_not_moved(world):
    survivor, duplicate = _lead(world, "inquiry", 1), _lead(world, "inquiry", 2)
    seen = Lead.objects.get(pk=duplicate.pk)  # the marketer's page, before the merge
    lead_merge(survivor=survivor, duplicate=duplicate, actor=world.admin)

    with pytest.raises(DomainError, match="merged into lead"):
        lead_transition(lead=seen, to="qi", actor=world.marketer)
    with pytest.raises(DomainError, match="merged into lead"):
        touch_log(lead=seen, actor=world.admin, kind=Touch.Kind.CALL)
    assert not Offer.objects.filter(lead=duplicate).exists()
    assert StageTransition.objects.filter(lead=duplicate).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_offer_assigned_before_its_routing_ran_stays_with_the_assignee(world):
    lead = _lead(world, "mql", 3)
    offer = Offer.objects.get(lead=lead, status=OfferStatus.PENDING)
    rep = world.members["sales"][1]
    offer_assign(offer=offer, actor=world.managers["sales"], assignee=rep)

    routed = offer_route(offer_id=offer.pk)

    assert (routed.assignee_id, routed.queue_id) == (rep.pk, None)
    assert routed.routed_at is not None and routed.accept_due_at is not None
    assert SlaTimer.objects.filter(offer=offer, clock=SlaClock.ACCEPT).exists()
    assert list(OfferHolding.objects.filter(offer=offer).values_list("via", flat=True)) == [
        "assign"
    ]


@pytest.mark.django_db(transaction=True)
def test_routing_that_waits_behind_a_merge_finds_the_offer_withdrawn(world):
    survivor, duplicate = _lead(world, "inquiry", 4), _lead(world, "qi", 5)
    offer = Offer.objects.get(lead=duplicate, status=OfferStatus.PENDING)
    merged, release = threading.Event(), threading.Event()

    def merge() -> None:
        try:
            with transaction.atomic():  # the merge's locks held until released
                lead_merge(survivor=survivor, duplicate=duplicate, actor=None)
                merged.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    def route():
        assert merged.wait(timeout=30)
        threading.Timer(0.5, release.set).start()  # once the routing waits for the lock
        return offer_route(offer_id=offer.pk)

    outcomes = _race([merge, route])

    assert isinstance(outcomes[1], Offer), outcomes  # not DoesNotExist
    assert (outcomes[1].status, outcomes[1].lead_id) == (OfferStatus.WITHDRAWN, survivor.pk)
    assert outcomes[1].routed_at is None
