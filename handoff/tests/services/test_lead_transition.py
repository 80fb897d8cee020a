import re
import threading

import pytest
from django.db import DatabaseError, connection, transaction

from funnel import defaults
from funnel.models import HandoffPair, ReasonCode, Role, Stage, StageMove
from funnel.rules import (
    ConcurrentChange,
    MoveNotAllowed,
    ReasonRequired,
    RoleNotAllowed,
    StageUnknown,
)
from handoff.models import Lead, StageTransition
from handoff.services.leads import lead_transition
from handoff.tests.factories import LeadFactory, UserFactory

ALLOWED = {(src, dst) for src, dst, _, _ in defaults.MOVES if src}
STAGE_KEYS = [key for key, *_ in defaults.STAGES]
REFUSED = [(s, d) for s in STAGE_KEYS for d in STAGE_KEYS if s != d and (s, d) not in ALLOWED]


def _move_for(src: str, dst: str):
    return next(m for m in defaults.MOVES if m[0] == src and m[1] == dst)


@pytest.mark.parametrize(("src", "dst"), sorted(ALLOWED))
def test_every_allowed_move_of_the_default_funnel(funnel, src, dst):
    """Each allowed move succeeds for a role it names, and writes exactly one transition."""
    _, _, roles, purposes = _move_for(src, dst)
    actor = UserFactory(role=roles[0])
    lead = LeadFactory(stage=Stage.objects.get(key=src))
    reason = ReasonCode.objects.filter(purpose=purposes[0]).first() if purposes else None
    handoff = HandoffPair.objects.filter(accepted_stage__key=dst).first()

    move = lead_transition(lead=lead, to=dst, actor=actor, reason=reason, handoff=handoff)

    lead.refresh_from_db()
    assert lead.stage.key == dst
    assert lead.team_id == lead.stage.team_id
    assert (move.from_stage.key, move.to_stage.key, move.actor) == (src, dst, actor)
    assert move.reason == reason
    assert StageTransition.objects.filter(lead=lead).count() == 1


@pytest.mark.parametrize(("src", "dst"), REFUSED)
def test_every_refused_move_of_the_default_funnel(funnel, src, dst):
    """A move the funnel does not list is refused, says why, and changes nothing."""
    admin = UserFactory(role=Role.ADMIN)
    lead = LeadFactory(stage=Stage.objects.get(key=src))

    with pytest.raises(MoveNotAllowed) as refused:
        lead_transition(lead=lead, to=dst, actor=admin)

    src_name, dst_name = (Stage.objects.get(key=k).name for k in (src, dst))
    assert str(refused.value) == f"A lead in {src_name} cannot move to {dst_name}."
    lead.refresh_from_db()
    assert lead.stage.key == src
    assert not StageTransition.objects.exists()


def test_a_role_the_move_does_not_name_is_refused(funnel):
    rep = UserFactory(role=Role.SALES)
    lead = LeadFactory(stage=Stage.objects.get(key="inquiry"))

    with pytest.raises(RoleNotAllowed, match=r"Your role \(sales\) may not move a lead"):
        lead_transition(lead=lead, to="qi", actor=rep)

    assert Lead.objects.get(pk=lead.pk).stage.key == "inquiry"


def test_superusers_act_as_admins(funnel):
    boss = UserFactory(role=Role.SALES, is_superuser=True)
    lead = LeadFactory(stage=Stage.objects.get(key="inquiry"))

    lead_transition(lead=lead, to="qi", actor=boss)

    assert Lead.objects.get(pk=lead.pk).stage.key == "qi"


def test_moves_are_data_a_user_can_change(funnel):
    """Granting a role a move in the table is enough; no code names the roles."""
    rep = UserFactory(role=Role.SALES)
    move = StageMove.objects.get(from_stage__key="inquiry", to_stage__key="qi")
    move.roles = [*move.roles, Role.SALES]
    move.save()
    lead = LeadFactory(stage=Stage.objects.get(key="inquiry"))

    lead_transition(lead=lead, to="qi", actor=rep)

    assert Lead.objects.get(pk=lead.pk).stage.key == "qi"


def test_the_accepted_stage_is_entered_only_through_its_handoff(funnel):
    rep = UserFactory(role=Role.SALES)
    lead = LeadFactory(stage=Stage.objects.get(key="mql"))

    with pytest.raises(MoveNotAllowed) as refused:
        lead_transition(lead=lead, to="sal", actor=rep)

    assert str(refused.value) == (
        "Sales Accepted Lead is entered only by accepting the mql_sal handoff."
    )
    wrong_pair = HandoffPair.objects.get(key="qi_qia")
    with pytest.raises(MoveNotAllowed):
        lead_transition(lead=lead, to="sal", actor=rep, handoff=wrong_pair)
    assert not StageTransition.objects.exists()


def test_unknown_and_inactive_stages_are_refused(funnel):
    admin = UserFactory(role=Role.ADMIN)
    lead = LeadFactory(stage=Stage.objects.get(key="inquiry"))
    Stage.objects.filter(key="qi").update(active=False)

    with pytest.raises(
        StageUnknown, match=re.escape("Stage 'nope' does not exist or is not active.")
    ):
        lead_transition(lead=lead, to="nope", actor=admin)
    with pytest.raises(StageUnknown, match="Stage 'qi' does not exist"):
        lead_transition(lead=lead, to="qi", actor=admin)
    assert not StageTransition.objects.exists()


