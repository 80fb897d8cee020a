"""A lead's life: the lead and its stage history, the offers that hand it between teams, how they
are routed, the SLA they run under, and the touches, activities and dispositions that follow.

An offer is the event that makes acceptance measurable: a lead entered the sender's stage of a
handoff pair, and the receiving side accepts or rejects it, in time or not.
"""

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funnel.models import Campaign, HandoffPair, ReasonCode, Stage, Team

WARNING_TOO_LONG = _("The warning must come before the due time: warn_before_hours < {hours}.")


class Lead(models.Model):
    email = models.EmailField(max_length=254, blank=True, db_index=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    company = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text=_("ISO 3166 alpha-2."))
    region = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=100, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=100, blank=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    # NULL, not "", for no id: the unique constraint covers only leads that have one.
    external_id = models.CharField(  # noqa: DJ001
        max_length=100,
        null=True,
        blank=True,
        help_text=_("Id in the marketing automation platform."),
    )
    crm_id = models.CharField(max_length=100, blank=True)
    score = models.IntegerField(default=0)
    # Written only by handoff.services.leads.lead_transition (and lead_create for the first stage).
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="leads")
    stage_entered_at = models.DateTimeField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_leads",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    recycle_count = models.PositiveIntegerField(default=0)
    attributes = models.JSONField(default=dict, blank=True)
    # A merged duplicate is kept, never deleted, so its history stays; it points at the survivor.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_leads"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    # A default, not auto_now_add, so imports and demo data keep their original creation time.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "funnel_lead"  # the table the lead was born with, kept when it moved here
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=Q(external_id__isnull=False),
                name="lead_unique_external_id",
            ),
            # A lead is one person: one per email among leads the MAP has not given an id.
            models.UniqueConstraint(
                fields=["email"],
                condition=Q(external_id__isnull=True) & ~Q(email=""),
                name="lead_unique_email_without_external_id",
            ),
            models.CheckConstraint(
                condition=~Q(email="") | Q(external_id__isnull=False),
                name="lead_has_email_or_external_id",
            ),
            models.CheckConstraint(
                condition=Q(email=Lower(Trim("email"))), name="lead_email_normalized"
            ),
        ]
        indexes = [
            models.Index(fields=["stage", "owner"], name="lead_stage_owner"),
            models.Index(fields=["owner", "stage"], name="lead_owner_stage"),
            models.Index(fields=["campaign"], name="lead_campaign"),
            models.Index(fields=["updated_at"], name="lead_updated_at"),
            models.Index(fields=["-score"], name="lead_score_desc"),
        ]

    def __str__(self):
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} <{self.email}>" if name else (self.email or self.external_id)

    @property
    def display_name(self) -> str:
        """How pages title the lead: the name, else the email, else the external id."""
        return f"{self.first_name} {self.last_name}".strip() or self.email or self.external_id


