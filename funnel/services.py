"""Writes to the funnel's definition and its people: the default funnel, logins, campaigns and
handoff settings. A lead's moves are the lead's life app's (handoff.services.leads)."""

from __future__ import annotations

import datetime
import functools
import pathlib
import re
import zoneinfo
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import Token

from leadflow.api.authentication import token_issue, token_revoke
from leadflow.audit import audit_actor
from leadflow.errors import DomainError

from .models import (
    TARGETS_KNOWN_SINCE,
    TARGETS_SINCE,
    Campaign,
    HandoffPair,
    HandoffTarget,
    ReasonCode,
    Stage,
    StageKind,
    StageMove,
    Team,
    Territory,
    User,
)
from .selectors import target_in_force, target_today


@transaction.atomic
def funnel_setup_defaults() -> dict[str, int]:
    """Install the default funnel. Safe to re-run: existing rows are never changed.

    Allowed moves are installed only into a funnel that has none, so a move a user removed
    is not brought back.
    """
    from . import defaults
    from .models import Team

    # The names are lazy translations: str() makes each one in the language now active.
    created = dict.fromkeys(["teams", "stages", "moves", "handoffs", "reasons"], 0)
    teams = {}
    for key, name in defaults.TEAMS:
        teams[key], made = Team.objects.get_or_create(key=key, defaults={"name": str(name)})
        created["teams"] += made
    stages = {}
    for key, name, team, position, kind, criteria in defaults.STAGES:
        stages[key], made = Stage.objects.get_or_create(
            key=key,
            defaults={
                "name": str(name),
                "team": teams[team],
                "position": position,
                "kind": kind,
                "entry_criteria": str(criteria),
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
            name=str(name),
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
                purpose=purpose, code=code, defaults={"label": str(label), "position": position}
            )
            created["reasons"] += made
    return created


# --- the directory: people, campaigns and handoff settings, as the API writes them ------------

USERNAME_TAKEN = _("A user with that username already exists.")
CAMPAIGN_NAME_TAKEN = _("A campaign named '{name}' already exists.")
CAMPAIGN_ENDS_BEFORE_START = _("A campaign cannot end before it starts.")


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    team: Team | None = None,
    territory: Territory | None = None,
) -> User:
    """Create a login with a role. Every refusal is reported at once, by field; the password is
    judged by the installation's password validators (AUTH_PASSWORD_VALIDATORS). No password
    (None): the person sets their own through a set-password link (the settings page's)."""
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        team=team,
        territory=territory,
    )
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        if password is not None:
            validate_password(password, user=user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(password)  # None: an unusable password
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
    target_effective_from: datetime.date | None = None,
) -> HandoffPair:
    """Rename a handoff or set its target acceptance rate (a fraction: 1 = 100%).

    A target is a new version effective today, or from `target_effective_from`
    (handoff_target_set). Its stages and teams are the shape of the funnel and are edited in
    the admin. Only the columns that changed are written.
    """
    with audit_actor(actor):
        current = HandoffPair.objects.select_for_update().get(pk=handoff.pk)
        if name is not None and current.name != name:
            current.name = name
            current.full_clean()
            current.save(update_fields=["name"])
        if target_rate is not None:
            day = target_effective_from or target_today()
            in_force = target_in_force(handoff=current, day=day)
            if target_effective_from is not None or in_force != target_rate:
                try:
                    handoff_target_set(
                        handoff=current, rate=target_rate, effective_from=day, actor=actor
                    )
                except ValidationError as exc:  # named as the caller named them
                    names = {"rate": "target_rate", "effective_from": "target_effective_from"}
                    raise ValidationError(
                        {names.get(k, k): v for k, v in exc.message_dict.items()}
                    ) from exc
    return current


# --- API tokens from the settings page (cfghandoff) -------------------------------------------

TOKEN_EXISTS = _("{user} has a token already: replacing it stops the old one at once.")


class TokenExists(DomainError):
    code = "token_exists"
    status = 409


