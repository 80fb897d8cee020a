"""Writes to the funnel's definition and its people: the default funnel, logins, campaigns and
handoff settings. A lead's moves are the lead's life app's (handoff.services.leads)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .models import Campaign, HandoffPair, ReasonCode, Stage, StageMove, Team, User


@transaction.atomic
def funnel_setup_defaults() -> dict[str, int]:
    """Install the default funnel. Safe to re-run: existing rows are never changed.

    Allowed moves are installed only into a funnel that has none, so a move a user removed
    is not brought back.
    """
    from . import defaults
    from .models import Team

    created = dict.fromkeys(["teams", "stages", "moves", "handoffs", "reasons"], 0)
    teams = {}
    for key, name in defaults.TEAMS:
        teams[key], made = Team.objects.get_or_create(key=key, defaults={"name": name})
        created["teams"] += made
    stages = {}
    for key, name, team, position, kind, criteria in defaults.STAGES:
        stages[key], made = Stage.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "team": teams[team],
                "position": position,
                "kind": kind,
                "entry_criteria": criteria,
            },
        )
        created["stages"] += made
    if not StageMove.objects.exists():
        StageMove.objects.bulk_create(
            StageMove(
                from_stage=stages[src] if src else None,
                to_stage=stages[dst],
                roles=list(roles),
                reason_purposes=list(purposes),
            )
            for src, dst, roles, purposes in defaults.MOVES
        )
        created["moves"] = len(defaults.MOVES)
    for key, name, offered, accepted, rejected, sender, receiver in defaults.HANDOFFS:
        if HandoffPair.objects.filter(key=key).exists():
            continue
        # A user may have paired these stages differently under another key: leave theirs.
        if HandoffPair.objects.filter(offered_stage=stages[offered]).exists() or (
            HandoffPair.objects.filter(accepted_stage=stages[accepted]).exists()
        ):
            continue
        HandoffPair.objects.create(
            key=key,
            name=name,
            offered_stage=stages[offered],
            accepted_stage=stages[accepted],
            reject_stage=stages[rejected],
            sending_team=teams[sender],
            receiving_team=teams[receiver],
        )
        created["handoffs"] += 1
    for purpose, reasons in defaults.REASONS.items():
        for position, (code, label) in enumerate(reasons):
            _, made = ReasonCode.objects.get_or_create(
                purpose=purpose, code=code, defaults={"label": label, "position": position}
            )
            created["reasons"] += made
    return created


# --- the directory: people, campaigns and handoff settings, as the API writes them ------------

USERNAME_TAKEN = "A user with that username already exists."
CAMPAIGN_NAME_TAKEN = "A campaign named '{name}' already exists."
CAMPAIGN_ENDS_BEFORE_START = "A campaign cannot end before it starts."


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    team: Team | None = None,
) -> User:
    """Create a login with a role. Every refusal is reported at once, by field; the password is
    judged by the installation's password validators (AUTH_PASSWORD_VALIDATORS)."""
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        team=team,
    )
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        with transaction.atomic():  # a savepoint, so the caller's transaction stays usable
            user.save()
    except IntegrityError as exc:  # the same username, created since full_clean looked
        raise ValidationError({"username": USERNAME_TAKEN}) from exc
    return user


@transaction.atomic
def campaign_create(
    *,
    actor: User | None,
    name: str,
    channel: str = Campaign.Channel.OTHER,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    cost: Decimal = Decimal(0),
) -> Campaign:
    """Create a campaign; names are unique, and a campaign ends on or after its start."""
    if start is not None and end is not None and end < start:
        raise ValidationError({"end": CAMPAIGN_ENDS_BEFORE_START})
    if Campaign.objects.filter(name=name).exists():
        raise ValidationError({"name": CAMPAIGN_NAME_TAKEN.format(name=name)})
    campaign = Campaign(name=name, channel=channel, start=start, end=end, cost=cost)
    campaign.full_clean()
    try:
        with transaction.atomic():
            campaign.save()
    except IntegrityError as exc:  # the same name, created since the check
        raise ValidationError({"name": CAMPAIGN_NAME_TAKEN.format(name=name)}) from exc
    return campaign


@transaction.atomic
def handoff_pair_update(
    *,
    handoff: HandoffPair,
    actor: User | None,
    name: str | None = None,
    target_rate: Decimal | None = None,
) -> HandoffPair:
    """Rename a handoff or set its target acceptance rate (a fraction: 1 = 100%).

    Its stages and teams are the shape of the funnel and are edited in the admin. Only the
    columns that changed are written.
    """
    current = HandoffPair.objects.select_for_update().get(pk=handoff.pk)
    wanted = {"name": name, "target_rate": target_rate}
    changed = [f for f, v in wanted.items() if v is not None and getattr(current, f) != v]
    if not changed:
        return current
    for field in changed:
        setattr(current, field, wanted[field])
    current.full_clean()
    current.save(update_fields=changed)
    return current
