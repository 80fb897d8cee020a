import functools
import io
import operator

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import Lag
from django.utils import timezone

from funnel import demo
from funnel.management.commands.seed_demo import SKIPPED
from funnel.models import Lead, Role, StageTransition, Team, User

LEADS = 2000
RATIO_TOLERANCE = 0.06


@pytest.fixture
def seeded(db):
    call_command("seed_demo", leads=LEADS, weeks=12, seed=7)


def _stage_counts() -> dict[str, int]:
    return dict(Lead.objects.values_list("stage__key").annotate(n=Count("id")))


@pytest.mark.django_db
def test_step_ratios_match_the_constants(seeded):
    """Of the leads leaving each stage, the share that moves on is the configured ratio."""
    advanced = functools.reduce(
        operator.or_,
        (Q(from_stage__key=src, to_stage__key=dst) for src, dst in demo.STEP_RATES),
    )
    observed = {
        row["from_stage__key"]: row
        for row in StageTransition.objects.filter(from_stage__isnull=False)
        .values("from_stage__key")
        .annotate(left=Count("id"), advanced=Count("id", filter=advanced))
    }

    for (src, dst), rate in demo.STEP_RATES.items():
        row = observed[src]
        assert row["left"] >= 50, f"too few leads left {src} to measure {src}→{dst}"
        assert row["advanced"] / row["left"] == pytest.approx(rate, abs=RATIO_TOLERANCE), src


@pytest.mark.django_db
def test_every_lead_is_where_its_last_transition_put_it(seeded):
    last = StageTransition.objects.filter(lead=OuterRef("pk")).order_by("-at", "-id")
    first = StageTransition.objects.filter(lead=OuterRef("pk")).order_by("at", "id")
    leads = Lead.objects.annotate(
        last_to=Subquery(last.values("to_stage")[:1]),
        last_at=Subquery(last.values("at")[:1]),
        first_from=Subquery(first.values("from_stage")[:1]),
        first_at=Subquery(first.values("at")[:1]),
    )

    assert leads.count() == LEADS
    assert not leads.exclude(stage_id=F("last_to")).exists()
    assert not leads.exclude(stage_entered_at=F("last_at")).exists()
    assert not leads.exclude(team_id=F("stage__team_id")).exists()
    assert not leads.exclude(created_at=F("first_at")).exists()
    assert not leads.filter(first_from__isnull=False).exists()


@pytest.mark.django_db
def test_recycle_count_counts_moves_into_recycle(seeded):
    recycles = StageTransition.objects.filter(lead=OuterRef("pk"), to_stage__key="recycle")
    counted = Subquery(
        recycles.values("lead").annotate(n=Count("id")).values("n")[:1],
    )
    leads = Lead.objects.annotate(recycles=counted)

    assert not leads.filter(recycle_count=0, recycles__isnull=False).exists()
    assert not leads.filter(recycle_count__gt=0).exclude(recycle_count=F("recycles")).exists()
    assert leads.filter(recycle_count__gt=0, stage__key="qi").exists(), "no lead came back"


@pytest.mark.django_db
def test_history_is_in_order_and_never_in_the_future(seeded):
    moves = StageTransition.objects.annotate(
        previous_at=Window(Lag("at"), partition_by=[F("lead_id")], order_by=[F("at"), F("id")])
    )

    assert not StageTransition.objects.filter(at__gt=timezone.now()).exists()
    assert not moves.filter(previous_at__gte=F("at")).exists()


@pytest.mark.django_db
def test_owners_match_the_stage(seeded):
    inside = Lead.objects.filter(stage__key__in=["qia", "mql"])
    sales = Lead.objects.filter(stage__key__in=["sal", "sql", "won", "lost"])

    assert inside.exists() and sales.exists()
    assert not inside.exclude(owner__role=Role.INSIDE).exists()
    assert not sales.exclude(owner__role=Role.SALES).exists()


@pytest.mark.django_db
def test_staff_fill_the_teams_and_territories(seeded):
    reps = User.objects.filter(role=Role.SALES)

    assert reps.count() == demo.SALES_REPS
    assert not reps.filter(territory__isnull=True).exists()
    assert User.objects.filter(role=Role.INSIDE, team__key="inside").count() == (
        demo.INSIDE_QUALIFIERS
    )
    assert User.objects.filter(role=Role.MARKETING, team__key="marketing").count() == (
        demo.MARKETERS
    )
    assert not Team.objects.filter(manager__isnull=True).exists()
    assert not Team.objects.exclude(manager__team=F("pk")).exists()


@pytest.mark.django_db
def test_demo_requests_enter_at_mql(seeded):
    entries = StageTransition.objects.filter(from_stage__isnull=True)
    share = entries.filter(to_stage__key="mql").count() / entries.count()

    assert share == pytest.approx(demo.DEMO_REQUEST_SHARE, abs=0.02)


@pytest.mark.django_db
def test_a_second_run_is_refused(seeded):
    with pytest.raises(CommandError) as refused:
        call_command("seed_demo", leads=10, weeks=1, seed=8)

    assert str(refused.value) == demo.LEADS_EXIST.format(count=LEADS)
    assert Lead.objects.count() == LEADS


@pytest.mark.django_db
def test_if_empty_leaves_a_seeded_database_alone(seeded):
    out = io.StringIO()

    call_command("seed_demo", leads=10, weeks=1, seed=8, if_empty=True, stdout=out)

    assert SKIPPED in out.getvalue()
    assert Lead.objects.count() == LEADS


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_demo(seeded):
    # given: the first run's outcome
    counts = _stage_counts()
    leads = list(Lead.objects.order_by("id").values_list("email", "stage__key", "recycle_count"))

    # when: the leads are wiped (TRUNCATE does not fire the append-only trigger) and re-seeded
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE funnel_stagetransition, funnel_lead CASCADE")
    call_command("seed_demo", leads=LEADS, weeks=12, seed=7)

    # then
    assert _stage_counts() == counts
    assert (
        list(Lead.objects.order_by("id").values_list("email", "stage__key", "recycle_count"))
        == leads
    )
