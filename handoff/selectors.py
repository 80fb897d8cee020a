"""Reads of a lead's life. `lead_visible` is the one definition of who may see which lead; a
lead's history, the offer an action on a lead applies to, the queue's reads."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Func,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from funnel.models import Role, StageKind, User
from handoff.models import (
    Activity,
    Disposition,
    Lead,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    Offer,
    OfferStatus,
    SlaTimer,
    StageTransition,
    Touch,
)

SEES_ALL = (Role.ADMIN, Role.MARKETING, Role.INTEGRATION)


class LeadSearchText(Func):
    """The fields a lead is found by (email, names, company), joined by spaces.

    A search word never holds a space, so it appears in this text exactly when it appears in
    one of the fields: one expression to match instead of four, which PostgreSQL answers from
    a trigram index on it (handoff migration 0017) rather than by reading every lead.
    """

    template = "(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = CharField()

    def __init__(self):
        super().__init__(F("email"), F("first_name"), F("last_name"), F("company"))


def lead_search(leads: QuerySet[Lead], value: str) -> QuerySet[Lead]:
    """Leads where every word of `value` appears (any case) in the email, a name or the
    company."""
    words = value.split()
    if not words:
        return leads
    leads = leads.alias(search_text=LeadSearchText())
    for word in words:
        leads = leads.filter(search_text__icontains=word)
    return leads


def lead_visible(user: User) -> QuerySet[Lead]:
    """Leads `user` may see (merged duplicates excluded).

    Marketing, admins and integrations see all; a rep or qualifier the leads they own or whose
    open offer is to them or their team's queue; a manager their team's leads and offers.
    """
    leads = Lead.objects.filter(merged_into__isnull=True)
    role = user.effective_role
    if role in SEES_ALL:
        return leads
    pending = Offer.objects.filter(status=OfferStatus.PENDING).order_by()
    if role == Role.MANAGER and user.team_id:
        # A team's leads are a good share of all: an OR of small hashed subqueries lets a list
        # walk its sort index and stop at the page's 51st (5 ms at 100k leads; the UNION below
        # first collects every team lead, 90 ms).
        team = user.team_id
        members = User.objects.filter(team_id=team).order_by().values("pk")
        offered = pending.filter(Q(queue_id=team) | Q(assignee__team_id=team)).values("lead_id")
        return leads.filter(Q(team_id=team) | Q(owner__in=members) | Q(pk__in=offered))
    # A rep's own leads are few: their ids come from a UNION of indexed reads (owner, the
    # offer's assignee or queue), not an OR over every lead, which is a sequential scan whose
    # cost estimate (millions) also wakes PostgreSQL's JIT compiler, about 0.5 s on each rep's
    # lead list at 100k leads.
    parts = [
        Lead.objects.filter(owner=user).order_by().values("pk"),
        pending.filter(assignee=user).values("lead_id"),
    ]
    if user.team_id:
        parts.append(pending.filter(assignee__isnull=True, queue_id=user.team_id).values("lead_id"))
    return leads.filter(pk__in=parts[0].union(*parts[1:], all=True))


# What the API shows of a lead (handoff.api.leads.LeadOutputSerializer), and of its offer.
LEAD_SHOWN = (
    "email", "first_name", "last_name", "phone", "company", "title", "country", "region", "city",
    "industry", "employees", "source", "campaign", "score", "external_id", "crm_id",
    "attributes", "stage__key", "owner__username", "recycle_count", "created_at", "updated_at",
)  # fmt: skip
OFFER_SHOWN = (
    "lead", "status", "offered_at", "accept_due_at", "first_touch_due_at", "touches_due_at",
    "work_due_at", "handoff__key", "assignee__username", "queue__key",
)  # fmt: skip


def _leads_shown(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """Only the columns the API shows (not the offers' routing log, nor whole user rows), with
    the current offer prefetched: two queries for any number of leads."""
    current = (
        Offer.objects.current().select_related("handoff", "assignee", "queue").only(*OFFER_SHOWN)
    )
    return (
        leads.select_related("stage", "owner")
        .only(*LEAD_SHOWN)
        .prefetch_related(Prefetch("offers", queryset=current, to_attr="current_offers"))
    )


def lead_list(*, user: User) -> QuerySet[Lead]:
    """Visible leads with what the API shows of each, in a fixed number of queries. Read only:
    a service is given a whole lead (`lead_visible`), not these."""
    return _leads_shown(lead_visible(user))


def lead_acted_on(*, lead_id: int) -> Lead:
    """The lead as the API shows it, to answer the person who just acted on it.

    Not filtered by visibility: rejecting or recycling a lead takes it out of the actor's view,
    and the answer to their own action still shows where it went.
    """
    return _leads_shown(Lead.objects.all()).get(pk=lead_id)


# Items at the same instant come in the order they happen: the move, the offer it opens,
# then what people did, then the disposition recorded with its move.
HISTORY_TYPES = ("transition", "offer", "touch", "activity", "disposition", "notification")


@dataclass(frozen=True)
class HistoryItem:
    type: str
    at: datetime.datetime
    obj: Any

    def sort_key(self) -> tuple:
        return (self.at, HISTORY_TYPES.index(self.type), self.obj.pk)


def lead_family_ids(*, lead: Lead) -> list[int]:
    """The lead and every lead merged into it, however deep the chain of merges, in one query."""
    # The table name is the model's own, never input.
    table = connection.ops.quote_name(Lead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE family(id) AS (
                SELECT id FROM {table} WHERE id = %s
                UNION
                SELECT child.id FROM {table} child JOIN family ON child.merged_into_id = family.id
            )
            SELECT id FROM family
            """,
            [lead.pk],
        )
        return [row[0] for row in cursor.fetchall()]