@transaction.atomic
def api_token_create(*, user: User, actor: User | None, replace: bool = False) -> Token:
    """A new API token for `user` (leadflow.api.authentication's token_issue).

    A user has one token. With one already (expired or not), a new one is made only when
    `replace` says so, after the user confirmed: the old one stops working in the same
    transaction, so there is no moment with two.
    """
    if Token.objects.select_for_update().filter(user=user).exists():
        if not replace:
            raise TokenExists(TOKEN_EXISTS.format(user=user.get_username()))
        token_revoke(user)
    return token_issue(user)


def api_token_revoke(*, user: User, actor: User | None) -> bool:
    """`user`'s token stops working at once; False if there was none."""
    return token_revoke(user)


# --- configuration writes: the funnel's shape and its people, as /settings/ edits them ---------
# (cfgfunnel) Each write changes only the columns that differ (so the audit trail records
# exactly what changed), refuses by field with a ValidationError, and writes nothing then.

STAGE_IN_HANDOFF = _(
    "{stage} is a stage of the {handoff} handoff: retired, the handoff could not offer, accept "
    "or reject leads. Change the handoff first."
)
STAGE_LAST_OF_KIND = _(
    "{stage} is the only active stage of kind {kind}, which dispositions need. Add another first."
)
STAGE_RETIRED_NOT_MOVED = _("A retired stage keeps its place; reactivate it to move it.")
MOVE_EXISTS = _("{move} is already an allowed move.")
# One sentence each, so that a translation may word the two differently.
MOVE_NEEDED_BY_HANDOFF_ACCEPTS = _(
    "The {handoff} handoff accepts by the move {move}: it cannot be removed while the handoff "
    "uses these stages."
)
MOVE_NEEDED_BY_HANDOFF_REJECTS = _(
    "The {handoff} handoff rejects by the move {move}: it cannot be removed while the handoff "
    "uses these stages."
)
MOVE_TO_RETIRED_STAGE = _("{stage} is retired: no move may lead into it.")
USER_SELF_DEACTIVATE = _("You cannot deactivate your own account.")
USER_SELF_ROLE = _("You cannot change your own role: another admin can.")


def _audited(service):
    """Record the write as its `actor`'s in the audit trail: a request's user is known to
    auditlog's middleware, an API token's, a task's or a command's only to the caller."""

    @functools.wraps(service)
    def audited(*args, **kwargs):
        with audit_actor(kwargs.get("actor")):
            return service(*args, **kwargs)

    return audited


def _changes_save(obj, fields: dict, *, unique_errors: dict[str, str] | None = None):
    """Set the fields of `obj` that differ, validate, and save only those (locked first, so two
    editors do not overwrite each other's other fields). Returns the row as saved."""
    current = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    changed = [name for name, value in fields.items() if getattr(current, name) != value]
    if not changed:
        return current
    for name in changed:
        setattr(current, name, fields[name])
    current.full_clean()
    _save_unique(current, unique_errors or {}, update_fields=changed)
    return current


def _save_unique(obj, unique_errors: dict[str, str], **save_kwargs) -> None:
    """Save in a savepoint; a unique value taken since full_clean looked is a field error."""
    try:
        with transaction.atomic():
            obj.save(**save_kwargs)
    except IntegrityError as exc:
        if not unique_errors:
            raise
        raise ValidationError(unique_errors) from exc


def _created(obj, unique_errors: dict[str, str]):
    obj.full_clean()
    _save_unique(obj, unique_errors)
    return obj


# Stages


@_audited
@transaction.atomic
def stage_create(
    *,
    actor: User | None,
    key: str,
    name: str,
    team: Team,
    kind: str = StageKind.OPEN,
    entry_criteria: str = "",
) -> Stage:
    """A new active stage, placed after every other stage (reorder it afterwards)."""
    last = Stage.objects.aggregate(last=Max("position"))["last"] or 0
    stage = Stage(
        key=key,
        name=name,
        team=team,
        kind=kind,
        entry_criteria=entry_criteria,
        position=last + STAGE_POSITION_STEP,
    )
    return _created(stage, {"key": _("A stage with this key already exists.")})