def test_a_move_that_needs_a_reason_is_refused_without_one(funnel):
    rep = UserFactory(role=Role.SALES)
    lead = LeadFactory(stage=Stage.objects.get(key="sql"))

    with pytest.raises(
        ReasonRequired, match=re.escape("Moving to Lost needs a reason of purpose: lost.")
    ):
        lead_transition(lead=lead, to="lost", actor=rep)

    assert Lead.objects.get(pk=lead.pk).stage.key == "sql"


def test_a_reason_of_the_wrong_purpose_is_refused(funnel):
    rep = UserFactory(role=Role.SALES)
    lead = LeadFactory(stage=Stage.objects.get(key="sql"))
    spam = ReasonCode.objects.get(purpose="disqualify", code="spam")

    with pytest.raises(ReasonRequired, match="Reason 'spam' is a disqualify reason"):
        lead_transition(lead=lead, to="lost", actor=rep, reason=spam)


def test_a_retired_reason_is_refused(funnel):
    rep = UserFactory(role=Role.SALES)
    lead = LeadFactory(stage=Stage.objects.get(key="sql"))
    price = ReasonCode.objects.get(purpose="lost", code="price")
    price.active = False
    price.save()

    with pytest.raises(ReasonRequired, match=re.escape("Reason 'price' is no longer in use.")):
        lead_transition(lead=lead, to="lost", actor=rep, reason=price)


def test_recycling_counts_each_return_to_marketing(funnel):
    rep = UserFactory(role=Role.SALES)
    marketer = UserFactory(role=Role.MARKETING)
    not_now = ReasonCode.objects.get(purpose="recycle", code="not_now")
    lead = LeadFactory(stage=Stage.objects.get(key="sal"))

    lead_transition(lead=lead, to="recycle", actor=rep, reason=not_now)
    lead_transition(lead=lead, to="mql", actor=marketer)

    lead.refresh_from_db()
    assert (lead.stage.key, lead.recycle_count) == ("mql", 1)
    assert list(lead.transitions.values_list("to_stage__key", flat=True)) == ["recycle", "mql"]


def test_the_system_may_make_any_listed_move(funnel):
    """No actor stands for the system (an SLA timer); it is recorded as such."""
    expired = ReasonCode.objects.get(purpose="recycle", code="sla_expired")
    lead = LeadFactory(stage=Stage.objects.get(key="sal"))

    move = lead_transition(lead=lead, to="recycle", actor=None, reason=expired)

    assert (move.actor, move.actor_label) == (None, "system")


def test_an_integration_is_recorded_by_name(funnel):
    crm = UserFactory(username="salesforce", role=Role.INTEGRATION)
    lead = LeadFactory(stage=Stage.objects.get(key="sql"))

    move = lead_transition(lead=lead, to="won", actor=crm)

    assert (move.actor, move.actor_label) == (crm, "salesforce")


def test_a_stale_lead_is_refused_as_changed_meanwhile(funnel):
    """The caller's copy says SQL, but someone already closed it: nothing is applied."""
    rep = UserFactory(role=Role.SALES)
    lead = LeadFactory(stage=Stage.objects.get(key="sql"))
    stale = Lead.objects.get(pk=lead.pk)
    lead_transition(lead=lead, to="won", actor=rep)

    lost = ReasonCode.objects.get(purpose="lost", code="price")
    with pytest.raises(
        ConcurrentChange, match="changed by someone else meanwhile: it is now in Won"
    ):
        lead_transition(lead=stale, to="lost", actor=rep, reason=lost)

    assert Lead.objects.get(pk=lead.pk).stage.key == "won"
    assert StageTransition.objects.filter(lead=lead).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_moves_exactly_one_wins():
    """Two reps close the same opportunity at once, each from their own connection."""
    from funnel.services import funnel_setup_defaults

    funnel_setup_defaults()
    lead = LeadFactory(stage=Stage.objects.get(key="sql"))
    reps = [UserFactory(role=Role.SALES), UserFactory(role=Role.SALES)]
    price = ReasonCode.objects.get(purpose="lost", code="price")
    start = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def close(i: int, to: str) -> None:
        try:
            seen = Lead.objects.get(pk=lead.pk)
            start.wait()
            outcomes[i] = lead_transition(
                lead=seen, to=to, actor=reps[i], reason=price if to == "lost" else None
            )
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=close, args=(0, "won")),
        threading.Thread(target=close, args=(1, "lost")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    winners = [o for o in outcomes if isinstance(o, StageTransition)]
    losers = [o for o in outcomes if isinstance(o, ConcurrentChange)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    lead.refresh_from_db()
    assert lead.stage == winners[0].to_stage
    assert StageTransition.objects.filter(lead=lead).count() == 1


def test_a_transition_row_cannot_be_changed_or_deleted(funnel):
    rep = UserFactory(role=Role.SALES)
    lead = LeadFactory(stage=Stage.objects.get(key="sql"))
    move = lead_transition(lead=lead, to="won", actor=rep)

    # Raw SQL, below the ORM: the database trigger itself refuses.
    for sql in (
        "UPDATE funnel_stagetransition SET note = 'rewritten' WHERE id = %s",
        "DELETE FROM funnel_stagetransition WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append_only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [move.pk])

    assert StageTransition.objects.get(pk=move.pk).note == ""
