"""Two bulk requests creating some of the same new leads at once, each in its own order (as
`make soak` found: `deadlock detected`): both succeed, and each person is one lead."""

import pytest

from funnel.services import funnel_setup_defaults
from handoff.models import Lead
from handoff.services.ingest import RowStatus, leads_ingest
from handoff.services.setup import handoff_setup_defaults
from handoff.tests.races import at_once

TRIES = 5
SHARED = 200


def _rows(names: list[int]) -> list[tuple[int, dict]]:
    return [
        (index, {"external_id": f"race-{n}", "email": f"race{n}@acme.com", "company": "Acme"})
        for index, n in enumerate(names)
    ]


@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_in_opposite_orders_both_succeed_with_one_lead_each(sla_enqueues):
    funnel_setup_defaults()
    handoff_setup_defaults()
    for attempt in range(TRIES):
        shared = list(range(attempt * 1000, attempt * 1000 + SHARED))
        batches = [_rows(shared), _rows(shared[::-1])]
        outcomes = at_once(
            *(lambda rows=rows: leads_ingest(actor=None, rows=rows) for rows in batches)
        )

        assert not [o for o in outcomes if isinstance(o, Exception)], (attempt, outcomes)
        statuses = {r.status for results in outcomes for r in results}
        assert statuses <= {RowStatus.CREATED, RowStatus.UNCHANGED}, statuses
        made = Lead.objects.filter(external_id__in=[f"race-{n}" for n in shared])
        assert made.count() == SHARED
        # Every row of both answers names the one lead of its person.
        for results, rows in zip(outcomes, batches, strict=True):
            by_id = dict(made.values_list("external_id", "pk"))
            assert [r.id for r in results] == [by_id[f["external_id"]] for _, f in rows]
