"""Work waiting for the demo's logins, and the weekly reports of the demo's last weeks.

The demo history is written in bulk and ends wherever "now" cuts it, which leaves a login who
joined the roster (`demo_users`) no offer to accept and no lead to work. `demo_logins_work`
gives each login who works leads a few, through the services a real handoff goes through:
recycled leads come back into the handoff's offered stage as the marketing automation platform
sends them, are routed, assigned to the login by their team's manager, and some accepted and
worked. A handful of service calls per login, whatever the number of leads.

`demo_weekly_reports` builds the snapshots of the last complete weeks, so the weekly reports and
the manager's console have figures without waiting for Monday's beat.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from funnel.models import HandoffPair, User
from handoff.models import Lead, Offer, OfferStatus, Touch
from handoff.services.leads import lead_transition
from handoff.services.offers import offer_accept, offer_assign, offer_route
from handoff.services.work import lead_disposition, touch_log
from leadflow.locale import local_midnight
from reporting.alerts import ratio_check
from reporting.weekly import weekly_report_build
from reporting.weeks import week_label, week_last_complete, week_shift

from .logins import WORKING_ROLES, demo_usernames

WAITING = 4  # offers waiting for each login to accept
WORKING = 3  # leads each holds in the accepted stage; the first is past its first touch
QUALIFIED = 2  # leads a login qualified on from the accepted stage (SAL → SQL)
# The late lead's offer came this long ago: its first-touch deadline (8 working hours under
# the default agreement) has passed on any day of the week.
LATE_BY = datetime.timedelta(days=3)
# Sales qualifies on into SQL; the inside team's next stage is MQL, another team's handoff.
QUALIFIES_INTO = {"sal": "sql"}
REPORT_WEEKS = 4  # weekly reports built: the last complete weeks
MAP_LABEL = "marketo"


def demo_logins_work(*, now: datetime.datetime) -> dict[str, dict[str, int]]:
    """Offers waiting, leads accepted (and some qualified on) for each demo login who works
    leads and is in a team that receives a handoff; {username: {stage key: leads}}."""
    logins = list(
        User.objects.filter(
            username__in=demo_usernames(*WORKING_ROLES), is_active=True, team__isnull=False
        ).order_by("username")
    )
    pairs = {
        pair.receiving_team_id: pair
        for pair in HandoffPair.objects.select_related(
            "offered_stage", "accepted_stage", "receiving_team__manager"
        )
    }
    plans = [
        (login, pairs[login.team_id])
        for login in logins
        if login.team_id in pairs and pairs[login.team_id].receiving_team.manager_id
    ]
    if not plans:
        return {}
    needed = sum(
        WAITING + WORKING + (QUALIFIED if pair.accepted_stage.key in QUALIFIES_INTO else 0)
        for _, pair in plans
    )
    # Recycled leads that have rested a while, the hottest first: marketing sends them back.
    pool = iter(
        Lead.objects.filter(
            stage__key="recycle",
            merged_into__isnull=True,
            stage_entered_at__lt=now - LATE_BY - datetime.timedelta(days=1),
        )
        .order_by("-score", "pk")
        .values_list("pk", flat=True)[:needed]
    )
    done = {}
    for login, pair in plans:
        done[login.username] = _work_for(login, pair, pool, now=now)
    return done


def _work_for(
    login: User, pair: HandoffPair, pool: Iterator[int], *, now: datetime.datetime
) -> dict[str, int]:
    counts = {pair.offered_stage.key: 0, pair.accepted_stage.key: 0}
    qualifies_into = QUALIFIES_INTO.get(pair.accepted_stage.key)
    if qualifies_into:
        counts[qualifies_into] = 0
    plan = (
        ["wait"] * WAITING
        + ["late"]
        + ["work"] * (WORKING - 1)
        + (["qualify"] * QUALIFIED if qualifies_into else [])
    )
    for step, lead_id in zip(plan, pool, strict=False):
        at = now - LATE_BY if step == "late" else now
        offer = _offer_to(login, pair, lead_id, at=at)
        if step == "wait":
            counts[pair.offered_stage.key] += 1
            continue
        offer_accept(offer=offer, actor=login)
        lead = Lead.objects.get(pk=lead_id)
        if step == "late":
            counts[pair.accepted_stage.key] += 1
            continue
        touch_log(lead=lead, actor=login, kind=Touch.Kind.CALL, outcome=Touch.Outcome.CONNECTED,
                  note="Intro call: interested, wants pricing.")  # fmt: skip
        if step == "qualify":
            lead_disposition(lead=lead, actor=login, disposition="qualified")
            counts[qualifies_into] += 1
        else:
            counts[pair.accepted_stage.key] += 1
    return counts


def _offer_to(login: User, pair: HandoffPair, lead_id: int, *, at: datetime.datetime) -> Offer:
    """The lead back in the handoff's offered stage, its offer routed and, if routing picked
    someone else, assigned to the login by the team's manager."""
    lead = Lead.objects.get(pk=lead_id)
    lead_transition(lead=lead, to=pair.offered_stage, actor=None, actor_label=MAP_LABEL, at=at)
    offer = Offer.objects.get(lead_id=lead_id, status=OfferStatus.PENDING)
    offer = offer_route(offer_id=offer.pk, now=at)
    if offer.assignee_id != login.pk:
        offer = offer_assign(offer=offer, actor=pair.receiving_team.manager, assignee=login)
    return offer


def demo_weekly_reports(
    *, now: datetime.datetime, start: datetime.datetime, weeks: int = REPORT_WEEKS
) -> list[str]:
    """The snapshots of the last `weeks` complete weeks that overlap the demo (from `start`),
    oldest first, each after its drift check (as Monday's beat does); their ISO week labels.
    A week that has its snapshot keeps it."""
    last = week_last_complete(now)
    built = []
    for back in range(weeks - 1, -1, -1):
        week = week_shift(last, -back)
        if local_midnight(week_shift(week, 1)) <= start:
            continue
        ratio_check(week=week, now=now)
        weekly_report_build(week=week, now=now)
        built.append(week_label(week))
    return built
