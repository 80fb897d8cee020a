"""SLA agreements: versions proposed, signed off by a leader of each side, then in force."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from funnel.models import HandoffPair, Role
from funnel.tests.factories import UserFactory
from handoff.models import (
    WARNING_TOO_LONG,
    BreachAction,
    Offer,
    OfferStatus,
    SlaAgreement,
    SlaClock,
    SlaStep,
)
from handoff.services.leads import lead_create
from handoff.services.offers import offer_route
from handoff.services.sla import (
    AGREEMENT_SUPERSEDED,
    ALREADY_SIGNED,
    NOT_A_LEADER,
    AgreementError,
    agreement_current,
    agreement_propose,
    agreement_sign_off,
)

SIGNED_AT = datetime.datetime(2026, 11, 24, 10, tzinfo=datetime.UTC)
STEPS = [(SlaClock.ACCEPT, 0, BreachAction.REMIND), (SlaClock.ACCEPT, 2, BreachAction.RECYCLE)]
TERMS = {
    "accept_within_hours": Decimal(4),
    "first_touch_within_hours": Decimal(6),
    "warn_before_hours": Decimal(1),
}


def _pair(key: str) -> HandoffPair:
    return HandoffPair.objects.select_related("sending_team", "receiving_team").get(key=key)


def _propose(key: str = "qi_qia", **terms) -> SlaAgreement:
    return agreement_propose(handoff=_pair(key), actor=None, steps=STEPS, **{**TERMS, **terms})


def _offer(key: str, email: str) -> Offer:
    stage = _pair(key).offered_stage.key
    lead = lead_create(actor=None, stage=stage, email=email)
    return Offer.objects.get(lead=lead, status=OfferStatus.PENDING)


def test_a_proposal_is_the_next_version_and_not_in_force(sla_people):
    in_force = agreement_current(_pair("qi_qia"))

    proposal = _propose()

    assert (in_force.version, proposal.version) == (1, 2)
    assert proposal.effective_at is None
    assert (proposal.marketing_signoff_at, proposal.sales_signoff_at) == (None, None)
    assert sorted(proposal.steps.values_list("clock", "after_hours", "action")) == [
        ("accept", Decimal(0), "remind"),
        ("accept", Decimal(2), "recycle"),
    ]
    assert agreement_current(_pair("qi_qia")) == in_force


def test_the_sending_teams_manager_signs_the_marketing_side(sla_people):
    """Marketing sends QI → QIA."""
    manager = sla_people.managers["marketing"]

    signed = agreement_sign_off(agreement=_propose("qi_qia"), actor=manager)

    assert signed.marketing_signoff_by == manager
    assert signed.marketing_signoff_at is not None
    assert (signed.sales_signoff_by, signed.effective_at) == (None, None)
    assert agreement_current(_pair("qi_qia")).version == 1


def test_the_inside_manager_signs_the_sending_side_of_mql_sal(sla_people):
    """Inside sends MQL → SAL, so its manager signs that handoff's marketing side."""
    manager = sla_people.managers["inside"]

    signed = agreement_sign_off(agreement=_propose("mql_sal"), actor=manager)

    assert signed.marketing_signoff_by == manager
    assert signed.sales_signoff_by is None


def test_the_receiving_teams_sign_off_puts_the_version_in_force(sla_people, time_machine):
    proposal = _propose("qi_qia")
    agreement_sign_off(agreement=proposal, actor=sla_people.managers["marketing"])
    time_machine.move_to(SIGNED_AT, tick=False)

    signed = agreement_sign_off(agreement=proposal, actor=sla_people.managers["inside"])

    assert signed.sales_signoff_by == sla_people.managers["inside"]
    assert signed.effective_at == SIGNED_AT
    assert agreement_current(_pair("qi_qia")) == signed


def test_the_sales_side_may_sign_first(sla_people):
    proposal = _propose("mql_sal")

    agreement_sign_off(agreement=proposal, actor=sla_people.managers["sales"])
    assert agreement_current(_pair("mql_sal")).version == 1
    signed = agreement_sign_off(agreement=proposal, actor=sla_people.managers["inside"])

    assert signed.effective_at is not None
    assert agreement_current(_pair("mql_sal")) == signed


def test_a_member_with_the_manager_role_signs_for_their_team(sla_people):
    """The team's recorded manager is not the only leader: any manager in the team may sign."""
    deputy = UserFactory(username="sla_deputy", role=Role.MANAGER, team=sla_people.teams["sales"])

    signed = agreement_sign_off(agreement=_propose("mql_sal"), actor=deputy)

    assert signed.sales_signoff_by == deputy


def test_new_offers_take_the_version_in_force_and_older_offers_keep_theirs(
    sla_people, time_machine
):
    time_machine.move_to(SIGNED_AT, tick=False)
    older = _offer("mql_sal", "older@example.com")
    proposal = _propose("mql_sal")
    agreement_sign_off(agreement=proposal, actor=sla_people.managers["inside"])
    agreement_sign_off(agreement=proposal, actor=sla_people.managers["sales"])

    newer = _offer("mql_sal", "newer@example.com")

    assert Offer.objects.get(pk=older.pk).agreement.version == 1
    assert newer.agreement == proposal
    # Each is timed by its own version: 8 working hours against 4.
    older, newer = (offer_route(offer_id=o.pk, now=SIGNED_AT) for o in (older, newer))
    assert older.accept_due_at == SIGNED_AT + datetime.timedelta(days=1)  # Wednesday 10:00
    assert newer.accept_due_at == SIGNED_AT + datetime.timedelta(hours=4)  # Tuesday 14:00


