"""Input of the preferences page (/me/): time away and each kind's delivery. Validation only;
saving is one service call, handoff.services.account.preferences_update."""

from __future__ import annotations

import datetime

from django import forms

from handoff.models import Notification, NotificationDelivery

AWAY_UNTIL_PAST = "Your last day away cannot be before today."
AWAY_UNTIL_BEFORE_FROM = "Your last day away cannot be before your first."
AWAY_UNTIL_MISSING = "Choose your last day away too, or clear the first day if you are not away."


def _date_input(**attrs) -> forms.DateInput:
    # The browser's date picker sends and expects ISO dates, whatever the locale shows.
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", **attrs})


class PreferencesForm(forms.Form):
    away_from = forms.DateField(
        required=False, label="First day away", help_text="Empty: from today."
    )
    away_until = forms.DateField(
        required=False, label="Last day away", help_text="Empty: you are not away."
    )
    # "I'm back" (a checkbox, so Enter in a date field still means Save): ends time away
    # whatever the dates say.
    away_end = forms.BooleanField(required=False)

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["away_from"].widget = _date_input()
        self.fields["away_until"].widget = _date_input(min=today.isoformat())
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
                self.add_error("away_until", AWAY_UNTIL_MISSING)
            data["away_from"] = None
        elif last < self.today:
            self.add_error("away_until", AWAY_UNTIL_PAST)
        elif first and last < first:
            self.add_error("away_until", AWAY_UNTIL_BEFORE_FROM)
        return data

    def delivery_fields(self) -> list[forms.BoundField]:
        return [self[f"delivery_{kind}"] for kind in Notification.Kind.values]

    @property
    def deliveries(self) -> dict[str, str]:
        return {kind: self.cleaned_data[f"delivery_{kind}"] for kind in Notification.Kind.values}

    @staticmethod
    def initial_for(account, deliveries: dict[str, str]) -> dict:
        """The form as saved: time away only while it still means something."""
        initial = {f"delivery_{kind}": delivery for kind, delivery in deliveries.items()}
        if not account.away_over:
            initial.update(away_from=account.away_from, away_until=account.away_until)
        return initial


class ReadAllForm(forms.Form):
    # When the list the user clicked on was drawn: notifications arriving since stay unread.
    seen_at = forms.DateTimeField(required=False)
