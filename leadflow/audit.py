"""The audit trail of configuration: who changed what, when, old → new (django-auditlog).

Each app registers its configuration models in its own `audit.py` with `audit_register`, from
its AppConfig.ready. Pages read the trail with `audit_trail` and show it with the
`_audit_trail.html` fragment; the admin shows each object's history (`AuditHistoryAdmin`).

Who: the middleware (`AuditActorMiddleware`) names the request's user, signed in by session or
by API token; services wrap their writes in `audit_actor(actor)`, so a change made by a task or
a command names its actor too.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from auditlog import get_logentry_model
from auditlog.context import auditlog_value, set_actor
from auditlog.middleware import AuditlogMiddleware
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import BooleanField, Model, Q, QuerySet
from django.db.models.signals import pre_save
from django.utils.functional import SimpleLazyObject
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

# auditlog's LogEntry.Action numbers (kept here: its models load only once apps are ready).
ACTIONS = {
    0: ("created", _("created")),
    1: ("changed", _("changed")),
    2: ("deleted", _("deleted")),
}
YES, NO = _("yes"), _("no")
SYSTEM = _("system")  # a change no signed-in user made: a migration, a command, a task


# --- registering ---------------------------------------------------------------------------


def audit_register(
    model: type[Model],
    *,
    include_fields: list[str] | None = None,
    exclude_fields: list[str] | None = None,
    mask_fields: list[str] | None = None,
    m2m_fields: set[str] | None = None,
) -> None:
    """Record every create, change and delete of `model` in the audit trail: its own columns
    (`include_fields`, else all but `exclude_fields`), and `m2m_fields`.

    Only columns: auditlog would otherwise record a new row's reverse relations too, reading
    each. It reads the stored row before every save of a registered model to compare; a save
    that writes only untracked columns (a sign-in's `last_login`) is not a configuration
    change, so it skips that read and records nothing.
    """
    from auditlog.receivers import log_update
    from auditlog.registry import auditlog

    excluded = set(exclude_fields or [])
    tracked = {
        f.name
        for f in model._meta.concrete_fields
        if (not include_fields or f.name in include_fields)
        and f.name not in excluded
        and not f.primary_key  # the object is named by its row; its id is no change
    }
    auditlog.register(
        model,
        include_fields=[f.name for f in model._meta.concrete_fields if f.name in tracked],
        mask_fields=mask_fields,
        m2m_fields=m2m_fields,
    )
    tracked |= {f.attname for f in model._meta.concrete_fields if f.name in tracked}

    def update_tracked_only(sender, instance, update_fields=None, **kwargs):
        if update_fields is not None and not tracked.intersection(update_fields):
            return
        log_update(sender, instance, update_fields=update_fields, **kwargs)

    pre_save.disconnect(sender=model, dispatch_uid=auditlog._dispatch_uid(pre_save, log_update))
    pre_save.connect(
        update_tracked_only, sender=model, weak=False, dispatch_uid=("leadflow.audit", model)
    )


class AuditActorMiddleware(AuditlogMiddleware):
    """auditlog's middleware, naming the request's user when a change is recorded rather than
    when the request arrives: an API token's user is known only once the view has signed it in
    (DRF sets it on the request then), and a request that changes nothing never loads a user.
    """

    @staticmethod
    def _get_actor(request):
        def signed_in():
            user = getattr(request, "user", None)
            return user if user is not None and user.is_authenticated else None

        return SimpleLazyObject(signed_in)


@contextlib.contextmanager
def audit_actor(actor) -> Iterator[None]:
    """Changes made inside are recorded as `actor`'s (a user; None or anonymous: unchanged).

    A request's signed-in user, set by the middleware, comes first; an API token's user is
    known only to the view, so the service names it. The surrounding context is restored on
    the way out (auditlog's own `set_actor` replaces it for good).
    """
    if not isinstance(actor, get_user_model()) or not actor.pk:
        yield
        return
    previous = auditlog_value.get(None)
    try:
        with set_actor(actor):
            yield
    finally:
        if previous is not None:
            auditlog_value.set(previous)


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    """One recorded change, ready to show."""

    when: datetime.datetime
    who: str
    what: str  # the object as it read when changed
    model: str  # its kind: the model's verbose name
    action: str  # "created", "changed" or "deleted"
    action_label: str
    changes: list[tuple[str, str | None, str | None]]  # (field's verbose name, old, new)


def _condition(target) -> Q:
    if isinstance(target, QuerySet):
        ct = ContentType.objects.get_for_model(target.model)
        return Q(content_type=ct, object_id__in=target.order_by().values("pk"))
    if isinstance(target, Model):
        ct = ContentType.objects.get_for_model(type(target))
        return Q(content_type=ct, object_id=target.pk)
    if isinstance(target, type) and issubclass(target, Model):
        return Q(content_type=ContentType.objects.get_for_model(target))
    raise TypeError(f"Not a model, an object or a queryset: {target!r}")


def _value(field, value):
    """A stored value as shown: None for none, a choice by its label."""
    if value is None or value == "None":
        return None
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, BooleanField) and value in ("True", "False"):
        return str(YES if value == "True" else NO)
    return str(value)


def _changes(model: type[Model] | None, changes: dict) -> list[tuple[str, str | None, str | None]]:
    from auditlog.registry import auditlog

    mapping = auditlog.get_model_fields(model)["mapping_fields"] if (
        model is not None and auditlog.contains(model)
    ) else {}  # fmt: skip
    out = []
    order = {f.name: i for i, f in enumerate(model._meta.get_fields())} if model else {}
    for name, values in sorted((changes or {}).items(), key=lambda kv: order.get(kv[0], 999)):
        try:
            field = model._meta.get_field(name) if model is not None else None
        except FieldDoesNotExist:
            field = None
        label = str(capfirst(mapping.get(name) or getattr(field, "verbose_name", name)))
        if isinstance(values, dict):  # a many-to-many change: objects added or removed
            objects = ", ".join(str(o) for o in values.get("objects", []))
            if values.get("operation") == "delete":
                out.append((label, objects, None))
            else:
                out.append((label, None, objects))
        elif isinstance(values, list | tuple) and len(values) == 2:
            out.append((label, _value(field, values[0]), _value(field, values[1])))
    return out


def audit_entries(*targets: Model | type[Model] | QuerySet) -> QuerySet:
    """auditlog's entries (creates, changes, deletes) for `targets`, newest first."""
    LogEntry = get_logentry_model()
    if not targets:
        return LogEntry.objects.none()
    condition = Q()
    for target in targets:
        condition |= _condition(target)
    return (
        LogEntry.objects.filter(condition, action__in=list(ACTIONS))
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-id")
    )


def audit_last_change() -> int:
    """The id of the newest audit entry (0: none): it moves whenever any configuration changes,
    so figures kept in a cache under it are recomputed after a change."""
    newest = get_logentry_model().objects.order_by("-id").values_list("id", flat=True).first()
    return newest or 0


def audit_trail(*targets: Model | type[Model] | QuerySet, limit: int = 50) -> list[AuditRow]:
    """The changes recorded for `targets`, newest first, at most `limit` rows.

    A target is an object, a model class (all of its objects, deleted ones too) or a
    queryset. One query, whatever the number of rows (content types come from Django's cache).
    """
    entries = audit_entries(*targets)[:limit]
    rows = []
    for entry in entries:
        model = entry.content_type.model_class()
        action, label = ACTIONS[entry.action]
        if entry.actor is not None:
            who = entry.actor.get_username()
        else:
            who = entry.actor_email or str(SYSTEM)
        rows.append(
            AuditRow(
                when=entry.timestamp,
                who=who,
                what=entry.object_repr,
                model=str(capfirst(model._meta.verbose_name)) if model else "",
                action=action,
                action_label=str(label),
                changes=_changes(model, entry.changes_dict),
            )
        )
    return rows


def audit_models() -> Iterable[type[Model]]:
    """The models the trail records (for tests and the admin)."""
    from auditlog.registry import auditlog

    return auditlog.get_models()


# --- the admin -----------------------------------------------------------------------------


class AuditHistoryAdmin:
    """A ModelAdmin mixin: the object's History page is its audit trail (who, when, old → new),
    with the rows `audit_related` adds (a handoff's target versions, an agreement's ladder).

    auditlog's own page and template, without its separate URL: the History button every
    change page has leads there. The LogEntry list itself is auditlog's admin (superusers).
    """

    auditlog_history_template = "auditlog/object_history.html"
    auditlog_history_per_page = 20

    def audit_related(self, obj) -> list:
        return []

    def history_view(self, request, object_id, extra_context=None):
        from django.contrib.admin.utils import unquote
        from django.contrib.admin.views.main import PAGE_VAR
        from django.core.exceptions import PermissionDenied
        from django.template.response import TemplateResponse

        obj = self.get_object(request, unquote(object_id))
        if obj is None:  # Django's page answers an unknown id
            return super().history_view(request, object_id, extra_context)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        paginator = self.get_paginator(
            request, audit_entries(obj, *self.audit_related(obj)), self.auditlog_history_per_page
        )
        page = paginator.get_page(request.GET.get(PAGE_VAR, 1))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Audit log: %s") % obj,
            "module_name": str(capfirst(self.model._meta.verbose_name_plural)),
            "page_range": paginator.get_elided_page_range(page.number),
            "page_var": PAGE_VAR,
            "pagination_required": paginator.count > self.auditlog_history_per_page,
            "object": obj,
            "opts": self.model._meta,
            "log_entries": page,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.auditlog_history_template, context)