def lead_history(*, lead: Lead) -> list[HistoryItem]:
    """Everything that happened to `lead` and to the leads merged into it, oldest first.

    Six queries whatever the length of the history: the family of merged leads, then one per
    kind of item with everything it shows joined in.
    """
    ids = lead_family_ids(lead=lead)
    transitions = StageTransition.objects.filter(lead_id__in=ids).select_related(
        "from_stage", "to_stage", "actor", "handoff", "reason"
    )
    offers = Offer.objects.filter(lead_id__in=ids).select_related(
        "handoff", "assignee", "queue", "offered_by", "decided_by", "reason", "agreement"
    )
    touches = Touch.objects.filter(lead_id__in=ids).select_related("user")
    activities = Activity.objects.filter(lead_id__in=ids)
    dispositions = Disposition.objects.filter(lead_id__in=ids).select_related("actor", "reason")
    items = [
        *(HistoryItem("transition", t.at, t) for t in transitions),
        *(HistoryItem("offer", o.offered_at, o) for o in offers),
        *(HistoryItem("touch", t.at, t) for t in touches),
        *(HistoryItem("activity", a.at, a) for a in activities),
        *(HistoryItem("disposition", d.at, d) for d in dispositions),
    ]
    return sorted(items, key=HistoryItem.sort_key)


def lead_offer_to_decide(*, lead: Lead) -> Offer | None:
    """The offer an accept, reject, claim or assign of `lead` applies to.

    The pending offer if there is one; otherwise the latest, so that the refusal can say who
    decided it and when (a second accept); None if the lead was never offered.
    """
    pending = Offer.objects.filter(lead=lead, status=OfferStatus.PENDING).first()
    if pending is not None:
        return pending
    return (
        Offer.objects.filter(lead=lead)
        .select_related("decided_by")
        .order_by("-offered_at", "-id")
        .first()
    )


# --- the rep's queue page ----------------------------------------------------------------


def queue_offers_waiting(user: User) -> QuerySet[Offer]:
    """Pending offers to `user`, or to their team's queue, due soonest first, then hottest."""
    mine = Q(assignee=user)
    if user.team_id:
        mine |= Q(assignee__isnull=True, queue_id=user.team_id)
    return (
        Offer.objects.filter(mine, status=OfferStatus.PENDING, routed_at__isnull=False)
        .select_related("lead__campaign", "handoff", "agreement", "queue")
        # The id last: pages need an order without ties.
        .order_by(F("accept_due_at").asc(nulls_last=True), "-lead__score", "offered_at", "pk")
    )


