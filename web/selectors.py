"""Reads of the manager's console: a team's open offers, its reps' load and lateness, the black
hole and follow-up times from reporting, and the SLA agreements of the team's handoffs.

Each read is one or two queries whatever the team's size; the figures are counted by the
database (reporting's selectors, and the weekly snapshots), never by loading leads.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, Count, F, Q, QuerySet, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from funnel.models import HandoffPair, Role, Team, User
from handoff.models import Notification, Offer, OfferStatus, SlaAgreement
from handoff.selectors import offer_due_now
from reporting.models import WeeklyReport
from reporting.params import ReportQuery
from reporting.selectors.black_hole import black_hole_report
from reporting.weekly.data import BLACK_HOLE_WEEKS
from reporting.weeks import week_label, week_today

# Roles that work a team's leads: the reps a manager hands leads to.
WORKING_ROLES = (Role.SALES, Role.INSIDE)
WEEKS_SHOWN = 4  # weekly snapshots in the follow-up table
BLACK_HOLE_LISTED = 10
ESCALATIONS_LISTED = 10
VERSIONS_LISTED = 5  # per handoff, newest first


def console_teams(user: User) -> list[Team]:
    """The teams whose console `user` may open: every team for an admin; for a manager, their
    own team and any team they are named manager of. One query."""
    teams = Team.objects.select_related("manager").order_by("name")
    if user.effective_role == Role.ADMIN:
        return list(teams)
    if user.effective_role == Role.MANAGER:
        return list(teams.filter(Q(pk=user.team_id) | Q(manager=user)))
    return []


def team_pairs(team: Team) -> list[HandoffPair]:
    """The handoffs the team sends or receives, in funnel order."""
    return list(
        HandoffPair.objects.filter(Q(sending_team=team) | Q(receiving_team=team))
        .select_related("sending_team", "receiving_team", "offered_stage", "accepted_stage")
        .order_by("offered_stage__position", "pk")
    )


def team_reps(team: Team) -> QuerySet[User]:
    """Active members who work leads: whom a manager may hand a lead to."""
    return User.objects.filter(team=team, is_active=True, role__in=WORKING_ROLES).order_by(
        "first_name", "last_name", "username"
    )


def _due_now() -> Case:
    """The deadline that applies to an open offer now: accepting it while it waits, then the
    one the holder works to (handoff.selectors.offer_due_now)."""
    return Case(When(status=OfferStatus.PENDING, then=F("accept_due_at")), default=offer_due_now())


def team_offers_all(team: Team) -> QuerySet[Offer]:
    """Every offer of the handoffs the team receives, open or not: what a reassign may name
    (the service refuses the ones no longer open, with a message)."""
    return Offer.objects.filter(handoff__receiving_team=team)


def team_offers_open(team: Team, *, overdue_only: bool = False) -> QuerySet[Offer]:
    """The team's open offers: waiting for a rep or in its queue, or accepted and being worked;
    the most overdue first. `due_now` is the deadline that applies now."""
    offers = (
        team_offers_all(team)
        .current()
        .select_related(
            "lead__stage", "handoff", "assignee", "queue", "agreement"
        )
        .only(
            "status", "offered_at", "accept_due_at", "first_touch_due_at", "touches_due_at",
            "work_due_at", "first_touch_at", "touch_count", "escalated_at", "assignee_id",
            "queue_id", "lead__first_name", "lead__last_name", "lead__email", "lead__company",
            "lead__score", "lead__stage__key", "lead__stage__name", "handoff__name",
            "handoff__key", "assignee__username", "assignee__first_name",
            "assignee__last_name", "queue__name", "agreement__min_touches",
        )
        .annotate(due_now=_due_now())
    )  # fmt: skip
    if overdue_only:
        offers = offers.filter(due_now__lt=timezone.now())
    return offers.order_by(F("due_now").asc(nulls_last=True), "pk")


@dataclass
class RepLoad:
    """One rep's open offers now, and their black hole."""

    user: User | None  # None: the team's queue
    waiting: int = 0
    working: int = 0
    overdue: int = 0
    black_hole: int = 0


