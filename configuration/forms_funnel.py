"""Forms of the funnel's settings pages: they read and type the input; the services judge it.

Each form is a ModelForm for its fields and widgets only: the model's own validation (unique
keys, constraints) runs in the service, whose refusals `refuse` puts on the form by field, so
the rules are written once for the pages, the API and the admin.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from funnel import forms as funnel_forms
from funnel.forms import WEEKDAYS, CountryListField, checkboxes
from funnel.models import (
    Campaign,
    ReasonCode,
    ReasonPurpose,
    Role,
    Stage,
    StageMove,
    Territory,
    User,
)


class ServiceForm(forms.ModelForm):
    """A ModelForm whose instance the service validates and saves, not the form."""

    # Fields shown but not edited once the object exists (keys the API and history name it by).
    stable_fields: tuple[str, ...] = ()
    stable_help = _("Fixed once created: other systems use it.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in self.stable_fields:
                self.fields[name].disabled = True
                self.fields[name].help_text = self.stable_help

    def _post_clean(self):
        """Skip the model's validation here: the service runs it (and more) in its transaction."""

    def refuse(self, exc: ValidationError) -> None:
        """Show a service's refusal: on its field where the form has one, else above the form."""
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc)

    def data_for_service(self) -> dict:
        """The cleaned values of the fields the user may change."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if not self.fields[name].disabled
        }


class StageForm(ServiceForm):
    stable_fields = ("key",)

    class Meta:
        model = Stage
        fields = ("key", "name", "team", "kind", "entry_criteria")
        labels = {
            "key": _("Key"),
            "name": pgettext_lazy("object", "Name"),
            "team": _("Team"),
            "kind": _("Kind"),
            "entry_criteria": _("Entry criteria"),
        }
        help_texts = {
            "key": _("Letters, digits, - and _: the stage's name in the API and in imports."),
            "entry_criteria": _("What a lead must show to enter the stage, in plain words."),
        }
        widgets = {"entry_criteria": forms.Textarea(attrs={"rows": 3})}


class StageMoveForm(ServiceForm):
    roles = checkboxes(Role.choices, label=_("Roles that may make it"))
    reason_purposes = checkboxes(
        ReasonPurpose.choices,
        label=_("Reason needed"),
        help_text=_("If any is ticked, the move needs a reason code of one of these purposes."),
    )
    stable_fields = ("from_stage", "to_stage")
    stable_help = _("A move is its two stages: for others, remove this one and allow those.")

    class Meta:
        model = StageMove
        fields = ("from_stage", "to_stage", "roles", "reason_purposes")
        labels = {
            "from_stage": pgettext_lazy("move", "From"),
            "to_stage": pgettext_lazy("move", "To"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = Stage.objects.filter(active=True).order_by("position", "key")
        if not self.instance.pk:
            self.fields["from_stage"].queryset = active
            self.fields["to_stage"].queryset = active
        self.fields["from_stage"].empty_label = _("(new lead)")
        if not self.instance.pk:
            self.fields["from_stage"].help_text = _("Empty: new leads may start in the to-stage.")


class ReasonCodeForm(ServiceForm):
    stable_fields = ("code", "purpose")
    stable_help = _("Fixed once created: history and other systems name the reason by them.")

    class Meta:
        model = ReasonCode
        fields = ("code", "label", "purpose", "position", "active")
        labels = {
            "code": _("Code"),
            # Translators: the reason's wording as people see it in the reason lists.
            "label": _("Label"),
            "purpose": _("Purpose"),
            "position": _("Position"),
            "active": _("Active"),
        }
        help_texts = {
            "position": _("Order in the reason lists, smallest first."),
            "active": _("Untick to retire the reason: nobody can choose it any more."),
        }


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CampaignForm(ServiceForm):
    class Meta:
        model = Campaign
        fields = ("name", "channel", "start", "end", "cost")
        widgets = {"start": DateInput(), "end": DateInput()}
        labels = {
            "name": pgettext_lazy("object", "Name"),
            "channel": _("Channel"),
            "start": _("Start"),
            "end": _("End"),
            "cost": _("Cost"),
        }
        help_texts = {
            "start": _("Campaigns starting in the next two weeks are listed in the weekly report."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cost"].validators.append(MinValueValidator(0))
        self.fields["cost"].widget.attrs["min"] = 0


class TeamForm(ServiceForm, funnel_forms.TeamForm):
    """The admin's team form (its time zones and working-hours check), as a settings page."""

    time_zone = forms.ChoiceField(label=_("Time zone"))
    working_days = checkboxes(WEEKDAYS, coerce=int, required=True, label=_("Working days"))
    stable_fields = ("key",)

    class Meta(funnel_forms.TeamForm.Meta):
        widgets = {
            "workday_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "workday_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        labels = {
            "name": pgettext_lazy("object", "Name"),
            "key": _("Key"),
            "manager": _("Manager"),
            "workday_start": _("Workday start"),
            "workday_end": _("Workday end"),
        }
        help_texts = {
            "key": _("Stable key used by the API."),
            "time_zone": _("SLA terms of the handoffs this team receives run on its clock."),
        }

    def __init__(self, *args, hours_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].help_text = self._meta.help_texts["time_zone"]
        self.fields["manager"].queryset = User.objects.filter(
            is_active=True, role__in=[Role.MANAGER, Role.ADMIN]
        ).order_by("username")
        if hours_only:  # a manager's own team: its clock, not its name or manager
            for name in ("name", "key", "manager"):
                self.fields[name].disabled = True


class TerritoryForm(ServiceForm):
    countries = CountryListField(
        label=_("Countries"),
        required=False,
        help_text=_("Two-letter ISO 3166 codes, separated by commas: DE, AT, CH."),
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The people whose territory this is (a person has one territory)."),
    )
    stable_fields = ("key",)

    class Meta:
        model = Territory
        fields = ("name", "key", "countries")
        labels = {"name": pgettext_lazy("object", "Name"), "key": _("Key")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = (
            User.objects.filter(is_active=True, role__in=[Role.SALES, Role.INSIDE, Role.MANAGER])
            .select_related("territory")
            .order_by("username")
        )
        self.fields["members"].label_from_instance = self._member_label
        if self.instance.pk and not self.is_bound:
            self.initial["members"] = [u.pk for u in self.instance.members.all()]

    def _member_label(self, user: User) -> str:
        """The person, and the territory ticking them here takes them from."""
        name = user.get_full_name() or user.username
        if user.territory_id and user.territory_id != self.instance.pk:
            return _("%(name)s (now %(territory)s)") % {"name": name, "territory": user.territory}
        return name


class UserForm(ServiceForm):
    stable_fields = ("username",)

    class Meta:
        model = User
        fields = (
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "team",
            "territory",
            "is_active",
        )
        labels = {"role": _("Role"), "team": _("Team"), "territory": _("Territory")}
        help_texts = {
            "username": _("What the person signs in with."),
            "is_active": _("Untick to deactivate: the person cannot sign in; their history stays."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            del self.fields["is_active"]  # a new person is active
