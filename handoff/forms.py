"""Input of the rep's queue page. Validation only; each action is one service call."""

from django import forms
from django.core.validators import MinValueValidator

from funnel.models import ReasonCode, ReasonPurpose
from handoff.models import Disposition, Touch

# The reason a disposition needs, by its purpose.
DISPOSITION_PURPOSE = {
    Disposition.Kind.RECYCLE: ReasonPurpose.RECYCLE,
    Disposition.Kind.JUNK: ReasonPurpose.DISQUALIFY,
    Disposition.Kind.LOST: ReasonPurpose.LOST,
}


def reason_choices(*purposes: str, prompt: str = "Reason…") -> list[tuple[str, str]]:
    reasons = ReasonCode.objects.filter(purpose__in=purposes, active=True)
    return [("", prompt)] + [(f"{r.purpose}:{r.code}", r.label) for r in reasons]


def reason_from_choice(value: str) -> ReasonCode | None:
    if not value:
        return None
    purpose, _, code = value.partition(":")
    return ReasonCode.objects.filter(purpose=purpose, code=code, active=True).first()


class RejectForm(forms.Form):
    reason = forms.ChoiceField(choices=())
    note = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reason_choices(ReasonPurpose.REJECT, prompt="Why reject?")

    def clean_reason(self):
        return reason_from_choice(self.cleaned_data["reason"])


class TouchForm(forms.Form):
    kind = forms.ChoiceField(choices=Touch.Kind.choices)
    outcome = forms.ChoiceField(choices=[("", "Outcome…"), *Touch.Outcome.choices], required=False)
    note = forms.CharField(required=False, max_length=2000)


class DispositionForm(forms.Form):
    disposition = forms.ChoiceField(choices=Disposition.Kind.choices)
    reason = forms.ChoiceField(choices=(), required=False)
    amount = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    competitor = forms.CharField(required=False, max_length=200)
    note = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reason_choices(*DISPOSITION_PURPOSE.values())

    def clean_reason(self):
        return reason_from_choice(self.cleaned_data.get("reason", ""))
