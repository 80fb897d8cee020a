"""funnel 0006: each existing handoff's target becomes its first version, since 2000-01-01."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from funnel.services import funnel_setup_defaults

BEFORE = [("funnel", "0005_models_moved_out")]
AFTER = [("funnel", "0006_handoff_targets")]


@pytest.fixture
def back_to_0005(transactional_db):
    """funnel at 0005 for the test; every app at its latest migration again afterwards."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_each_pair_s_rate_becomes_a_version_known_since_2000(back_to_0005):
    old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    funnel_setup_defaults()
    old.get_model("funnel", "HandoffPair").objects.filter(key="mql_sal").update(
        target_rate=Decimal("0.8")
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    new = executor.loader.project_state(AFTER).apps
    versions = new.get_model("funnel", "HandoffTarget").objects.order_by("handoff__key")
    assert [(v.handoff.key, v.rate, v.effective_from, v.created_at) for v in versions] == [
        (
            "mql_sal",
            Decimal("0.800"),
            datetime.date(2000, 1, 1),
            datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
        ),
        (
            "qi_qia",
            Decimal("1.000"),
            datetime.date(2000, 1, 1),
            datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
        ),
    ]
