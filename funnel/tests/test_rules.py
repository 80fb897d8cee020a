"""The allowed-move rule: which stage a lead may enter from where, by whom, with which reason."""

import re

import pytest
from django.core.exceptions import ValidationError

from funnel.models import ReasonCode, Role, Stage
from funnel.rules import (
    ENTRY_NOT_ALLOWED,
    HANDOFF_ONLY,
    MOVE_NOT_ALLOWED,
    REASON_REQUIRED,
    REASON_UNKNOWN_FOR_MOVE,
    ROLE_NOT_ALLOWED,
    STAGE_UNKNOWN,
    MoveNotAllowed,
    ReasonRequired,
    RoleNotAllowed,
    StageUnknown,
    entry_stages_for,
    move_check,
    reason_for_move,
    stage_get,
)
from funnel.tests.factories import UserFactory


def _stage(key: str) -> Stage:
    return Stage.objects.get(key=key)


def test_an_unknown_or_retired_stage_is_refused(funnel):
    Stage.objects.filter(key="qi").update(active=False)

    for key in ("nowhere", "qi"):
        with pytest.raises(StageUnknown, match=re.escape(STAGE_UNKNOWN.format(key=key))):
            stage_get(key)


def test_a_move_the_funnel_does_not_list_is_refused(funnel):
    inquiry, won = _stage("inquiry"), _stage("won")

    with pytest.raises(MoveNotAllowed) as refused:
        move_check(from_stage=inquiry, to_stage=won, actor=None, reason=None, handoff=None)

    assert refused.value.message == MOVE_NOT_ALLOWED.format(from_stage=inquiry, to_stage=won)
    assert (refused.value.code, refused.value.status) == ("move_not_allowed", 409)


def test_a_new_lead_starts_only_in_an_entry_stage(funnel):
    with pytest.raises(MoveNotAllowed, match=re.escape(ENTRY_NOT_ALLOWED.format(to_stage="Won"))):
        move_check(from_stage=None, to_stage=_stage("won"), actor=None, reason=None, handoff=None)


def test_the_accepted_side_of_a_handoff_is_entered_only_through_it(funnel):
    with pytest.raises(MoveNotAllowed) as refused:
        move_check(
            from_stage=_stage("mql"), to_stage=_stage("sal"), actor=None, reason=None, handoff=None
        )

    assert refused.value.message == HANDOFF_ONLY.format(to_stage=_stage("sal"), handoff="mql_sal")


def test_a_role_the_move_does_not_name_is_refused(funnel):
    rep = UserFactory(role=Role.SALES)

    with pytest.raises(RoleNotAllowed) as refused:
        move_check(
            from_stage=_stage("inquiry"),
            to_stage=_stage("qi"),
            actor=rep,
            reason=None,
            handoff=None,
        )

    assert refused.value.message == ROLE_NOT_ALLOWED.format(
        role="sales", from_stage=_stage("inquiry"), to_stage=_stage("qi")
    )
    assert refused.value.status == 403


def test_a_move_that_needs_a_reason_is_refused_without_one(funnel):
    with pytest.raises(ReasonRequired) as refused:
        move_check(
            from_stage=_stage("sal"),
            to_stage=_stage("recycle"),
            actor=None,
            reason=None,
            handoff=None,
        )

    assert refused.value.message == REASON_REQUIRED.format(
        to_stage=_stage("recycle"), purposes="recycle"
    )
    assert refused.value.status == 400


def test_entry_stages_are_those_the_role_may_add_leads_to(funnel):
    marketer, rep = UserFactory(role=Role.MARKETING), UserFactory(role=Role.SALES)

    assert [stage.key for stage in entry_stages_for(marketer)] == ["inquiry", "qi", "mql"]
    assert entry_stages_for(rep) == []


def test_a_reason_is_found_among_the_purposes_its_move_takes(funnel):
    # "unable_to_reach" is a recycle reason; SAL → recycle takes recycle reasons only.
    found = reason_for_move(from_stage_id=_stage("sal").pk, to="recycle", code="unable_to_reach")

    assert found == ReasonCode.objects.get(purpose="recycle", code="unable_to_reach")
    assert reason_for_move(from_stage_id=_stage("sal").pk, to="recycle", code="") is None
    with pytest.raises(ValidationError) as refused:
        reason_for_move(from_stage_id=_stage("sal").pk, to="recycle", code="spam")
    assert refused.value.message_dict == {"reason": [REASON_UNKNOWN_FOR_MOVE.format(code="spam")]}
