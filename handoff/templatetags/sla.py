from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

register = template.Library()

# The clocks the templates name in English ({% due ... "accept" now %}), said in the active
# language; any other label (a clock's display name, already translated) is shown as given.
_LABELS = {
    # Translators: an SLA countdown, as in "accept in 3h 20m" / "accept overdue by 20m".
    "accept": pgettext_lazy("SLA countdown", "accept"),
    # Translators: an SLA countdown, as in "first touch in 3h 20m".
    "first touch": pgettext_lazy("SLA countdown", "first touch"),
    # Translators: an SLA countdown for the minimum number of touches, as in "touches in 2d 4h".
    "touches": pgettext_lazy("SLA countdown", "touches"),
    # Translators: an SLA countdown for recording the lead's disposition (outcome).
    "disposition": pgettext_lazy("SLA countdown", "disposition"),
    # Translators: the countdown to a rep's own next step, as in "due in 2d 1h".
    "due": pgettext_lazy("SLA countdown", "due"),
}


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        # Translators: a time span in days and hours, abbreviated: "3d 4h".
        return _("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
    if hours:
        # Translators: a time span in hours and minutes, abbreviated: "3h 05m".
        return _("%(hours)dh %(minutes)02dm") % {"hours": hours, "minutes": minutes}
    # Translators: a time span in minutes, abbreviated: "20m".
    return _("%(minutes)dm") % {"minutes": minutes}


@register.inclusion_tag("handoff/_due.html")
def due(moment, label: str, now=None):
    """A countdown to an SLA deadline: "accept in 3h 20m", or "accept overdue by 20m"."""
    if moment is None:
        return {"text": "", "state": ""}
    label = _LABELS.get(label, label)
    left = (moment - (now or timezone.now())).total_seconds()
    if left < 0:
        # Translators: "accept overdue by 20m"; label is one of the SLA countdowns.
        text = _("%(label)s overdue by %(span)s") % {"label": label, "span": _span(left)}
        return {"text": text, "state": "overdue", "at": moment}
    state = "soon" if left < 2 * 3600 else "ok"
    # Translators: "accept in 3h 20m"; label is one of the SLA countdowns.
    text = _("%(label)s in %(span)s") % {"label": label, "span": _span(left)}
    return {"text": text, "state": state, "at": moment}