class StageTransition(models.Model):
    """One stage change of one lead. Append-only: the database refuses updates and deletes."""

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="transitions")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Who made the move when no user did: an integration's name or "system".
    actor_label = models.CharField(max_length=100, blank=True)
    handoff = models.ForeignKey(
        HandoffPair, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.ForeignKey(
        ReasonCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        db_table = "funnel_stagetransition"
        ordering = ["at", "id"]
        indexes = [
            # A lead's history in order, with where each move went: reports read it from the
            # index alone (a stay's next move, "did the lead later enter…").
            models.Index(
                fields=["lead", "at", "id", "to_stage", "from_stage"], name="transition_lead_at_id"
            ),
            models.Index(fields=["to_stage", "at"], name="transition_to_at"),
            # A period's entries, where they went and whose, from the index alone (PostgreSQL;
            # an append-only table keeps its visibility map current).
            models.Index(fields=["at"], include=["to_stage", "lead"], name="transition_at_cover"),
            # A period's moves with a reason (rejections, disqualifications: the reasons report,
            # hidden gems), without reading every reasoned move in history; "was it the lead's
            # last?" from the index alone.
            models.Index(
                fields=["at"],
                include=["to_stage", "reason", "lead", "id"],
                condition=Q(reason__isnull=False),
                name="transition_reasoned_at",
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="stage_transition_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self):
        origin = self.from_stage.key if self.from_stage_id else "new"
        return f"Lead {self.lead_id}: {origin} → {self.to_stage.key}, {self.at:%Y-%m-%d %H:%M}"


class BreachAction(models.TextChoices):
    REMIND = "remind", _("Remind the assignee")
    ESCALATE = "escalate", _("Escalate to the team manager")
    REROUTE = "reroute", _("Re-route to another rep")
    RECYCLE = "recycle", _("Recycle to marketing (SLA expired)")


class SlaClock(models.TextChoices):
    ACCEPT = "accept", _("Accept or reject")
    FIRST_TOUCH = "first_touch", _("First touch")
    TOUCHES = "touches", _("Minimum touches")
    WORK = "work", _("Working time limit")


class SlaAgreement(models.Model):
    """Versioned terms of one handoff, in force once a marketing and a sales leader sign off."""

    handoff = models.ForeignKey(
        HandoffPair, verbose_name=_("handoff"), on_delete=models.PROTECT, related_name="agreements"
    )
    version = models.PositiveIntegerField(verbose_name=_("version"))
    criteria = models.TextField(_("qualification criteria"), blank=True)
    accept_within_hours = models.DecimalField(
        verbose_name=_("accept within hours"),
        max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0.25"))],
        help_text=_("Working hours to accept or reject."),
    )  # fmt: skip
    first_touch_within_hours = models.DecimalField(
        verbose_name=_("first touch within hours"),
        max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0.25"))],
        help_text=_("Working hours from the offer to the first touch."),
    )  # fmt: skip
    min_touches = models.PositiveIntegerField(verbose_name=_("min touches"), default=3)
    touches_within_days = models.PositiveIntegerField(
        verbose_name=_("touches within days"),
        default=10,
        validators=[MinValueValidator(1)],
        help_text=_("Calendar days."),
    )
    work_within_days = models.PositiveIntegerField(
        verbose_name=_("work within days"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("Calendar days from the offer to a disposition."),
    )
    warn_before_hours = models.DecimalField(
        verbose_name=_("warn before hours"),
        max_digits=6, decimal_places=2, default=Decimal(2), validators=[MinValueValidator(0)],
        help_text=_("Working hours before a due time to warn the assignee; 0 for no warning."),
    )  # fmt: skip
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    marketing_signoff_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marketing signoff by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    marketing_signoff_at = models.DateTimeField(
        verbose_name=_("marketing signoff at"), null=True, blank=True
    )
    sales_signoff_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales signoff by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sales_signoff_at = models.DateTimeField(
        verbose_name=_("sales signoff at"), null=True, blank=True
    )
    # Set when the second sign-off lands; the newest effective version is in force.
    effective_at = models.DateTimeField(
        verbose_name=_("effective at"), null=True, blank=True, db_index=True
    )

    class Meta:
        ordering = ["handoff", "-version"]
        verbose_name = _("SLA agreement")
        verbose_name_plural = _("SLA agreements")
        constraints = [
            models.UniqueConstraint(fields=["handoff", "version"], name="agreement_unique_version"),
        ]

    def __str__(self):
        return f"{self.handoff.key} v{self.version}"

    def clean(self):
        # Here, not in a service, so a draft edited in the admin is held to the same terms.
        shortest = min(self.accept_within_hours or 0, self.first_touch_within_hours or 0)
        if self.warn_before_hours and shortest > 0 and self.warn_before_hours >= shortest:
            raise ValidationError({"warn_before_hours": WARNING_TOO_LONG.format(hours=shortest)})


class SlaStep(models.Model):
    """One rung of an agreement's breach ladder: `after_hours` working hours past a due time."""

    agreement = models.ForeignKey(
        SlaAgreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="steps"
    )
    clock = models.CharField(verbose_name=_("clock"), max_length=20, choices=SlaClock.choices)
    after_hours = models.DecimalField(
        verbose_name=_("after hours"),
        max_digits=6,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(0)],
    )
    action = models.CharField(verbose_name=_("action"), max_length=20, choices=BreachAction.choices)

    class Meta:
        ordering = ["clock", "after_hours"]
        verbose_name = _("SLA step")
        verbose_name_plural = _("SLA steps")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "clock", "after_hours"], name="slastep_unique_rung"
            ),
        ]

    def __str__(self):
        return f"{self.get_clock_display()} +{self.after_hours}h: {self.get_action_display()}"


class RoutingStrategy(models.TextChoices):
    USER = "user", _("A named user")
    QUEUE = "queue", _("Team queue (a point of contact assigns)")
    WEIGHTED = "weighted", _("Round-robin, weighted")
    LEAST_OPEN = "least_open", _("Round-robin, fewest open offers")


class RoutingRule(models.Model):
    """Ordered rules per handoff; the first whose conditions all hold routes the offer.

    An empty condition matches everything.
    """

    handoff = models.ForeignKey(
        HandoffPair, verbose_name=_("handoff"), on_delete=models.CASCADE, related_name="rules"
    )
    position = models.PositiveIntegerField(verbose_name=_("position"), default=0)
    name = models.CharField(verbose_name=_("name"), max_length=100)
    active = models.BooleanField(verbose_name=_("active"), default=True)
    countries = models.JSONField(
        verbose_name=_("countries"), default=list, blank=True, help_text=_("ISO-2 codes.")
    )
    regions = models.JSONField(verbose_name=_("regions"), default=list, blank=True)
    industries = models.JSONField(verbose_name=_("industries"), default=list, blank=True)
    sources = models.JSONField(verbose_name=_("sources"), default=list, blank=True)
    campaigns = models.ManyToManyField(
        Campaign, verbose_name=_("campaigns"), blank=True, related_name="+"
    )
    employees_min = models.PositiveIntegerField(
        verbose_name=_("employees min"), null=True, blank=True
    )
    employees_max = models.PositiveIntegerField(
        verbose_name=_("employees max"), null=True, blank=True
    )
    score_min = models.IntegerField(verbose_name=_("score min"), null=True, blank=True)
    score_max = models.IntegerField(verbose_name=_("score max"), null=True, blank=True)
    strategy = models.CharField(
        verbose_name=_("strategy"), max_length=20, choices=RoutingStrategy.choices
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("target user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_team = models.ForeignKey(
        Team,
        verbose_name=_("target team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Round-robin clock: the start tag of the last pick (start-time fair queueing).
    virtual_time = models.FloatField(verbose_name=_("virtual time"), default=0.0)

    class Meta:
        ordering = ["handoff", "position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(strategy="user", target_user__isnull=False)
                    | (~Q(strategy="user") & Q(target_team__isnull=False))
                ),
                name="routingrule_has_target",
            ),
        ]

    def __str__(self):
        return self.name


class RepProfile(models.Model):
    """A member's routing settings: weight, caps and time away (set by the member at /me/)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="rep_profile",
    )
    weight = models.PositiveIntegerField(
        verbose_name=_("weight"), default=1, validators=[MinValueValidator(1)]
    )
    max_open_offers = models.PositiveIntegerField(
        verbose_name=_("max open offers"),
        null=True,
        blank=True,
        help_text=_("Pending offers at once; empty for no cap."),
    )
    max_offers_per_day = models.PositiveIntegerField(
        verbose_name=_("max offers per day"), null=True, blank=True
    )
    away_from = models.DateField(verbose_name=_("away from"), null=True, blank=True)
    away_until = models.DateField(
        verbose_name=_("away until"), null=True, blank=True, help_text=_("Last day away.")
    )
    accepts_routing = models.BooleanField(
        verbose_name=_("accepts routing"), default=True, help_text=_("Takes part in round-robin.")
    )

    class Meta:
        verbose_name = _("rep profile")
        verbose_name_plural = _("rep profiles")

    def __str__(self):
        return f"{self.user} (weight {self.weight})"


class RotationState(models.Model):
    """A member's place in one rule's rotation: the virtual finish time of their last lead."""

    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="rotation")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    virtual_finish = models.FloatField(default=0.0)
    assigned = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "user"], name="rotation_unique_member"),
        ]

    def __str__(self):
        return f"{self.user} in {self.rule}: {self.assigned} assigned"


class OfferStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class OfferQuerySet(models.QuerySet):
    def current(self) -> "OfferQuerySet":
        """Offers still running, the one meaning of "open": pending, or accepted and not yet
        closed (by a disposition, a move by another path, a merge). A lead has at most one."""
        return self.filter(
            status__in=[OfferStatus.PENDING, OfferStatus.ACCEPTED], closed_at__isnull=True
        )


class Offer(models.Model):
    handoff = models.ForeignKey(HandoffPair, on_delete=models.PROTECT, related_name="offers")
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="offers")
    status = models.CharField(
        max_length=20, choices=OfferStatus.choices, default=OfferStatus.PENDING
    )
    agreement = models.ForeignKey(
        SlaAgreement, null=True, blank=True, on_delete=models.PROTECT, related_name="offers"
    )
    offered_at = models.DateTimeField(default=timezone.now)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    transition = models.ForeignKey(
        StageTransition, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Routing: to a person, or to a team's queue until someone claims or is assigned it.
    queue = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="queued_offers"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="offers",
    )
    rule = models.ForeignKey(
        RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    routed_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    routing = models.JSONField(default=list, blank=True, help_text=_("Each routing decision."))
    # Due times of the agreement's clocks; the sweep works from SlaTimer rows.
    accept_due_at = models.DateTimeField(null=True, blank=True)
    first_touch_due_at = models.DateTimeField(null=True, blank=True)
    touches_due_at = models.DateTimeField(null=True, blank=True)
    work_due_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.ForeignKey(
        ReasonCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    first_touch_at = models.DateTimeField(null=True, blank=True)
    touch_count = models.PositiveIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The lead left the receiving side (dispositioned, recycled): its clocks stop.
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = OfferQuerySet.as_manager()

    class Meta:
        ordering = ["-offered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=Q(status="pending"), name="offer_one_open_per_lead"
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "status"], name="offer_assignee_status"),
            # A rep's running offers (the queue's held list), without their closed history.
            models.Index(
                fields=["assignee", "status"],
                condition=Q(closed_at__isnull=True),
                name="offer_assignee_running",
            ),
            # Accepted offers still open, by their working-time limit: the black hole reads
            # them without the closed history.
            models.Index(
                fields=["work_due_at"],
                condition=Q(status="accepted", closed_at__isnull=True),
                name="offer_accepted_open_due",
            ),
            models.Index(fields=["assignee", "assigned_at"], name="offer_assignee_assigned"),
            models.Index(fields=["queue", "status"], name="offer_queue_status"),
            models.Index(fields=["handoff", "offered_at"], name="offer_handoff_offered"),
            models.Index(fields=["lead", "offered_at"], name="offer_lead_offered"),
            # The routing safety net's (offers_route_overdue): only offers never routed.
            models.Index(
                fields=["offered_at"],
                condition=Q(routed_at__isnull=True, status="pending"),
                name="offer_unrouted",
            ),
        ]

    def __str__(self):
        return f"{self.handoff.key} offer of lead {self.lead_id} ({self.status})"


class OfferHolding(models.Model):
    """Who held an offer from when: a rep, or a team's queue. One row per change (routing,
    re-routing, claim, assignment, an accept from the queue), so as-of reports group by who
    held it then, not by who holds it now."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="holdings")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    queue = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    since = models.DateTimeField()
    via = models.CharField(max_length=20)

    class Meta:
        ordering = ["since", "id"]
        indexes = [models.Index(fields=["offer", "since"], name="holding_offer_since")]

    def __str__(self):
        held = self.assignee or self.queue
        return f"offer {self.offer_id}: {held} since {self.since:%Y-%m-%d %H:%M}"


class SlaTimer(models.Model):
    """One scheduled SLA action of one offer. Fired or cancelled exactly once, by the sweep."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACH = "breach", _("Breach")

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="timers")
    clock = models.CharField(max_length=20, choices=SlaClock.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    action = models.CharField(max_length=20, choices=BreachAction.choices, blank=True)
    step = models.ForeignKey(SlaStep, null=True, blank=True, on_delete=models.SET_NULL)
    due_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("SLA timer")
        indexes = [
            # The sweep's query: what is due and still waiting.
            # The sweep's order, so that it reads the first due timers and stops (no sort of all
            # that are due).
            models.Index(
                fields=["due_at", "id"],
                condition=Q(fired_at__isnull=True, cancelled_at__isnull=True),
                name="slatimer_waiting_due_id",
            ),
        ]

    def __str__(self):
        return f"{self.clock} {self.kind} of offer {self.offer_id} due {self.due_at:%Y-%m-%d %H:%M}"


class Touch(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        EMAIL = "email", _("Email")
        MEETING = "meeting", _("Meeting")
        SOCIAL = "social", _("Social")

    class Outcome(models.TextChoices):
        CONNECTED = "connected", _("Connected")
        LEFT_VOICEMAIL = "voicemail", _("Left voicemail")
        NO_ANSWER = "no_answer", _("No answer")
        SENT = "sent", _("Sent")
        REPLIED = "replied", _("Replied")
        BOUNCED = "bounced", _("Bounced")
        HELD = "held", _("Meeting held")
        NO_SHOW = "no_show", _("No show")

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="touches")
    offer = models.ForeignKey(
        Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="touches"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    at = models.DateTimeField()
    # When it was logged, which may be later than it happened: as-of reports count a touch from
    # then on. Empty for touches logged before it was kept, which count from when they happened.
    recorded_at = models.DateTimeField(null=True, blank=True, default=timezone.now, editable=False)
    note = models.TextField(blank=True)
    logged_at = models.DateTimeField(default=timezone.now)
    # What the rep means to do next, and by when: the latest one is a deadline in their pipeline.
    # A default in the database too: bulk writers (the demo's COPY) name only the columns they set.
    next_step = models.CharField(max_length=200, blank=True, default="", db_default="")
    next_step_due = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = _("touches")
        indexes = [models.Index(fields=["lead", "at"], name="touch_lead_at")]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.user} at {self.at:%Y-%m-%d %H:%M}"


class Activity(models.Model):
    """Marketing activity: the lead's history that says why marketing thinks it is ready."""

    class Kind(models.TextChoices):
        PAGE_VISIT = "page_visit", _("Page visit")
        FORM = "form", _("Form fill")
        EMAIL_OPEN = "email_open", _("Email open")
        EMAIL_CLICK = "email_click", _("Email click")
        EVENT = "event", _("Event attended")
        DOWNLOAD = "download", _("Content download")
        WEBINAR = "webinar", _("Webinar attended")

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="activities")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)
    points = models.IntegerField(default=0, help_text=_("Score added by scoring rules."))
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = _("activities")
        indexes = [models.Index(fields=["lead", "at"], name="activity_lead_at")]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


