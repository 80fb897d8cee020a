"""The selects of the lead cards, rendered in Python: 25 cards of template loops over the same
options were most of a queue page's rendering time. Each keeps what the user chose."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from handoff.services.work import DISPOSITION_RULES

register = template.Library()


def _selected(value, chosen) -> str:
    return " selected" if chosen is not None and str(value) == str(chosen) else ""


@register.simple_tag
def options(choices, chosen=None):
    """`<option>`s of (value, label) pairs, the chosen one selected."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, _selected(value, chosen), label) for value, label in choices),
    )


@register.simple_tag
def reason_options(choices, chosen=None):
    """Reasons as `purpose:code`, each tagged with its purpose so the page lists only those of
    the chosen disposition (static/js/leadflow.js)."""
    return format_html_join(
        "",
        '<option value="{}" data-purpose="{}"{}>{}</option>',
        (
            (value, value.partition(":")[0], _selected(value, chosen), label)
            for value, label in choices
        ),
    )


@register.simple_tag
def disposition_options(choices, chosen=None):
    """Dispositions, each tagged with the reason purpose it takes and whether it needs an
    amount (DISPOSITION_RULES), for the page to show only the fields that apply. None is
    chosen until the user chooses: a Save pressed by mistake records nothing."""
    # Translators: the first, empty choice of the disposition (outcome) select of a lead card.
    prompt = format_html('<option value="">{}</option>', _("Disposition…"))
    return prompt + format_html_join(
        "",
        '<option value="{}" data-purpose="{}" data-amount="{}"{}>{}</option>',
        (
            (
                value,
                DISPOSITION_RULES[value].reason_purpose or "",
                "1" if DISPOSITION_RULES[value].needs_amount else "",
                _selected(value, chosen),
                label,
            )
            for value, label in choices
        ),
    )


@register.simple_tag
def posted(values, name, default=""):
    """What the user typed into field `name` of the card that failed, else `default`."""
    if values and name in values:
        return values[name]
    return default


@register.filter
def lower_first(label) -> str:
    """A label as a word inside a sentence: its first letter lower case, unless it starts an
    abbreviation ("SLA expired" stays so; `|lower` made it "sla expired")."""
    label = str(label)
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]
