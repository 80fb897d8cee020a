"""Scoring rules: the points each kind of marketing activity adds to a lead's score.

The points are applied when an activity is recorded (work.activities_record, which reads the
active rules then). A change of rule changes the score of activities recorded from then on;
the points each past activity brought stay with it, so editing or deleting a rule rewrites no
history.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from funnel.models import User
from handoff.models import ScoringRule
from leadflow.audit import audit_actor

RULE_FIELDS = ("name", "kind", "contains", "points", "active")
POINTS_ZERO = _("A rule of 0 points changes no score: give it points, or deactivate it.")
POINTS_LIMIT = 10_000
POINTS_TOO_MANY = _("Points go from -10000 to 10000.")


def _check(rule: ScoringRule) -> None:
    errors: dict[str, list] = {}
    try:
        rule.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if isinstance(rule.points, int) and "points" not in errors:
        if rule.points == 0:
            errors["points"] = [POINTS_ZERO]
        elif abs(rule.points) > POINTS_LIMIT:
            errors["points"] = [POINTS_TOO_MANY]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def scoring_rule_create(
    *,
    actor: User | None,
    name: str,
    kind: str,
    points: int,
    contains: str = "",
    active: bool = True,
) -> ScoringRule:
    """A new rule: `points` for each activity of `kind` whose detail mentions `contains`."""
    rule = ScoringRule(
        name=name.strip(), kind=kind, contains=contains.strip(), points=points, active=active
    )
    _check(rule)
    with audit_actor(actor):  # the trail names the actor of a token, a task or a command too
        rule.save()
    return rule


@transaction.atomic
def scoring_rule_update(
    *, rule: ScoringRule, actor: User | None, fields: dict[str, Any]
) -> ScoringRule:
    """Change a rule; only the columns that changed are written (none: nothing is)."""
    unknown = sorted(set(fields) - set(RULE_FIELDS))
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in unknown})
    fields = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    current = ScoringRule.objects.select_for_update().get(pk=rule.pk)
    changed = [name for name, value in fields.items() if getattr(current, name) != value]
    if not changed:
        return current
    for name in changed:
        setattr(current, name, fields[name])
    _check(current)
    with audit_actor(actor):
        current.save(update_fields=changed)
    return current


@transaction.atomic
def scoring_rule_delete(*, rule: ScoringRule, actor: User | None) -> None:
    """Remove a rule. Activities keep the points it gave them (they hold no link to it)."""
    with audit_actor(actor):
        # Deleted as an object (not a queryset), so the audit trail records it.
        ScoringRule.objects.get(pk=rule.pk).delete()
