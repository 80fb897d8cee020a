"""One action on a lead, as every page posts it (the queue, the pipeline, the lead page): the
form that checks the input and the one service that does it. The API calls the same services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from handoff.forms import AssignForm, DispositionForm, RejectForm, TouchForm
from handoff.models import Lead, Offer, OfferStatus
from handoff.services.offers import offer_accept, offer_assign, offer_claim, offer_reject
from handoff.services.reassign import offer_reassign
from handoff.services.work import lead_disposition, touch_log
from leadflow.errors import DomainError

NO_OFFER = "{lead} has no open offer."


def _form_errors(form) -> str:
    """Each error with the label of its field, as the user saw it."""
    return "; ".join(
        " ".join(errors) if name == "__all__" else f"{form[name].label}: {' '.join(errors)}"
        for name, errors in form.errors.items()
    )


def _valid(form):
    if not form.is_valid():
        raise ValidationError(_form_errors(form))
    return form.cleaned_data


def _pending(lead: Lead, offer: Offer | None) -> Offer:
    if offer is None:
        raise ValidationError(NO_OFFER.format(lead=lead))
    return offer


def _accept(request, lead, offer):
    offer_accept(offer=_pending(lead, offer), actor=request.user)
    return f"Accepted {lead}: it is in your leads now."


def _claim(request, lead, offer):
    offer_claim(offer=_pending(lead, offer), actor=request.user)
    return f"{lead} is yours to accept or reject."


def _reject(request, lead, offer):
    data = _valid(RejectForm(request.POST))
    offer_reject(offer=_pending(lead, offer), actor=request.user, **data)
    return f"Rejected {lead}."


def _assign(request, lead, offer):
    """A waiting offer to a rep of its queue's team; a lead being worked to another rep."""
    offer = _pending(lead, offer)
    team = offer.queue_id or offer.handoff.receiving_team_id
    data = _valid(AssignForm(request.POST, team_id=team))
    hand = offer_reassign if offer.status == OfferStatus.ACCEPTED else offer_assign
    hand(offer=offer, actor=request.user, assignee=data["assignee"])
    return f"{lead} handed to {data['assignee']}."


def _touch(request, lead, offer):
    data = _valid(TouchForm(request.POST))
    touch_log(lead=lead, actor=request.user, **data)
    return f"Logged a {data['kind']} with {lead}."


def _disposition(request, lead, offer):
    data = _valid(DispositionForm(request.POST))
    record = lead_disposition(lead=lead, actor=request.user, **data)
    return f"{lead}: {record.get_kind_display().lower()}, now in {record.transition.to_stage}."


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
