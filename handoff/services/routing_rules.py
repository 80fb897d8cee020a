"""Routing rules as their owners edit them: add, change, reorder, deactivate.

Routing itself (which rule decides, who gets the offer) is routing.py's; these functions only
keep the rules well formed. A rule is never deleted here: offers name the rule that routed
them, and a rule that stops applying is deactivated, which keeps that history readable.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from funnel.models import HandoffPair, User
from handoff.models import RoutingRule, RoutingStrategy
from leadflow.audit import audit_actor

LIST_FIELDS = ("countries", "regions", "industries", "sources")
RULE_FIELDS = (
    "name", "active", *LIST_FIELDS, "campaigns", "employees_min", "employees_max",
    "score_min", "score_max", "strategy", "target_user", "target_team",
)  # fmt: skip
POSITION_STEP = 10

NEEDS_USER = _("A rule for a named user needs the user.")
NEEDS_TEAM = _("A rule for a team needs the team.")
USER_INACTIVE = _("{user} is deactivated and can receive no leads.")
COUNTRY_CODE = _("'{code}' is not a two-letter country code (ISO 3166, e.g. US, DE).")
LOW_ABOVE_HIGH = _("The lowest value is above the highest.")
ALREADY_FIRST = _("The rule is first already.")
ALREADY_LAST = _("The rule is last already.")


def _clean_list(values) -> list[str]:
    """Stripped, without blanks or repeats, in the order given."""
    return list(dict.fromkeys(v.strip() for v in values or [] if v and v.strip()))


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
    fields = dict(fields)
    for name in LIST_FIELDS:
        if name in fields:
            fields[name] = _clean_list(fields[name])
    if "countries" in fields:
        fields["countries"] = [c.upper() for c in fields["countries"]]
    if "name" in fields and isinstance(fields["name"], str):
        fields["name"] = fields["name"].strip()
    return fields


def _check(rule: RoutingRule) -> None:
    """Every refusal at once, by field; the model's own checks included."""
    errors: dict[str, list] = {}
    try:
        rule.full_clean(exclude=["virtual_time", "handoff"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    bad = [c for c in rule.countries or [] if not re.fullmatch(r"[A-Z]{2}", c)]
    if bad:
        errors.setdefault("countries", []).extend(COUNTRY_CODE.format(code=c) for c in bad)
    for low, high in (("employees_min", "employees_max"), ("score_min", "score_max")):
        a, b = getattr(rule, low), getattr(rule, high)
        if a is not None and b is not None and a > b:
            errors.setdefault(low, []).append(LOW_ABOVE_HIGH)
    if rule.strategy == RoutingStrategy.USER:
        if rule.target_user is None:
            errors.setdefault("target_user", []).append(NEEDS_USER)
        elif not rule.target_user.is_active:
            errors.setdefault("target_user", []).append(
                USER_INACTIVE.format(user=rule.target_user.username)
            )
    elif rule.strategy and rule.target_team is None:
        errors.setdefault("target_team", []).append(NEEDS_TEAM)
    # The model's constraint names the target as a whole; the fields above say which.
    if errors.keys() & {"target_user", "target_team"}:
        errors.pop("__all__", None)
    if errors:
        raise ValidationError(errors)


def _targets(rule: RoutingRule) -> None:
    # A rule has one target: the other is cleared, so a change of strategy leaves no stale one.
    if rule.strategy == RoutingStrategy.USER:
        rule.target_team = None
    else:
        rule.target_user = None


@transaction.atomic
def routing_rule_create(*, handoff: HandoffPair, actor: User | None, **fields: Any) -> RoutingRule:
    """A new rule for `handoff`, placed last: earlier rules still decide first."""
    unknown = sorted(set(fields) - set(RULE_FIELDS))
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in unknown})
    fields = _normalise(fields)
    campaigns = fields.pop("campaigns", None)
    # The handoff's rules are locked, so two rules added at once get different places.
    last = (
        RoutingRule.objects.select_for_update()
        .filter(handoff=handoff)
        .aggregate(last=Max("position"))["last"]
    )
    rule = RoutingRule(handoff=handoff, position=(last or 0) + POSITION_STEP, **fields)
    _targets(rule)
    _check(rule)
    with audit_actor(actor):  # the trail names the actor of a token, a task or a command too
        rule.save()
        if campaigns:
            rule.campaigns.set(campaigns)
    return rule


@transaction.atomic
def routing_rule_update(
    *, rule: RoutingRule, actor: User | None, fields: dict[str, Any]
) -> RoutingRule:
    """Change a rule's conditions, target or active flag; its place and rotation stay."""
    unknown = sorted(set(fields) - set(RULE_FIELDS))
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in unknown})
    fields = _normalise(fields)
    campaigns = fields.pop("campaigns", None)
    current = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    changed = [name for name, value in fields.items() if getattr(current, name) != value]
    for name in changed:
        setattr(current, name, fields[name])
    before = (current.target_user_id, current.target_team_id)
    _targets(current)
    if (current.target_user_id, current.target_team_id) != before:
        changed = list(dict.fromkeys([*changed, "target_user", "target_team"]))
    campaigns_changed = campaigns is not None and {c.pk for c in campaigns} != set(
        current.campaigns.values_list("pk", flat=True)
    )
    if not changed and not campaigns_changed:
        return current
    _check(current)
    with audit_actor(actor):
        if changed:
            current.save(update_fields=changed)
        if campaigns_changed:
            current.campaigns.set(campaigns)
    return current


@transaction.atomic
def routing_rule_move(*, rule: RoutingRule, actor: User | None, up: bool) -> RoutingRule:
    """Swap the rule with the one before it (`up`) or after it: the first match decides, so
    the order is the policy. The handoff's rules are renumbered in steps of ten; only those
    whose place changed are written."""
    rules = list(
        RoutingRule.objects.select_for_update()
        .filter(handoff_id=rule.handoff_id)
        .order_by("position", "id")
    )
    at = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    other = at - 1 if up else at + 1
    if other < 0:
        raise ValidationError(ALREADY_FIRST)
    if other >= len(rules):
        raise ValidationError(ALREADY_LAST)
    rules[at], rules[other] = rules[other], rules[at]
    with audit_actor(actor):
        for place, each in enumerate(rules, start=1):
            if each.position != place * POSITION_STEP:
                each.position = place * POSITION_STEP
                each.save(update_fields=["position"])
    return next(r for r in rules if r.pk == rule.pk)