@_audited
@transaction.atomic
def stage_update(
    *, stage: Stage, actor: User | None, name: str, team: Team, kind: str, entry_criteria: str
) -> Stage:
    """Rename a stage, or change its team, kind or entry criteria. Its key is the API's and
    stays."""
    if kind != stage.kind and stage.active:
        _refuse_if_last_of_kind(stage)
    fields = {"name": name, "team": team, "kind": kind, "entry_criteria": entry_criteria}
    return _changes_save(stage, fields)


STAGE_POSITION_STEP = 10


@_audited
@transaction.atomic
def stage_reorder(*, stage: Stage, actor: User | None, offset: int) -> list[Stage]:
    """Move an active stage `offset` places up (negative) or down among the active stages,
    then number every stage 10, 20, 30… in the new order (retired ones keep their place
    relative to their neighbours). Only the rows whose position changes are written."""
    stages = list(Stage.objects.select_for_update().order_by("position", "key"))
    current = next(s for s in stages if s.pk == stage.pk)
    if not current.active:
        raise ValidationError(STAGE_RETIRED_NOT_MOVED)
    active = [s for s in stages if s.active]
    index = active.index(current)
    target = min(max(index + offset, 0), len(active) - 1)
    if target != index:
        # Swap places with the active neighbour: retired stages in between stay put.
        neighbour = active[target]
        i, j = stages.index(current), stages.index(neighbour)
        stages.pop(i)
        stages.insert(j, current)
    for number, row in enumerate(stages, start=1):
        position = number * STAGE_POSITION_STEP
        if row.position != position:
            row.position = position
            row.save(update_fields=["position"])
    return stages


def _refuse_if_last_of_kind(stage: Stage) -> None:
    if stage.kind == StageKind.OPEN:
        return
    others = Stage.objects.filter(kind=stage.kind, active=True).exclude(pk=stage.pk)
    if not others.exists():
        raise ValidationError(STAGE_LAST_OF_KIND.format(stage=stage, kind=stage.get_kind_display()))


@_audited
@transaction.atomic
def stage_retire(*, stage: Stage, actor: User | None) -> Stage:
    """Retire a stage: no lead may enter it any more (funnel.rules.stage_get). Leads in it stay
    and may still leave it by its allowed moves; its history and the leads' past stay as they
    are. Refused for a stage a handoff uses, and for the last active stage of a closing kind
    (won, lost, recycle, disqualified), which dispositions need."""
    current = Stage.objects.select_for_update().get(pk=stage.pk)
    if not current.active:
        return current
    pair = HandoffPair.objects.filter(
        Q(offered_stage=current) | Q(accepted_stage=current) | Q(reject_stage=current)
    ).first()
    if pair is not None:
        raise ValidationError(STAGE_IN_HANDOFF.format(stage=current, handoff=pair.name))
    _refuse_if_last_of_kind(current)
    return _changes_save(current, {"active": False})


@_audited
@transaction.atomic
def stage_reactivate(*, stage: Stage, actor: User | None) -> Stage:
    return _changes_save(stage, {"active": True})


# Allowed moves


def _move_label(from_stage: Stage | None, to_stage: Stage) -> str:
    return f"{from_stage or _('(new lead)')} → {to_stage}"


@_audited
@transaction.atomic
def stage_move_create(
    *,
    actor: User | None,
    from_stage: Stage | None,
    to_stage: Stage,
    roles: list[str],
    reason_purposes: list[str],
) -> StageMove:
    """Allow a move (no from-stage: new leads may start in `to_stage`)."""
    if not to_stage.active:
        raise ValidationError({"to_stage": MOVE_TO_RETIRED_STAGE.format(stage=to_stage)})
    taken = MOVE_EXISTS.format(move=_move_label(from_stage, to_stage))
    if StageMove.objects.filter(from_stage=from_stage, to_stage=to_stage).exists():
        raise ValidationError({"to_stage": taken})
    move = StageMove(
        from_stage=from_stage,
        to_stage=to_stage,
        roles=list(roles),
        reason_purposes=list(reason_purposes),
    )
    # full_clean would reject the entry move's partial unique constraint only in SQL.
    _save_unique(move, {"to_stage": taken})
    return move


