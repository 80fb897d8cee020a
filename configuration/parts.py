"""The parts of /settings/ and who may see and edit each: roles as data, as the API's rules.

One row per part: its URL name, title, the roles that edit it and those that only read it.
The index lists the parts the user may read; each view checks `may_edit`/`may_read` with the
same table, so the index and the pages cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from funnel.models import Role

A, M, MG = Role.ADMIN, Role.MARKETING, Role.MANAGER


@dataclass(frozen=True)
class Part:
    key: str
    url_name: str
    title: str
    edit: tuple[str, ...]
    read: tuple[str, ...] = ()


PARTS: list[Part] = [
    # funnel parts (cfgfunnel): the funnel's shape is marketing ops' and admins'; managers read
    # it. People and teams are admins'; a manager edits their own team's clock (the view
    # checks which team) and reads the people of their own team only.
    Part("stages", "configuration:stages", _("Stages"), edit=(A, M), read=(MG,)),
    Part("moves", "configuration:moves", _("Allowed moves"), edit=(A, M)),
    Part("reasons", "configuration:reasons", _("Reason codes"), edit=(A, M), read=(MG,)),
    Part("campaigns", "configuration:campaigns", _("Campaigns"), edit=(A, M)),
    Part("teams", "configuration:teams", _("Teams and working hours"), edit=(A,), read=(MG,)),
    Part("territories", "configuration:territories", _("Territories"), edit=(A,), read=(MG,)),
    Part("users", "configuration:users", _("Users and roles"), edit=(A,), read=(MG,)),
    # handoff parts (cfghandoff): the roles the API and the admin give the same rights.
    # Handoffs and targets: PATCH /api/v1/handoffs/{key}/ is admin and marketing's.
    Part("handoffs", "configuration:handoffs", _("Handoffs and targets"), edit=(A, M), read=(MG,)),
    Part("scoring", "configuration:scoring", _("Scoring rules"), edit=(A, M)),
    # Routing: admins, and managers for the handoffs their team receives (the view checks
    # which); marketing reads them and tries them, as POST /api/v1/routing/simulate/ allows.
    Part("routing", "configuration:routing", _("Routing rules"), edit=(A, MG), read=(M,)),
    # Everyone has an API token of their own (POST /api/v1/auth/token/ issues one to anyone).
    Part("tokens", "configuration:tokens", _("API tokens"), edit=tuple(Role.values)),
    # Webhooks: the API's WEBHOOK_ROLES; an integration sees its own subscriptions only.
    Part("webhooks", "configuration:webhooks", _("Webhooks"), edit=(A, Role.INTEGRATION)),
]


def part(key: str) -> Part:
    return next(p for p in PARTS if p.key == key)


def may_edit(user, key: str) -> bool:
    return user.is_authenticated and user.effective_role in part(key).edit


def may_read(user, key: str) -> bool:
    p = part(key)
    return user.is_authenticated and user.effective_role in (*p.edit, *p.read)


def parts_for(user) -> list[Part]:
    return [p for p in PARTS if may_read(user, p.key)]