def offer_due_now() -> Case:
    """The deadline that applies to an accepted offer now: its first touch until it has one,
    then the agreement's touches until they are made, then the disposition (work)."""
    return Case(
        When(
            first_touch_at__isnull=True,
            first_touch_due_at__isnull=False,
            then=F("first_touch_due_at"),
        ),
        When(
            touch_count__lt=F("agreement__min_touches"),
            touches_due_at__isnull=False,
            then=F("touches_due_at"),
        ),
        default=F("work_due_at"),
    )


def queue_leads_held(user: User) -> QuerySet[Offer]:
    """Accepted offers `user` still works (no disposition yet), next deadline first."""
    return (
        Offer.objects.current()
        .filter(assignee=user, status=OfferStatus.ACCEPTED)
        .select_related("lead__stage", "lead__campaign", "handoff", "agreement")
        .alias(due_now=offer_due_now())
        .order_by(F("due_now").asc(nulls_last=True), "-lead__score", "pk")
    )


# --- my pipeline, hot leads, the lead page ---------------------------------------------------


def _current_offers() -> Prefetch:
    current = Offer.objects.current().select_related("agreement", "handoff", "queue")
    return Prefetch("offers", queryset=current, to_attr="current_offers")


def _next_steps() -> QuerySet[Touch]:
    """Each lead's latest planned next step comes first."""
    return Touch.objects.filter(lead=OuterRef("pk")).exclude(next_step="").order_by("-at", "-pk")


def pipeline_leads(user: User) -> QuerySet[Lead]:
    """Every lead `user` holds in an open stage (SAL, SQL, QIA…), until it is won, lost,
    recycled or disqualified; by the deadline that applies now (to accept, touch or disposition
    it under its open offer, or the holder's own next step, whichever comes first), then the
    hottest."""
    offer_due = (
        Offer.objects.current()
        .filter(lead=OuterRef("pk"))
        .annotate(
            due=Case(
                When(status=OfferStatus.PENDING, then=F("accept_due_at")), default=offer_due_now()
            )
        )
        .values("due")[:1]
    )
    step = _next_steps()
    return (
        Lead.objects.filter(owner=user, merged_into__isnull=True, stage__kind=StageKind.OPEN)
        .select_related("stage", "campaign")
        .annotate(
            offer_due=Subquery(offer_due),
            next_step=Subquery(step.values("next_step")[:1]),
            next_step_due=Subquery(step.values("next_step_due")[:1]),
        )
        # LEAST is NULL on SQLite when either side is: the Case keeps the one that is set.
        .annotate(
            due_at=Case(
                When(offer_due__isnull=True, then=F("next_step_due")),
                When(next_step_due__isnull=True, then=F("offer_due")),
                default=Least("offer_due", "next_step_due"),
            )
        )
        .prefetch_related(_current_offers())
        .order_by(F("due_at").asc(nulls_last=True), "-score", "pk")
    )


HOT_DAYS = 14  # "recent" marketing activity, for hot leads
HOT_LEADS = 25


def hot_leads(user: User, *, now: datetime.datetime, limit: int = HOT_LEADS) -> list[Lead]:
    """The hottest leads `user` may work: visible, in an open stage, by the points their
    marketing activity earned in the last two weeks, then how much of it there was, then by
    score; each with those
    activities (`recent`), newest first. A rep's time goes to these first."""
    since = now - datetime.timedelta(days=HOT_DAYS)
    recent = Activity.objects.filter(at__gte=since).order_by("-at")
    return list(
        lead_visible(user)
        .filter(stage__kind=StageKind.OPEN)
        .annotate(
            recent_points=Coalesce(
                Sum("activities__points", filter=Q(activities__at__gte=since)), 0
            ),
            recent_count=Count("activities", filter=Q(activities__at__gte=since)),
            last_activity=Max("activities__at"),
        )
        .filter(Q(recent_count__gt=0) | Q(score__gt=0))
        .select_related("stage", "owner", "campaign")
        .prefetch_related(
            Prefetch("activities", queryset=recent, to_attr="recent"), _current_offers()
        )
        .order_by(
            "-recent_points",
            "-recent_count",
            "-score",
            F("last_activity").desc(nulls_last=True),
            "pk",
        )[:limit]
    )


