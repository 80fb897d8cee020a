"""Input of the manager's console. Validation only; each action is one service call."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from funnel.models import Team
from handoff.models import Offer, SlaAgreement
from handoff.services.reassign import NOTHING_CHOSEN
from handoff.services.sla import AGREEMENT_TERMS

from .selectors import team_offers_all, team_reps

# Plain (English) strings, translated as the form is built.
CHOOSE_REP = gettext_noop("Choose the rep to hand the leads to.")
NOT_A_MEMBER = gettext_noop("Choose an active member of {team}.")


class ReassignForm(forms.Form):
    """Offers of the team (checkboxes) and the member to hand them to."""

    offers = forms.ModelMultipleChoiceField(
        queryset=Offer.objects.none(), error_messages={"required": gettext_lazy(NOTHING_CHOSEN)}
    )
    to = forms.ModelChoiceField(queryset=None, empty_label=gettext_lazy("Reassign to…"))

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        # Any offer of the team, open or not: the service says why a closed one cannot move.
        self.fields["offers"].queryset = team_offers_all(team).only("pk", "status", "assignee_id")
        self.fields["to"].queryset = team_reps(team)
        self.fields["to"].error_messages["invalid_choice"] = _(NOT_A_MEMBER).format(team=team)
        self.fields["to"].error_messages["required"] = _(CHOOSE_REP)

    def names_other_offers(self) -> bool:
        """An offer that is not the team's (or no offer at all) was posted: not found."""
        return self.has_error("offers", "invalid_choice") or self.has_error(
            "offers", "invalid_pk_value"
        )

    def chosen_ids(self) -> set[str]:
        """The offers ticked, as posted: ticked again when the page comes back."""
        return set(self.data.getlist("offers")) if self.is_bound else set()


class AgreementTermsForm(forms.ModelForm):
    """A new version's terms; the model's own checks (a warning before the due time) apply."""

    class Meta:
        model = SlaAgreement
        fields = list(AGREEMENT_TERMS)
        widgets = {"criteria": forms.Textarea(attrs={"rows": 4})}
