from django import template
from django.utils import timezone

register = template.Library()


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


@register.inclusion_tag("handoff/_due.html")
def due(moment, label: str, now=None):
    """A countdown to an SLA deadline: "accept in 3h 20m", or "accept overdue by 20m"."""
    if moment is None:
        return {"text": "", "state": ""}
    left = (moment - (now or timezone.now())).total_seconds()
    if left < 0:
        return {"text": f"{label} overdue by {_span(left)}", "state": "overdue", "at": moment}
    state = "soon" if left < 2 * 3600 else "ok"
    return {"text": f"{label} in {_span(left)}", "state": state, "at": moment}