def lead_page_lead(user: User, lead_id: int) -> Lead | None:
    """The lead as its page shows it, if `user` may see it, with its latest next step."""
    step = _next_steps()
    return (
        lead_visible(user)
        .annotate(
            next_step=Subquery(step.values("next_step")[:1]),
            next_step_due=Subquery(step.values("next_step_due")[:1]),
        )
        .select_related("stage", "owner", "team", "campaign")
        .prefetch_related(_current_offers())
        .filter(pk=lead_id)
        .first()
    )


def lead_clocks(offer: Offer | None) -> list[SlaTimer]:
    """The SLA clocks running now on the lead's open offer, soonest first."""
    if offer is None:
        return []
    return list(
        SlaTimer.objects.filter(offer=offer, fired_at__isnull=True, cancelled_at__isnull=True)
        .select_related("step")
        .order_by("due_at", "pk")
    )


def lead_notifications(lead: Lead) -> list[Notification]:
    return list(Notification.objects.filter(lead=lead).select_related("user").order_by("-pk"))


# --- the user's own: notifications, how each kind reaches them, time away ------------------

# The badge stops counting here: "99+" says enough.
UNREAD_SHOWN_MAX = 99


@dataclass(frozen=True)
class Account:
    """What the header and the preferences page show of a user, read in one query."""

    today: datetime.date
    unread: int = 0
    away_from: datetime.date | None = None
    away_until: datetime.date | None = None

    @property
    def unread_label(self) -> str:
        return f"{UNREAD_SHOWN_MAX}+" if self.unread > UNREAD_SHOWN_MAX else str(self.unread)

    @property
    def away_now(self) -> bool:
        """Away today, as routing reads it (handoff.services.routing._unavailable)."""
        if not (self.away_from or self.away_until):
            return False
        return (self.away_from is None or self.away_from <= self.today) and (
            self.away_until is None or self.today <= self.away_until
        )

    @property
    def away_ahead(self) -> bool:
        """Time away is set and starts after today."""
        return bool(self.away_from and self.away_from > self.today)

    @property
    def away_over(self) -> bool:
        """Nothing set, or the last day away has passed: the dates no longer mean anything."""
        return not (self.away_now or self.away_ahead)


def local_today(time_zone: str | None) -> datetime.date:
    """Today where the user's team works (as routing counts days), else in TIME_ZONE."""
    if time_zone:
        return timezone.localdate(timezone=ZoneInfo(time_zone))
    return timezone.localdate()


def account_get(*, user: User) -> Account:
    """The user's unread count, time away and today, in one query by primary and foreign keys
    (the count by the notification_user_unread index); nothing to read for an anonymous one."""
    if not user.is_authenticated:
        return Account(today=local_today(None))
    unread = (
        Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(unread=Coalesce(Subquery(unread), 0))
        .values("unread", "team__time_zone", "rep_profile__away_from", "rep_profile__away_until")
        .get()
    )
    return Account(
        today=local_today(row["team__time_zone"]),
        unread=row["unread"],
        away_from=row["rep_profile__away_from"],
        away_until=row["rep_profile__away_until"],
    )


def notification_list(*, user: User):
    """The user's notifications, newest first (the notification_user_newest index)."""
    return (
        Notification.objects.filter(user=user)
        .only("id", "kind", "subject", "body", "created_at", "read_at", "lead_id")
        .order_by("-created_at", "-id")
    )


def notification_deliveries(*, user: User) -> dict[str, str]:
    """How the user takes each kind of notification: {kind: delivery}, every kind present."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return {kind: chosen.get(kind, NotificationDelivery.EMAIL) for kind in Notification.Kind.values}
