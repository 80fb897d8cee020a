from decimal import Decimal

import pytest
from django.core.management import call_command

from funnel import defaults
from funnel.models import HandoffPair, ReasonCode, Stage, StageMove, Team


@pytest.mark.django_db
def test_it_installs_the_default_funnel(capsys):
    call_command("setup_funnel")

    assert list(Stage.objects.values_list("key", flat=True)) == [
        "inquiry", "qi", "qia", "mql", "sal", "sql", "won", "lost", "recycle", "disqualified"
    ]  # fmt: skip
    assert set(Team.objects.values_list("key", flat=True)) == {"marketing", "inside", "sales"}
    pairs = {
        p.key: (p.offered_stage.key, p.accepted_stage.key, p.sending_team.key,
                p.receiving_team.key, p.target_rate)
        for p in HandoffPair.objects.all()
    }  # fmt: skip
    assert pairs == {
        "qi_qia": ("qi", "qia", "marketing", "inside", Decimal("1.000")),
        "mql_sal": ("mql", "sal", "inside", "sales", Decimal("1.000")),
    }
    assert StageMove.objects.count() == len(defaults.MOVES)
    assert "created 3 teams, 10 stages, 27 moves, 2 handoffs, 20 reasons" in capsys.readouterr().out
    purposes = set(ReasonCode.objects.values_list("purpose", flat=True))
    assert purposes == {"reject", "disqualify", "recycle", "lost"}


@pytest.mark.django_db
def test_running_it_twice_keeps_what_users_changed(capsys):
    """A second run adds nothing and undoes no edit, rename or removal."""
    call_command("setup_funnel")
    Stage.objects.filter(key="mql").update(name="Hot lead")
    HandoffPair.objects.filter(key="mql_sal").update(target_rate=Decimal("0.6"))
    StageMove.objects.filter(from_stage__key="inquiry", to_stage__key="mql").delete()
    ReasonCode.objects.filter(code="no_budget").update(label="Budget frozen")
    counts = [m.objects.count() for m in (Team, Stage, StageMove, HandoffPair, ReasonCode)]

    call_command("setup_funnel")

    assert "nothing was changed" in capsys.readouterr().out
    assert [m.objects.count() for m in (Team, Stage, StageMove, HandoffPair, ReasonCode)] == counts
    assert Stage.objects.get(key="mql").name == "Hot lead"
    assert HandoffPair.objects.get(key="mql_sal").target_rate == Decimal("0.600")
    assert not StageMove.objects.filter(from_stage__key="inquiry", to_stage__key="mql").exists()
    assert ReasonCode.objects.get(code="no_budget").label == "Budget frozen"