class ScoringRule(models.Model):
    """Points an activity adds to a lead's score; `contains` narrows it by the activity's detail."""

    name = models.CharField(verbose_name=_("name"), max_length=100)
    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=Activity.Kind.choices)
    contains = models.CharField(
        verbose_name=_("contains"),
        max_length=200,
        blank=True,
        help_text=_("Only when the detail mentions this (e.g. /pricing)."),
    )
    points = models.IntegerField(verbose_name=_("points"))
    active = models.BooleanField(verbose_name=_("active"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")

    def __str__(self):
        return f"{self.name} ({self.points:+d})"


class Disposition(models.Model):
    """What the holder of a lead decided about it: the rep's pipeline record."""

    class Kind(models.TextChoices):
        QUALIFIED = "qualified", _("Qualified")
        RECYCLE = "recycle", _("Recycle")
        JUNK = "junk", _("Junk")
        UNABLE_TO_REACH = "unable_to_reach", _("Unable to reach")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="dispositions")
    offer = models.ForeignKey(
        Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="dispositions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    reason = models.ForeignKey(
        ReasonCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    close_date = models.DateField(null=True, blank=True)
    competitor = models.CharField(max_length=200, blank=True)
    transition = models.ForeignKey(
        StageTransition, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["kind", "at"], name="disposition_kind_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="disposition_amount_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of lead {self.lead_id}"


class NotificationDelivery(models.TextChoices):
    EMAIL = "email", _("Email each")
    DIGEST = "digest", _("Daily digest")
    NONE = "none", _("In the app only")


class Notification(models.Model):
    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("New lead assigned")
        QUEUED = "queued", _("New lead in your queue")
        SLA_WARNING = "sla_warning", _("SLA warning")
        SLA_BREACH = "sla_breach", _("SLA breached")
        ESCALATION = "escalation", _("Escalation")
        REROUTED = "rerouted", _("Lead re-routed")
        RECYCLED = "recycled", _("Lead recycled")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    offer = models.ForeignKey(Offer, null=True, blank=True, on_delete=models.CASCADE)
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Fixed when the notification is made, from its user's preference for its kind: changing the
    # preference later never sends old "in the app only" notifications in a digest.
    delivery = models.CharField(
        max_length=10, choices=NotificationDelivery.choices, default=NotificationDelivery.EMAIL
    )
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_unread"),
            models.Index(fields=["user", "-created_at"], name="notification_user_newest"),
            # Only what the next digest sends: "in the app only" rows would stay in it for ever.
            models.Index(
                fields=["user", "created_at"],
                condition=Q(emailed_at__isnull=True, delivery="digest"),
                name="notification_digest_waiting",
            ),
            # The email safety net's (notifications_email_overdue): only emails not yet sent.
            models.Index(
                fields=["created_at"],
                condition=Q(emailed_at__isnull=True, delivery="email"),
                name="notification_email_waiting",
            ),
        ]

    def __str__(self):
        return self.subject


class NotificationPreference(models.Model):
    """How one user takes one kind of notification. No row: an email for each."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)
    delivery = models.CharField(max_length=10, choices=NotificationDelivery.choices)

    class Meta:
        constraints = [
            # Also the index of the one read per batch in notifications_send.
            models.UniqueConstraint(fields=["user", "kind"], name="notificationpreference_once"),
        ]

    def __str__(self):
        return f"{self.user}: {self.get_kind_display()} by {self.get_delivery_display()}"


class SavedLeadView(models.Model):
    """A leads list a user named: its filters and sort, as the list's query string."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_lead_views"
    )
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="savedleadview_name_once"),
        ]

    def __str__(self):
        return self.name


class LeadImport(models.Model):
    """A CSV file of leads imported from the browser, written through the bulk ingest service
    in the background; its per-row results are kept so nothing is dropped silently."""

    class Status(models.TextChoices):
        MAPPING = "mapping", _("Waiting for its columns to be mapped")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lead_imports"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    content = models.TextField(help_text=_("The uploaded file, decoded."))
    columns = models.JSONField(default=list, help_text=_("The file's header row."))
    mapping = models.JSONField(default=dict, help_text=_("Lead field for each mapped column."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.MAPPING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, help_text=_("Rows by result: created, updated, …"))
    errors = models.JSONField(default=list, help_text=_("[{row, errors}] for each refused row."))
    failure = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progressed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "When it was queued or last saved a chunk: the safety net re-enqueues an "
            "import silent for too long."
        ),
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.file_name
