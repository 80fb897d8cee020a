"""One action on a lead, as every page posts it (the queue, the pipeline, the lead page): the
form that checks the input and the one service that does it. The API calls the same services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from handoff.forms import AssignForm, DispositionForm, RejectForm, TouchForm
from handoff.models import Lead, Offer, OfferStatus
from handoff.services.offers import offer_accept, offer_assign, offer_claim, offer_reject
from handoff.services.reassign import offer_reassign
from handoff.services.work import lead_disposition, touch_log
from leadflow.errors import DomainError

NO_OFFER = gettext_lazy("{lead} has no open offer.")
# The confirmation of a logged touch, by its kind (Touch.Kind): whole sentences, so that each
# reads right in every language.
TOUCH_LOGGED = {
    "call": gettext_lazy("Logged a call with %(lead)s."),
    "email": gettext_lazy("Logged a email with %(lead)s."),
    "meeting": gettext_lazy("Logged a meeting with %(lead)s."),
    "social": gettext_lazy("Logged a social with %(lead)s."),
}


def _form_errors(form) -> str:
    """Each error with the label of its field, as the user saw it."""
    return "; ".join(
        " ".join(errors)
        if name == "__all__"
        # Translators: a field's label, then what is wrong with the value given in it.
        else _("%(field)s: %(errors)s") % {"field": form[name].label, "errors": " ".join(errors)}
        for name, errors in form.errors.items()
    )


def _valid(form):
    if not form.is_valid():
        raise ValidationError(_form_errors(form))
    return form.cleaned_data


def _pending(lead: Lead, offer: Offer | None) -> Offer:
    if offer is None:
        raise ValidationError(str(NO_OFFER).format(lead=lead))
    return offer


def _accept(request, lead, offer):
    offer_accept(offer=_pending(lead, offer), actor=request.user)
    return _("Accepted %(lead)s: it is in your leads now.") % {"lead": lead}


def _claim(request, lead, offer):
    offer_claim(offer=_pending(lead, offer), actor=request.user)
    return _("%(lead)s is yours to accept or reject.") % {"lead": lead}


def _reject(request, lead, offer):
    data = _valid(RejectForm(request.POST))
    offer_reject(offer=_pending(lead, offer), actor=request.user, **data)
    return _("Rejected %(lead)s.") % {"lead": lead}


def _assign(request, lead, offer):
    """A waiting offer to a rep of its queue's team; a lead being worked to another rep."""
    offer = _pending(lead, offer)
    team = offer.queue_id or offer.handoff.receiving_team_id
    data = _valid(AssignForm(request.POST, team_id=team))
    hand = offer_reassign if offer.status == OfferStatus.ACCEPTED else offer_assign
    hand(offer=offer, actor=request.user, assignee=data["assignee"])
    return _("%(lead)s handed to %(assignee)s.") % {"lead": lead, "assignee": data["assignee"]}


def _touch(request, lead, offer):
    data = _valid(TouchForm(request.POST))
    touch_log(lead=lead, actor=request.user, **data)
    kind = data["kind"]
    if kind in TOUCH_LOGGED:
        return TOUCH_LOGGED[kind] % {"lead": lead}
    return _("Logged a %(kind)s with %(lead)s.") % {"kind": kind, "lead": lead}


def _disposition(request, lead, offer):
    data = _valid(DispositionForm(request.POST))
    record = lead_disposition(lead=lead, actor=request.user, **data)
    # Translators: a lead, what was recorded on it (won, lost…), the stage it moved to.
    return _("%(lead)s: %(disposition)s, now in %(stage)s.") % {
        "lead": lead,
        "disposition": record.get_kind_display().lower(),
        "stage": record.transition.to_stage,
    }


ACTIONS = {
    "accept": _accept,
    "claim": _claim,
    "reject": _reject,
    "assign": _assign,
    "touch": _touch,
    "disposition": _disposition,
}
# The actions that decide an offer; the others work a lead.
OFFER_ACTIONS = ("accept", "claim", "reject", "assign")


def action_run(request: HttpRequest, action: str, lead: Lead, offer: Offer | None):
    """Run one action: (the confirmation, "") or ("", the refusal in words). Nothing is
    written when it is refused."""
    try:
        return ACTIONS[action](request, lead, offer), ""
    except DomainError as exc:
        return "", exc.message
    except ValidationError as exc:
        return "", "; ".join(exc.messages)
