"""Reporting defaults that `setup_funnel` installs."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from funnel.models import HandoffPair
from reporting.models import RatioWatch


@transaction.atomic
def ratio_watches_setup_defaults() -> dict[str, int]:
    """An acceptance-rate watch for each handoff that has none, with the model's defaults.

    Never changes a watch: one a user edited (threshold, target, volume, inactive) stays as it
    is. A handoff whose watch was deleted gets a new one on the next run; untick "active" to
    silence a handoff instead.
    """
    created = 0
    watched = set(
        RatioWatch.objects.filter(kind=RatioWatch.Kind.ACCEPTANCE).values_list(
            "handoff_id", flat=True
        )
    )
    for pair in HandoffPair.objects.exclude(pk__in=watched).order_by("offered_stage__position"):
        RatioWatch.objects.create(
            # Data once made: named in the language setup_funnel runs in (--language).
            name=gettext("%(handoff)s acceptance") % {"handoff": pair.name},
            kind=RatioWatch.Kind.ACCEPTANCE,
            handoff=pair,
        )
        created += 1
    return {"ratio watches": created}
