"""Input of the lead pages, the preferences page and the lead admin. Validation only; each
action is one service call."""

import datetime

from django import forms
from django.conf import settings
from django.core.validators import MinValueValidator
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from funnel.forms import COUNTRY_CODE_INVALID, COUNTRY_CODE_PATTERN
from funnel.models import Campaign, ReasonCode, ReasonPurpose, Stage, User
from funnel.rules import entry_stages_for
from handoff.models import Disposition, Lead, Notification, NotificationDelivery, Touch
from handoff.services.leads import LEAD_FIELDS, lead_clean_fields
from handoff.services.work import DISPOSITION_RULES
from leadflow.locale import time_zone_names

# The purposes of the reasons dispositions take (the disposition table's).
DISPOSITION_PURPOSES = [
    rule.reason_purpose for rule in DISPOSITION_RULES.values() if rule.reason_purpose
]


def reason_choices(*purposes: str, prompt: str = _("Reason…")) -> list[tuple[str, str]]:
    reasons = ReasonCode.objects.filter(purpose__in=purposes, active=True)
    return [("", prompt)] + [(f"{r.purpose}:{r.code}", r.label) for r in reasons]


def reason_from_choice(value: str) -> ReasonCode | None:
    if not value:
        return None
    purpose, _, code = value.partition(":")
    return ReasonCode.objects.filter(purpose=purpose, code=code, active=True).first()


REJECT_REASON_NEEDED = _("Choose a reason to reject.")


