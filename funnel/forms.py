"""Admin forms: JSON list fields as checkboxes, friendly messages for the model's constraints."""

from __future__ import annotations

import re
import zoneinfo

from django import forms
from django.core.validators import MinValueValidator
from django.utils.dates import WEEKDAYS as WEEKDAY_NAMES
from django.utils.translation import gettext_lazy as _

from leadflow.locale import time_zone_names

from .models import Campaign, HandoffPair, ReasonPurpose, Role, Stage, StageMove, Team, Territory

# Django's own (translated) day names, Monday = 0 as datetime.weekday() numbers them.
WEEKDAYS = [(day, WEEKDAY_NAMES[day]) for day in range(7)]

WORKDAY_ENDS_BEFORE_START = _("The working day must end after it starts.")
TIME_ZONE_UNKNOWN = _("Unknown time zone.")
COUNTRY_CODE_INVALID = _("Use two-letter ISO 3166 codes, e.g. DE or US.")
COUNTRY_CODES_INVALID = _("Use two-letter ISO 3166 codes, e.g. DE or US. Not valid: {codes}.")
CAMPAIGN_ENDS_BEFORE_START = _("The campaign cannot end before it starts.")
HANDOFF_SAME_STAGE = _("The accepted stage must differ from the offered stage.")
MOVE_DUPLICATE = _("This stage already has a move to {to_stage}.")

COUNTRY_CODE_PATTERN = re.compile(r"^[A-Z]{2}$")


def checkboxes(choices, **kwargs) -> forms.TypedMultipleChoiceField:
    """A JSON list field as checkboxes (optional unless required=True)."""
    kwargs.setdefault("required", False)
    return forms.TypedMultipleChoiceField(
        choices=choices, widget=forms.CheckboxSelectMultiple, **kwargs
    )


class TeamForm(forms.ModelForm):
    time_zone = forms.ChoiceField(help_text=_("The team's local time."))
    working_days = checkboxes(WEEKDAYS, coerce=int, required=True)

    class Meta:
        model = Team
        fields = (
            "name",
            "key",
            "manager",
            "time_zone",
            "workday_start",
            "workday_end",
            "working_days",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zones = list(time_zone_names())
        current = self.initial.get("time_zone")
        if current and current not in zones:
            zones.append(current)  # keep a stored value visible, even one tzdata dropped
        self.fields["time_zone"].choices = [(zone, zone) for zone in zones]

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"]
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise forms.ValidationError(TIME_ZONE_UNKNOWN) from exc
        return value

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("workday_start"), cleaned.get("workday_end")
        if start and end and end <= start:
            self.add_error("workday_end", WORKDAY_ENDS_BEFORE_START)
        return cleaned


class CountryListField(forms.CharField):
    """A JSON list of country codes, typed as "DE, AT, CH"."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        codes = [code.strip().upper() for code in re.split(r"[,\s]+", text) if code.strip()]
        return list(dict.fromkeys(codes))  # drop repeats, keep the order typed

    def validate(self, value):
        super().validate(value)
        bad = [code for code in value if not COUNTRY_CODE_PATTERN.match(code)]
        if bad:
            raise forms.ValidationError(COUNTRY_CODES_INVALID.format(codes=", ".join(bad)))


class TerritoryForm(forms.ModelForm):
    countries = CountryListField(
        required=False,
        help_text=_("Two-letter ISO 3166 codes, separated by commas: DE, AT, CH."),
        widget=forms.TextInput(attrs={"size": 60}),
    )

    class Meta:
        model = Territory
        fields = ("name", "key", "countries")


class StageMoveForm(forms.ModelForm):
    roles = checkboxes(Role.choices, help_text=_("Roles that may make this move."))
    reason_purposes = checkboxes(
        ReasonPurpose.choices,
        label=_("Reason needed"),
        help_text=_("If any is ticked, the move needs a reason code of one of these purposes."),
    )

    class Meta:
        model = StageMove
        fields = ("from_stage", "to_stage", "roles", "reason_purposes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "from_stage" in self.fields:
            self.fields["from_stage"].empty_label = _("(new lead)")
            self.fields["from_stage"].help_text = _("Empty: new leads may start in the to-stage.")


class StageMoveInlineFormSet(forms.BaseInlineFormSet):
    """Refuses two moves to one stage in one submission, which the database would refuse."""

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not form.has_changed() and not form.instance.pk:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            to_stage = form.cleaned_data.get("to_stage")
            if to_stage is None:
                continue
            if to_stage.pk in seen:
                form.add_error("to_stage", MOVE_DUPLICATE.format(to_stage=to_stage))
            seen.add(to_stage.pk)


class StageForm(forms.ModelForm):
    class Meta:
        model = Stage
        fields = ("key", "name", "team", "position", "kind", "entry_criteria", "active")
        help_texts = {
            "active": _(
                "Untick to retire the stage: no lead can move into it any more. "
                "Leads and history keep referring to it."
            ),
            "position": _("Order of the stage in lists and reports."),
        }


class HandoffPairForm(forms.ModelForm):
    class Meta:
        model = HandoffPair
        fields = (
            "key",
            "name",
            "offered_stage",
            "accepted_stage",
            "reject_stage",
            "sending_team",
            "receiving_team",
            "target_rate",
        )

    def clean(self):
        cleaned = super().clean()
        offered, accepted = cleaned.get("offered_stage"), cleaned.get("accepted_stage")
        if offered and accepted and offered == accepted:
            self.add_error("accepted_stage", HANDOFF_SAME_STAGE)
        return cleaned


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ("name", "channel", "start", "end", "cost")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "cost" in self.fields:
            self.fields["cost"].validators.append(MinValueValidator(0))
            self.fields["cost"].widget.attrs["min"] = 0

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            # An error on a field also keeps the model's check constraint from repeating it.
            self.add_error("end", CAMPAIGN_ENDS_BEFORE_START)
        return cleaned