def test_someone_who_leads_neither_team_is_refused(sla_people):
    proposal = _propose("qi_qia")
    pair = _pair("qi_qia")
    message = NOT_A_LEADER.format(sender=pair.sending_team, receiver=pair.receiving_team)

    for outsider in (sla_people.reps[0], sla_people.managers["sales"], sla_people.marketer):
        with pytest.raises(AgreementError, match=re.escape(message)):
            agreement_sign_off(agreement=proposal, actor=outsider)

    proposal.refresh_from_db()
    assert (proposal.marketing_signoff_at, proposal.sales_signoff_at) == (None, None)


def test_the_same_side_cannot_sign_twice(sla_people):
    proposal = _propose("qi_qia")
    agreement_sign_off(agreement=proposal, actor=sla_people.managers["marketing"])
    colleague = UserFactory(
        username="sla_mkt_deputy", role=Role.MANAGER, team=sla_people.teams["marketing"]
    )

    with pytest.raises(
        AgreementError, match=re.escape(ALREADY_SIGNED.format(side="marketing", version=2))
    ):
        agreement_sign_off(agreement=proposal, actor=colleague)

    proposal.refresh_from_db()
    assert proposal.marketing_signoff_by == sla_people.managers["marketing"]
    assert proposal.effective_at is None


def test_a_superseded_version_cannot_be_signed(sla_people):
    superseded = _propose("qi_qia")
    _propose("qi_qia")

    with pytest.raises(AgreementError, match=re.escape(AGREEMENT_SUPERSEDED.format(version=2))):
        agreement_sign_off(agreement=superseded, actor=sla_people.managers["marketing"])

    superseded.refresh_from_db()
    assert superseded.marketing_signoff_at is None


@pytest.mark.parametrize(
    "terms",
    [
        {"accept_within_hours": Decimal(0)},
        {"accept_within_hours": Decimal(-4)},
        {"first_touch_within_hours": Decimal(0)},
        {"touches_within_days": 0},
        {"work_within_days": 0},
    ],
)
def test_terms_out_of_range_are_refused_and_write_nothing(sla_people, terms):
    before = (SlaAgreement.objects.count(), SlaStep.objects.count())

    with pytest.raises(ValidationError) as refused:
        _propose(**terms)

    assert set(refused.value.message_dict) == set(terms)
    assert (SlaAgreement.objects.count(), SlaStep.objects.count()) == before


@pytest.mark.parametrize(
    ("terms", "shortest"),
    [
        ({"warn_before_hours": Decimal(4)}, Decimal(4)),  # at the accept deadline
        ({"warn_before_hours": Decimal(5)}, Decimal(4)),  # past it
        ({"accept_within_hours": Decimal(8), "warn_before_hours": Decimal(6)}, Decimal(6)),
    ],
)
def test_a_warning_not_before_the_due_time_is_refused_and_writes_nothing(
    sla_people, terms, shortest
):
    before = (SlaAgreement.objects.count(), SlaStep.objects.count())

    with pytest.raises(ValidationError, match=re.escape(WARNING_TOO_LONG.format(hours=shortest))):
        _propose(**terms)

    assert (SlaAgreement.objects.count(), SlaStep.objects.count()) == before


def test_a_negative_warning_is_refused_and_writes_nothing(sla_people):
    """-1 would schedule the "warning" an hour after the deadline it warns of."""
    before = (SlaAgreement.objects.count(), SlaStep.objects.count())

    with pytest.raises(ValidationError) as refused:
        _propose(warn_before_hours=Decimal(-1))

    assert set(refused.value.message_dict) == {"warn_before_hours"}
    assert (SlaAgreement.objects.count(), SlaStep.objects.count()) == before


def test_a_bad_step_refuses_the_whole_proposal(sla_people):
    before = (SlaAgreement.objects.count(), SlaStep.objects.count())

    with pytest.raises(ValidationError) as refused:
        agreement_propose(
            handoff=_pair("qi_qia"),
            actor=None,
            steps=[*STEPS, (SlaClock.ACCEPT, 4, "explode")],
            **TERMS,
        )

    assert "action" in refused.value.message_dict
    assert (SlaAgreement.objects.count(), SlaStep.objects.count()) == before


def test_a_draft_made_bad_after_proposal_cannot_be_signed_into_force(sla_people):
    """The admin edits drafts directly; sign-off holds them to the same terms."""
    draft = _propose()
    SlaAgreement.objects.filter(pk=draft.pk).update(warn_before_hours=Decimal(50))
    marketing_lead = sla_people.managers["marketing"]

    with pytest.raises(ValidationError, match="warn_before_hours"):
        agreement_sign_off(agreement=draft, actor=marketing_lead)

    draft.refresh_from_db()
    assert draft.marketing_signoff_at is None


def test_a_duplicate_rung_is_refused_as_bad_input(sla_people):
    with pytest.raises(ValidationError):
        agreement_propose(
            handoff=_pair("qi_qia"),
            actor=None,
            steps=[*STEPS, STEPS[0]],
            **TERMS,
        )