@_audited
@transaction.atomic
def stage_move_update(
    *, move: StageMove, actor: User | None, roles: list[str], reason_purposes: list[str]
) -> StageMove:
    """Change who may make a move and the reasons it needs. Its stages are what the move is:
    another pair of stages is another move (remove this one, add that)."""
    return _changes_save(move, {"roles": list(roles), "reason_purposes": list(reason_purposes)})


@_audited
@transaction.atomic
def stage_move_delete(*, move: StageMove, actor: User | None) -> None:
    """Remove an allowed move. Refused for the moves a handoff is made of (offered → accepted
    is its acceptance, offered → reject stage its rejection): without them no offer could be
    accepted or rejected. Leads that made the move keep it in their history (history stores
    stages, not moves)."""
    if move.from_stage_id is not None:
        for pair in HandoffPair.objects.filter(offered_stage_id=move.from_stage_id):
            if move.to_stage_id == pair.accepted_stage_id:
                needed = MOVE_NEEDED_BY_HANDOFF_ACCEPTS
            elif move.to_stage_id == pair.reject_stage_id:
                needed = MOVE_NEEDED_BY_HANDOFF_REJECTS
            else:
                continue
            label = _move_label(move.from_stage, move.to_stage)
            raise ValidationError(needed.format(handoff=pair.name, move=label))
    move.delete()


# Reason codes

REASON_CODE_TAKEN = _("This purpose already has a reason with this code.")


@_audited
@transaction.atomic
def reason_code_create(
    *, actor: User | None, code: str, label: str, purpose: str, position: int = 0, active=True
) -> ReasonCode:
    if ReasonCode.objects.filter(purpose=purpose, code=code).exists():
        raise ValidationError({"code": REASON_CODE_TAKEN})
    reason = ReasonCode(code=code, label=label, purpose=purpose, position=position, active=active)
    return _created(reason, {"code": REASON_CODE_TAKEN})


@_audited
@transaction.atomic
def reason_code_update(
    *, reason: ReasonCode, actor: User | None, label: str, position: int, active: bool
) -> ReasonCode:
    """Relabel, reorder, retire or bring back a reason. Its code and purpose are what
    history and the API name it by, so they stay."""
    return _changes_save(reason, {"label": label, "position": position, "active": active})


# Campaigns (campaign_create is above, as the API writes it)


@_audited
@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    actor: User | None,
    name: str,
    channel: str,
    start: datetime.date | None,
    end: datetime.date | None,
    cost: Decimal,
) -> Campaign:
    if start is not None and end is not None and end < start:
        raise ValidationError({"end": CAMPAIGN_ENDS_BEFORE_START})
    fields = {"name": name, "channel": channel, "start": start, "end": end, "cost": cost}
    taken = {"name": CAMPAIGN_NAME_TAKEN.format(name=name)}
    if Campaign.objects.filter(name=name).exclude(pk=campaign.pk).exists():
        raise ValidationError(taken)
    return _changes_save(campaign, fields, unique_errors=taken)


# Teams, territories

WORKDAY_ENDS_BEFORE_START = _("The working day must end after it starts.")
TIME_ZONE_UNKNOWN = _("Unknown time zone.")
WORKING_DAYS_INVALID = _("Working days are weekday numbers, Monday = 0 to Sunday = 6.")
TEAM_HOURS_FIELDS = ("time_zone", "workday_start", "workday_end", "working_days")


def _team_check(fields: dict) -> None:
    errors = {}
    zone = fields.get("time_zone")
    if zone is not None:
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors["time_zone"] = TIME_ZONE_UNKNOWN
    start, end = fields.get("workday_start"), fields.get("workday_end")
    if start is not None and end is not None and end <= start:
        errors["workday_end"] = WORKDAY_ENDS_BEFORE_START
    days = fields.get("working_days")
    if days is not None and (not days or any(d not in range(7) for d in days)):
        errors["working_days"] = WORKING_DAYS_INVALID
    if errors:
        raise ValidationError(errors)


