"""Admin forms: JSON list fields as checkboxes, friendly messages for the model's constraints."""

from __future__ import annotations

import re
import zoneinfo

from django import forms
from django.core.validators import MinValueValidator

from .models import (
    Campaign,
    HandoffPair,
    Lead,
    ReasonPurpose,
    Role,
    Stage,
    StageMove,
    Team,
    Territory,
)
from .services import LEAD_FIELDS, lead_clean_fields

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]

WORKDAY_ENDS_BEFORE_START = "The working day must end after it starts."
TIME_ZONE_UNKNOWN = "Unknown time zone."
COUNTRY_CODE_INVALID = "Use two-letter ISO 3166 codes, e.g. DE or US."
CAMPAIGN_ENDS_BEFORE_START = "The campaign cannot end before it starts."
HANDOFF_SAME_STAGE = "The accepted stage must differ from the offered stage."
MOVE_DUPLICATE = "This stage already has a move to {to_stage}."
LEAD_EMAIL_OR_EXTERNAL_ID = "Give an email address or an external id."
LEAD_EMAIL_TAKEN = "Another lead already has this email address."
LEAD_EXTERNAL_ID_TAKEN = "Another lead already has this external id."
LEAD_NO_ENTRY_STAGE = "Your role may not create leads: no stage lets it add new leads."

_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


def _checkboxes(choices, **kwargs) -> forms.TypedMultipleChoiceField:
    kwargs.setdefault("required", False)
    return forms.TypedMultipleChoiceField(
        choices=choices, widget=forms.CheckboxSelectMultiple, **kwargs
    )


class TeamForm(forms.ModelForm):
    time_zone = forms.ChoiceField(help_text="The team's local time.")
    working_days = _checkboxes(WEEKDAYS, coerce=int, required=True)

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
        zones = sorted(zoneinfo.available_timezones())
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
        bad = [code for code in value if not _COUNTRY_CODE.match(code)]
        if bad:
            raise forms.ValidationError(f"{COUNTRY_CODE_INVALID} Not valid: {', '.join(bad)}.")


class TerritoryForm(forms.ModelForm):
    countries = CountryListField(
        required=False,
        help_text="Two-letter ISO 3166 codes, separated by commas: DE, AT, CH.",
        widget=forms.TextInput(attrs={"size": 60}),
    )

    class Meta:
        model = Territory
        fields = ("name", "key", "countries")


class StageMoveForm(forms.ModelForm):
    roles = _checkboxes(Role.choices, help_text="Roles that may make this move.")
    reason_purposes = _checkboxes(
        ReasonPurpose.choices,
        label="Reason needed",
        help_text="If any is ticked, the move needs a reason code of one of these purposes.",
    )

    class Meta:
        model = StageMove
        fields = ("from_stage", "to_stage", "roles", "reason_purposes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "from_stage" in self.fields:
            self.fields["from_stage"].empty_label = "(new lead)"
            self.fields["from_stage"].help_text = "Empty: new leads may start in the to-stage."


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
            "active": "Untick to retire the stage: no lead can move into it any more. "
            "Leads and history keep referring to it.",
            "position": "Order of the stage in lists and reports.",
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


class LeadForm(forms.ModelForm):
    """Contact fields of a lead, normalised the way lead_create stores them.

    The stage, its team and timestamps are never fields here: only the funnel services write
    them.
    """

    class Meta:
        model = Lead
        fields = (*sorted(LEAD_FIELDS), "owner")
        help_texts = {"country": "Two-letter ISO 3166 code, e.g. DE."}

    def clean_country(self):
        value = (self.cleaned_data.get("country") or "").strip().upper()
        if value and not _COUNTRY_CODE.match(value):
            raise forms.ValidationError(COUNTRY_CODE_INVALID)
        return value

    def clean(self):
        cleaned = super().clean()
        present = {name: cleaned[name] for name in ("email", "external_id") if name in cleaned}
        cleaned.update(lead_clean_fields(present))
        if self.has_error("email") or self.has_error("external_id"):
            return cleaned
        email = cleaned.get("email", self.instance.email)
        external_id = cleaned.get("external_id", self.instance.external_id)
        others = Lead.objects.exclude(pk=self.instance.pk) if self.instance.pk else Lead.objects
        # Errors on the fields themselves, so the model's constraints do not repeat them.
        if not email and not external_id:
            self.add_error("email", LEAD_EMAIL_OR_EXTERNAL_ID)
        elif external_id and others.filter(external_id=external_id).exists():
            self.add_error("external_id", LEAD_EXTERNAL_ID_TAKEN)
        elif (
            email
            and not external_id
            and others.filter(email=email, external_id__isnull=True).exists()
        ):
            self.add_error("email", LEAD_EMAIL_TAKEN)
        return cleaned


def entry_stages_for(actor) -> list[Stage]:
    """Active stages a new lead may start in when `actor` creates it (funnel entry moves)."""
    role = actor.effective_role
    moves = StageMove.objects.filter(from_stage__isnull=True, to_stage__active=True).exclude(
        # Only accepting its handoff enters an accepted stage (lead_transition's rule).
        to_stage__in=HandoffPair.objects.values("accepted_stage")
    )
    # Roles are filtered here, not in SQL: JSON containment differs between databases.
    stages = [
        move.to_stage
        for move in moves.select_related("to_stage")
        if role in move.roles and not move.reason_purposes
    ]
    return sorted(stages, key=lambda stage: (stage.position, stage.key))


class LeadAddForm(LeadForm):
    """A new lead, created by funnel.services.lead_create in the chosen entry stage.

    `actor` is set by the admin on a subclass per request.
    """

    actor = None
    entry_stage = forms.ModelChoiceField(
        queryset=Stage.objects.none(),
        label="Starts in stage",
        help_text="The stages your role may add new leads to.",
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Stored on the lead's first history entry.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stages = entry_stages_for(self.actor) if self.actor is not None else []
        field = self.fields["entry_stage"]
        field.queryset = Stage.objects.filter(pk__in=[stage.pk for stage in stages])
        if stages:
            default = next((stage for stage in stages if stage.key == "inquiry"), stages[0])
            field.initial = default.pk
        else:
            field.help_text = LEAD_NO_ENTRY_STAGE

    def lead_fields(self) -> dict:
        """The cleaned values lead_create takes."""
        return {name: value for name, value in self.cleaned_data.items() if name in LEAD_FIELDS}
