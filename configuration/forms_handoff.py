"""Input of the handoff, routing, scoring and integration settings. Validation of the input's
shape only: the rules (what a rule may target, which URL a webhook may use) are the services'."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from funnel.models import Campaign, HandoffPair, Role, Team, User
from funnel.selectors import target_today
from handoff.models import Activity, RoutingStrategy
from integrations.models import EventType

PERCENT = Decimal(100)
ROTATION_ROLES = (Role.SALES, Role.INSIDE)
LIST_HELP = _("Comma-separated; empty matches every lead.")


class TargetForm(forms.Form):
    """A new target version: the rate in percent, and the day it takes effect."""

    rate = forms.DecimalField(
        label=_("Target acceptance rate (%)"),
        min_value=0,
        max_value=100,
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    effective_from = forms.DateField(
        label=_("Takes effect on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("From this day on, every report compares the handoff with this target."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("effective_from", target_today())
        super().__init__(*args, **kwargs)

    def fraction(self) -> Decimal:
        """The rate as the services keep it: a fraction from 0 to 1."""
        return (self.cleaned_data["rate"] / PERCENT).quantize(Decimal("0.001"))


class ScoringRuleForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("object", "Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Activity"), choices=Activity.Kind.choices)
    contains = forms.CharField(
        label=_("Only when the detail mentions"),
        max_length=200,
        required=False,
        help_text=_("E.g. /pricing. Empty: every activity of that kind."),
    )
    points = forms.IntegerField(label=_("Points"), help_text=_("Negative points lower the score."))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class CommaList(forms.CharField):
    """A list typed as comma-separated text, shown back the same way."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        return [part.strip() for part in text.split(",") if part.strip()]


class RoutingRuleForm(forms.Form):
    """A rule's conditions and target. `user` decides which handoffs, teams and people the
    choices offer: a manager routes the handoffs their team receives, to that team."""

    handoff = forms.ModelChoiceField(
        label=_("Handoff"), queryset=HandoffPair.objects.none(), to_field_name="key"
    )
    name = forms.CharField(label=pgettext_lazy("object", "Name"), max_length=100)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    countries = CommaList(
        label=_("Countries"), required=False, max_length=500, help_text=_("ISO codes: US, DE.")
    )
    regions = CommaList(label=_("Regions"), required=False, max_length=500, help_text=LIST_HELP)
    industries = CommaList(
        label=_("Industries"), required=False, max_length=500, help_text=LIST_HELP
    )
    sources = CommaList(label=_("Sources"), required=False, max_length=500, help_text=LIST_HELP)
    campaigns = forms.ModelMultipleChoiceField(
        label=_("Campaigns"),
        queryset=Campaign.objects.order_by("name"),
        required=False,
        help_text=_("None chosen: every campaign."),
    )
    employees_min = forms.IntegerField(label=_("Employees, at least"), min_value=0, required=False)
    employees_max = forms.IntegerField(label=_("Employees, at most"), min_value=0, required=False)
    score_min = forms.IntegerField(label=_("Score, at least"), required=False)
    score_max = forms.IntegerField(label=_("Score, at most"), required=False)
    strategy = forms.ChoiceField(label=_("Route to"), choices=RoutingStrategy.choices)
    target_user = forms.ModelChoiceField(
        label=_("User (for a named user)"), queryset=User.objects.none(), required=False
    )
    target_team = forms.ModelChoiceField(
        label=_("Team (queue and round-robin)"), queryset=Team.objects.none(), required=False
    )

    def __init__(self, *args, user: User, handoffs, teams, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handoff"].queryset = handoffs
        if editing:
            # A rule stays with its handoff: moved, its rotation would mean nothing.
            del self.fields["handoff"]
        self.fields["target_team"].queryset = teams
        people = User.objects.filter(is_active=True, role__in=ROTATION_ROLES)
        if user.effective_role != Role.ADMIN:
            people = people.filter(team__in=teams)
        self.fields["target_user"].queryset = people.order_by("username")
        self.fields["target_user"].label_from_instance = lambda u: (
            f"{u.get_full_name() or u.username} ({u.username})"
        )

    def fields_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("handoff", None)
        data["campaigns"] = list(data["campaigns"])
        return data


class TryRuleForm(forms.Form):
    """A lead (by id, or found by name, email or company) and a handoff to route it on."""

    lead = forms.IntegerField(label=_("Lead id"), min_value=1, max_value=2**63 - 1, required=False)
    q = forms.CharField(label=_("Or find a lead"), max_length=100, required=False)
    handoff = forms.ModelChoiceField(
        label=_("Handoff"),
        queryset=HandoffPair.objects.order_by("offered_stage__position", "pk"),
        to_field_name="key",
        empty_label=None,
    )


def lead_search(leads, q: str):
    """Leads among `leads` whose email, name or company contains `q`."""
    return leads.filter(
        Q(email__icontains=q)
        | Q(first_name__icontains=q)
        | Q(last_name__icontains=q)
        | Q(company__icontains=q)
    )


class TokenForm(forms.Form):
    """Create a token: `replace` is the confirmation that the old one stops working."""

    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    replace = forms.BooleanField(required=False)

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=_("URL"), max_length=500, assume_scheme="https", help_text=_("http:// or https://")
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        # By their names: the names the receiver sees in X-Leadflow-Event and the API.
        choices=[(name, name) for name in EventType.values],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every event."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