@_audited
@transaction.atomic
def team_create(
    *,
    actor: User | None,
    key: str,
    name: str,
    manager: User | None = None,
    time_zone: str = "UTC",
    workday_start: datetime.time = datetime.time(9),
    workday_end: datetime.time = datetime.time(17),
    working_days: list[int] | None = None,
) -> Team:
    fields = {
        "time_zone": time_zone,
        "workday_start": workday_start,
        "workday_end": workday_end,
        "working_days": sorted(working_days if working_days is not None else range(5)),
    }
    _team_check(fields)
    team = Team(key=key, name=name, manager=manager, **fields)
    return _created(team, {"key": _("A team with this key already exists.")})


@_audited
@transaction.atomic
def team_update(*, team: Team, actor: User | None, **fields) -> Team:
    """Change a team's name, manager, or its clock (time zone, working hours and days: the SLA
    terms of handoffs the team receives run on it). Only the fields given are written; who may
    change which (a manager their own team's clock) is the page's rule, parts.py."""
    allowed = {"name", "manager", *TEAM_HOURS_FIELDS}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"team_update() got unknown fields: {sorted(unknown)}")
    if "working_days" in fields:
        fields["working_days"] = sorted(fields["working_days"])
    current = {name: getattr(team, name) for name in TEAM_HOURS_FIELDS}
    _team_check(current | fields)
    return _changes_save(team, fields)


@_audited
@transaction.atomic
def territory_create(
    *,
    actor: User | None,
    key: str,
    name: str,
    countries: list[str],
    members: Iterable[User] = (),
) -> Territory:
    territory = Territory(key=key, name=name, countries=_countries(countries))
    _created(territory, {"key": _("A territory with this key already exists.")})
    _territory_members_set(territory, members)
    return territory


@_audited
@transaction.atomic
def territory_update(
    *,
    territory: Territory,
    actor: User | None,
    name: str,
    countries: list[str],
    members: Iterable[User] | None = None,
) -> Territory:
    """Rename a territory, set its countries, and (if given) its members: the users whose
    territory it is, each saved one by one so the audit trail shows whom it gained or lost."""
    territory = _changes_save(territory, {"name": name, "countries": _countries(countries)})
    if members is not None:
        _territory_members_set(territory, members)
    return territory


COUNTRY_CODE_INVALID = _("Use two-letter ISO 3166 codes, e.g. DE or US. Not valid: {codes}.")
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


@functools.cache
def country_codes() -> frozenset[str] | None:
    """The ISO 3166 alpha-2 codes, from the time zone database's iso3166.tab (beside the zones
    zoneinfo reads); None where the system has no such file, and then only the shape is
    checked."""
    for root in zoneinfo.TZPATH:
        path = pathlib.Path(root, "iso3166.tab")
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            return frozenset(line[:2] for line in lines if line and not line.startswith("#"))
    return None


def _countries(countries: list[str]) -> list[str]:
    codes = list(dict.fromkeys(code.strip().upper() for code in countries if code.strip()))
    known = country_codes()
    bad = [c for c in codes if not COUNTRY_CODE.match(c) or (known is not None and c not in known)]
    if bad:
        raise ValidationError({"countries": COUNTRY_CODE_INVALID.format(codes=", ".join(bad))})
    return codes


def _territory_members_set(territory: Territory, members: Iterable[User]) -> None:
    wanted = {user.pk for user in members}
    for user in User.objects.select_for_update().filter(Q(territory=territory) | Q(pk__in=wanted)):
        territory_id = territory.pk if user.pk in wanted else None
        if user.territory_id != territory_id:
            user.territory_id = territory_id
            user.save(update_fields=["territory"])


# People