class RejectForm(forms.Form):
    reason = forms.ChoiceField(
        choices=(), label=_("Reason"), error_messages={"required": REJECT_REASON_NEEDED}
    )
    note = forms.CharField(required=False, max_length=2000, label=_("Note"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reason_choices(
            ReasonPurpose.REJECT, prompt=_("Why reject?")
        )

    def clean_reason(self):
        reason = reason_from_choice(self.cleaned_data["reason"])
        if reason is None:
            raise forms.ValidationError(REJECT_REASON_NEEDED)
        return reason


class TouchForm(forms.Form):
    # Translators: the kind of a touch (a contact with a lead): call, email, meeting, social.
    kind = forms.ChoiceField(choices=Touch.Kind.choices, label=pgettext_lazy("touch", "Kind"))
    outcome = forms.ChoiceField(
        choices=[("", _("Outcome…")), *Touch.Outcome.choices],
        required=False,
        # Translators: the outcome of a touch (a contact with a lead): connected, no answer…
        label=pgettext_lazy("touch", "Outcome"),
    )
    note = forms.CharField(required=False, max_length=2000, label=_("Note"))
    next_step = forms.CharField(required=False, max_length=200, label=_("Next step"))
    next_step_due = forms.DateField(required=False, label=_("Next step by"))


class AssignForm(forms.Form):
    """A manager hands a lead to a member of the team it is offered to."""

    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(), label=_("Assignee"), empty_label=_("Hand to…")
    )

    def __init__(self, *args, team_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(
            team_id=team_id, is_active=True
        ).order_by("username")


class DispositionForm(forms.Form):
    disposition = forms.ChoiceField(choices=Disposition.Kind.choices, label=_("Disposition"))
    reason = forms.ChoiceField(choices=(), required=False, label=_("Reason"))
    amount = forms.DecimalField(
        required=False,
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        label=_("Amount"),
    )
    competitor = forms.CharField(required=False, max_length=200, label=_("Competitor"))
    note = forms.CharField(required=False, max_length=2000, label=_("Note"))

    def __init__(self, *args, dispositions: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reason_choices(*DISPOSITION_PURPOSES)
        if dispositions is not None:
            # Only what the lead's stage and the user's role allow (FunnelMoves).
            field = self.fields["disposition"]
            field.choices = [(k, label) for k, label in field.choices if k in dispositions]

    def clean_reason(self):
        return reason_from_choice(self.cleaned_data.get("reason", ""))


# --- the lead admin ------------------------------------------------------------------------

LEAD_EMAIL_OR_EXTERNAL_ID = _("Give an email address or an external id.")
LEAD_EMAIL_TAKEN = _("Another lead already has this email address.")
LEAD_EXTERNAL_ID_TAKEN = _("Another lead already has this external id.")
LEAD_NO_ENTRY_STAGE = _("Your role may not create leads: no stage lets it add new leads.")


class LeadForm(forms.ModelForm):
    """Contact fields of a lead, normalised the way lead_create stores them.

    The stage, its team and timestamps are never fields here: only the funnel services write
    them.
    """

    class Meta:
        model = Lead
        fields = (*sorted(LEAD_FIELDS), "owner")
        help_texts = {"country": _("Two-letter ISO 3166 code, e.g. DE.")}

    def clean_country(self):
        value = (self.cleaned_data.get("country") or "").strip().upper()
        if value and not COUNTRY_CODE_PATTERN.match(value):
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


class LeadAddForm(LeadForm):
    """A new lead, created by handoff.services.leads.lead_create in the chosen entry stage.

    `actor` is set by the admin on a subclass per request.
    """

    actor = None
    entry_stage = forms.ModelChoiceField(
        queryset=Stage.objects.none(),
        label=_("Starts in stage"),
        help_text=_("The stages your role may add new leads to."),
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Note"),
        help_text=_("Stored on the lead's first history entry."),
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


# --- the preferences page (/me/): time away, each kind's delivery, language, time zone -----

# Marked for translation and translated where the form adds them (gettext), so that the
# constants stay plain English strings that tests can look for in a page.
AWAY_UNTIL_PAST = gettext_noop("Your last day away cannot be before today.")
AWAY_UNTIL_BEFORE_FROM = gettext_noop("Your last day away cannot be before your first.")
AWAY_UNTIL_MISSING = gettext_noop(
    "Choose your last day away too, or clear the first day if you are not away."
)
TIME_ZONE_UNKNOWN = _("“%(value)s” is not a time zone we know: choose one from the list.")


def language_choices() -> list[tuple[str, str]]:
    """Blank (the browser's language), then each language named in its own language."""
    return [("", gettext("As my browser asks")), *settings.LANGUAGES]


def time_zone_choices() -> list[tuple[str, str]]:
    """Blank (the site's TIME_ZONE, named), then every IANA zone."""
    site = gettext("The site's time zone (%(zone)s)") % {"zone": settings.TIME_ZONE}
    return [("", site), *((name, name) for name in time_zone_names())]


def _date_input(**attrs) -> forms.DateInput:
    # The browser's date picker sends and expects ISO dates, whatever the locale shows.
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", **attrs})


class PreferencesForm(forms.Form):
    away_from = forms.DateField(
        required=False, label=_("First day away"), help_text=_("Empty: from today.")
    )
    away_until = forms.DateField(
        required=False, label=_("Last day away"), help_text=_("Empty: you are not away.")
    )
    # "I'm back" (a checkbox, so Enter in a date field still means Save): ends time away
    # whatever the dates say.
    away_end = forms.BooleanField(required=False)
    # Blank: pages follow the browser (email, the site's LANGUAGE_CODE) and times the site's
    # TIME_ZONE (leadflow/locale.py). The choices are set per form, in the page's language.
    language = forms.ChoiceField(
        required=False,
        label=_("Language"),
    )
    time_zone = forms.ChoiceField(
        required=False,
        label=_("Time zone"),
        error_messages={"invalid_choice": TIME_ZONE_UNKNOWN},
    )

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["away_from"].widget = _date_input()
        self.fields["away_until"].widget = _date_input(min=today.isoformat())
        self.fields["language"].choices = language_choices()
        self.fields["time_zone"].choices = time_zone_choices()
        for kind, label in Notification.Kind.choices:
            self.fields[f"delivery_{kind}"] = forms.ChoiceField(
                label=label, choices=NotificationDelivery.choices
            )

    def clean(self):
        data = super().clean()
        first, last = data.get("away_from"), data.get("away_until")
        if self.errors:
            return data
        if data.get("away_end"):
            data["away_from"] = data["away_until"] = None
        elif not {"away_from", "away_until"} & set(self.changed_data):
            # Untouched: kept as saved (an open-ended absence set in the admin stays).
            data["away_from"] = self.initial.get("away_from")
            data["away_until"] = self.initial.get("away_until")
        elif last is None:
            # A first day just typed with no last one is a slip; clearing the last day, with
            # the old first one left in the form, means "back now".
            if first and "away_from" in self.changed_data:
                self.add_error("away_until", gettext(AWAY_UNTIL_MISSING))
            data["away_from"] = None
        elif last < self.today:
            self.add_error("away_until", gettext(AWAY_UNTIL_PAST))
        elif first and last < first:
            self.add_error("away_until", gettext(AWAY_UNTIL_BEFORE_FROM))
        return data

    def delivery_fields(self) -> list[forms.BoundField]:
        return [self[f"delivery_{kind}"] for kind in Notification.Kind.values]

    @property
    def deliveries(self) -> dict[str, str]:
        return {kind: self.cleaned_data[f"delivery_{kind}"] for kind in Notification.Kind.values}

    @staticmethod
    def initial_for(account, deliveries: dict[str, str], user=None) -> dict:
        """The form as saved: time away only while it still means something; the user's
        language and time zone."""
        initial = {f"delivery_{kind}": delivery for kind, delivery in deliveries.items()}
        if user is not None:
            initial.update(language=user.language, time_zone=user.time_zone)
        if not account.away_over:
            initial.update(away_from=account.away_from, away_until=account.away_until)
        return initial


class ReadAllForm(forms.Form):
    # When the list the user clicked on was drawn: notifications arriving since stay unread.
    seen_at = forms.DateTimeField(required=False)


# --- the leads list (handoff/views/leads.py) --------------------------------------------------

SAVED_VIEW_NAME_NEEDED = _("Give the view a name.")
LEADS_NOT_CHOSEN = _("Choose at least one lead.")
LEADS_INVALID = _("The chosen leads are not valid lead ids.")
BULK_CAMPAIGN_NEEDED = _("Choose the campaign to set.")
BULK_ASSIGNEE_NEEDED = _("Choose who to reassign the leads to.")
BULK_REASON_NEEDED = _("Choose a reason to recycle.")


class SavedLeadViewForm(forms.Form):
    """Names the list's current filters and sort (`query`, the list's query string)."""

    name = forms.CharField(
        max_length=100, label=_("View name"), error_messages={"required": SAVED_VIEW_NAME_NEEDED}
    )
    query = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(SAVED_VIEW_NAME_NEEDED)
        return name


class LeadIdsField(forms.Field):
    """The ids of the chosen leads (checkboxes named `leads`)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": LEADS_NOT_CHOSEN, "invalid": LEADS_INVALID}

    def to_python(self, value):
        if not value:
            return []
        try:
            ids = [int(v) for v in value]
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc
        if any(v <= 0 or v > 2**62 for v in ids):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return list(dict.fromkeys(ids))


class LeadBulkForm(forms.Form):
    """A bulk action on the leads chosen in the list; the choices are the ones the user's role
    may take (`lead_bulk.bulk_actions_for`)."""

    leads = LeadIdsField()
    action = forms.ChoiceField(choices=(), label=_("Action"))
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), required=False, label=_("Campaign"),
        empty_label=_("Campaign…"),
    )  # fmt: skip
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label=_("Reassign to"),
        empty_label=_("Reassign to…"),
    )  # fmt: skip
    reason = forms.ModelChoiceField(
        queryset=ReasonCode.objects.none(), required=False, label=_("Recycle reason"),
        empty_label=_("Reason…"),
    )  # fmt: skip
    note = forms.CharField(required=False, max_length=2000, label=_("Note"))
    back = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)

    def __init__(self, *args, actions, labels, assignees, reasons, **kwargs):
        super().__init__(*args, **kwargs)
        self.actions = actions
        self.fields["action"].choices = [("", _("Action…"))] + [(a, labels[a]) for a in actions]
        self.fields["campaign"].queryset = Campaign.objects.order_by("name")
        self.fields["assignee"].queryset = assignees
        self.fields["reason"].queryset = ReasonCode.objects.filter(pk__in=[r.pk for r in reasons])

    def clean(self):
        data = super().clean()
        needed = {
            "campaign": ("campaign", BULK_CAMPAIGN_NEEDED),
            "reassign": ("assignee", BULK_ASSIGNEE_NEEDED),
            "recycle": ("reason", BULK_REASON_NEEDED),
        }.get(data.get("action"))
        if needed and not data.get(needed[0]) and needed[0] not in self.errors:
            self.add_error(needed[0], needed[1])
        back = data.get("back") or ""
        # Only a query string of the list: never a way to send the user elsewhere.
        data["back"] = back if back.startswith("?") and "\n" not in back else ""
        return data


# --- the CSV import of leads (handoff/views/lead_import.py) ------------------------------------

IMPORT_FILE_NEEDED = _("Choose a CSV file to upload.")


class LeadImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        error_messages={"required": IMPORT_FILE_NEEDED},
        allow_empty_file=True,  # the import says what is wrong with it
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,text/csv"}),
    )


class LeadImportMappingForm(forms.Form):
    """A select per column of the file: the bulk API field it fills, or nothing (ignored)."""

    def __init__(self, *args, columns: list[str], fields: list[str], mapping: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.columns = columns
        choices = [("", _("— ignore —"))] + [(name, name) for name in fields]
        for index, column in enumerate(columns):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=column or f"#{index + 1}",
                choices=choices,
                required=False,
                initial=mapping.get(str(index), ""),
            )

    def mapping(self) -> dict[str, str]:
        """`{column index: field}` of the mapped columns (the form is valid)."""
        return {
            str(index): self.cleaned_data[f"column_{index}"]
            for index in range(len(self.columns))
            if self.cleaned_data.get(f"column_{index}")
        }