def team_load(team: Team, reps: list[User], black_hole: dict) -> list[RepLoad]:
    """Per rep (and the queue): offers waiting, leads being worked, how many are overdue now;
    one grouped query. Reps with nothing open are listed too."""
    now = timezone.now()
    counts = (
        team_offers_all(team)
        .current()
        .order_by()
        .alias(due_now=_due_now())
        .values("assignee_id")
        .annotate(
            waiting=Count("id", filter=Q(status=OfferStatus.PENDING)),
            working=Count("id", filter=Q(status=OfferStatus.ACCEPTED)),
            overdue=Count("id", filter=Q(due_now__lt=now)),
        )
    )
    by_user = {row["assignee_id"]: row for row in counts}
    holes = {row["owner"]: row["count"] for row in black_hole["by_owner"]}
    rows = []
    for rep in reps:
        row = by_user.pop(rep.pk, {})
        rows.append(
            RepLoad(
                user=rep,
                waiting=row.get("waiting", 0),
                working=row.get("working", 0),
                overdue=row.get("overdue", 0),
                black_hole=holes.get(rep.username, 0),
            )
        )
    queued = by_user.pop(None, None)
    if queued:
        rows.append(RepLoad(user=None, waiting=queued["waiting"], overdue=queued["overdue"]))
    return rows


def team_black_hole(team: Team) -> dict:
    """Leads the team's reps accepted and left past their working limit, now (the weekly
    report's window); black_hole_report, two queries."""
    today = week_today()
    query = ReportQuery(
        start=today - datetime.timedelta(weeks=BLACK_HOLE_WEEKS),
        end=today + datetime.timedelta(days=1),
        team=team.key,
    )
    return black_hole_report(query=query, limit=BLACK_HOLE_LISTED)


def team_escalations(team: Team, user: User) -> list[Notification]:
    """Unread escalations to the team's manager (and to the viewer, a manager of the team):
    of the team's offers, and those about no offer (a watched ratio that drifted); newest
    first, one more than listed, to tell that there are more."""
    people = {pk for pk in (team.manager_id, user.pk) if pk}
    return list(
        Notification.objects.filter(
            Q(offer__isnull=True) | Q(offer__handoff__receiving_team=team),
            user_id__in=people,
            kind=Notification.Kind.ESCALATION,
            read_at__isnull=True,
        )
        .only("subject", "created_at", "lead_id")
        .order_by("-created_at", "-pk")[: ESCALATIONS_LISTED + 1]
    )


@dataclass
class FollowUpRow:
    rep: User
    weeks: list[dict | None] = field(default_factory=list)  # per week shown: the snapshot's row


def team_follow_up(team: Team, reps: list[User], pairs: list[HandoffPair]) -> dict:
    """Follow-up time and SLA compliance by rep for the last weekly reports: read from their
    snapshots (the weekly report's rep section), so the figures are the ones the reports show
    and cost one query, not a recount."""
    reports = list(
        WeeklyReport.objects.order_by("-week").values("pk", "week", "data__sections__reps__rows")[
            :WEEKS_SHOWN
        ]
    )[::-1]
    received = {pair.key for pair in pairs if pair.receiving_team_id == team.pk}
    weeks = [
        {"pk": r["pk"], "label": week_label(r["week"]), "short": week_label(r["week"])[5:]}
        for r in reports
    ]
    rows = []
    for rep in reps:
        cells = []
        for report in reports:
            mine = [
                row
                for row in report["data__sections__reps__rows"] or []
                if row.get("rep") == rep.username and row.get("handoff") in received
            ]
            cells.append(mine[0] if mine else None)
        rows.append(FollowUpRow(rep=rep, weeks=cells))
    return {"weeks": weeks, "rows": rows}


@dataclass
class PairAgreements:
    pair: HandoffPair
    versions: list[SlaAgreement]


def team_agreements(pairs: list[HandoffPair]) -> list[PairAgreements]:
    """The newest versions of each handoff's agreement (at most VERSIONS_LISTED), with who
    proposed and signed them; one query. `newest` marks the version that may be signed."""
    ranked = (
        SlaAgreement.objects.filter(handoff__in=pairs)
        .select_related("created_by", "marketing_signoff_by", "sales_signoff_by")
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("handoff_id")], order_by=F("version").desc())
        )
        .filter(rank__lte=VERSIONS_LISTED)
        .order_by("handoff_id", "-version")
    )
    by_pair: dict[int, list[SlaAgreement]] = {pair.pk: [] for pair in pairs}
    for agreement in ranked:
        agreement.newest = agreement.rank == 1
        by_pair[agreement.handoff_id].append(agreement)
    in_force = {
        pair_id: next((a.pk for a in versions if a.effective_at), None)
        for pair_id, versions in by_pair.items()
    }
    for pair_id, versions in by_pair.items():
        for agreement in versions:
            agreement.in_force = agreement.pk == in_force[pair_id]
    return [PairAgreements(pair=pair, versions=by_pair[pair.pk]) for pair in pairs]