@_audited
@transaction.atomic
def user_update(
    *,
    user: User,
    actor: User | None,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    team: Team | None,
    territory: Territory | None,
    is_active: bool,
) -> User:
    """Change a person's name, email, role, team, territory, or deactivate them (never a
    delete: their leads and history keep naming them). An admin cannot lock themselves out."""
    if actor is not None and user.pk == actor.pk:
        errors = {}
        if not is_active:
            errors["is_active"] = USER_SELF_DEACTIVATE
        if role != user.role:
            errors["role"] = USER_SELF_ROLE
        if errors:
            raise ValidationError(errors)
    fields = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "role": role,
        "team": team,
        "territory": territory,
        "is_active": is_active,
    }
    current = User.objects.select_for_update().get(pk=user.pk)
    changed = [name for name, value in fields.items() if getattr(current, name) != value]
    if not changed:
        return current
    for name in changed:
        setattr(current, name, fields[name])
    current.full_clean(exclude=["password"])
    current.save(update_fields=changed)
    return current


# --- handoff targets over time (targets) -------------------------------------------------------

TARGET_RATE_OUT_OF_RANGE = _("Give a target rate from 0 to 1 (1 = 100%), to three decimal places.")
TARGET_YEARS_AHEAD = 5
TARGET_DAY_OUT_OF_RANGE = _("Give a day from {first} to {last}.")


def _target_days() -> tuple[datetime.date, datetime.date]:
    today = target_today()
    return TARGETS_SINCE, datetime.date(today.year + TARGET_YEARS_AHEAD, 12, 31)


@transaction.atomic
def handoff_target_set(
    *,
    handoff: HandoffPair,
    rate: Decimal,
    effective_from: datetime.date,
    actor: User | None,
) -> HandoffTarget:
    """Set the handoff's target from `effective_from` on: a new version of its target.

    Versions before and after keep their days: a target from next quarter leaves today's alone.
    A second change for the same day replaces that version's rate (the trail keeps both). A day
    in the past is a correction: reports of those weeks read it from now on, while an as-of
    report of a moment before the change still reads what was recorded then. The pair's own
    `target_rate` is kept as a copy of the target in force today when the change is made.
    """
    first, last = _target_days()
    errors = {}
    if (
        not isinstance(rate, Decimal)
        or not rate.is_finite()
        or not 0 <= rate <= 1
        or rate != rate.quantize(Decimal("0.001"))
    ):
        errors["rate"] = TARGET_RATE_OUT_OF_RANGE
    if not isinstance(effective_from, datetime.date) or not first <= effective_from <= last:
        errors["effective_from"] = TARGET_DAY_OUT_OF_RANGE.format(
            first=first.isoformat(), last=last.isoformat()
        )
    if errors:
        raise ValidationError(errors)
    rate = rate.quantize(Decimal("0.001"))  # as stored: the trail shows 0.600 however it came
    recorder = actor if isinstance(actor, User) and actor.pk else None
    with audit_actor(recorder):
        # One change of a handoff's targets at a time: the lock orders them.
        pair = HandoffPair.objects.select_for_update().get(pk=handoff.pk)
        if effective_from > TARGETS_SINCE and not pair.targets.exists():
            # The pair's first dated change: until now its own rate held, since ever.
            HandoffTarget.objects.create(
                handoff=pair,
                rate=pair.target_rate,
                effective_from=TARGETS_SINCE,
                created_at=TARGETS_KNOWN_SINCE,
            )
        same_day = HandoffTarget.objects.filter(handoff=pair, effective_from=effective_from)
        version = same_day.first()
        if version is None:
            version = HandoffTarget.objects.create(
                handoff=pair, rate=rate, effective_from=effective_from, created_by=recorder
            )
        elif version.rate != rate:
            version.rate = rate
            version.save(update_fields=["rate"])
        today = target_in_force(handoff=pair, day=target_today())
        if pair.target_rate != today:
            pair.target_rate = today
            pair.save(update_fields=["target_rate"])
    handoff.target_rate = pair.target_rate
    return version
