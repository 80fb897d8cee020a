"""Helpers for admin page tests: URLs by model, and what a browser would post back."""

from django.forms import MultiWidget
from django.urls import reverse


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_data(form) -> dict:
    """A form's current values as a browser would post them."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, MultiWidget):
            parts = field.widget.decompress(value)
            data |= {
                f"{form.add_prefix(name)}_{i}": "" if part is None else str(part)
                for i, part in enumerate(parts)
            }
        elif value is True:
            data[form.add_prefix(name)] = "on"
        elif isinstance(value, list | tuple):
            data[form.add_prefix(name)] = [str(item) for item in value]
        elif value is not None and value is not False:
            data[form.add_prefix(name)] = str(value)
    return data


def formset_data(formset) -> dict:
    management = formset.management_form
    data = {management.add_prefix(key): value for key, value in management.initial.items()}
    for form in formset.forms:
        data |= form_data(form)
    return data


def post_data(response) -> dict:
    """What a browser would post back, unchanged, from an admin change page."""
    data = form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        data |= formset_data(inline.formset)
    return data
