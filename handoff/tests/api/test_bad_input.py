"""No input makes a lead action or the routing simulation answer 500.

Each field of each body is replaced in turn by values of the wrong kind; every answer is a
client error in the one error shape, or a success when the value happens to be acceptable.
Each request runs in a savepoint that is rolled back, so each starts from the same lead.
"""

import pytest
from django.db import transaction

from handoff.models import Offer
from handoff.services.offers import offer_accept

GARBAGE = [
    None,
    True,
    -1,
    0,
    10**20,
    1e308,
    "",
    "x" * 300,
    [],
    {},
    {"nested": {"deeper": [1, 2]}},
    [1, "two"],
    "2026-13-45T25:61:00",
    "nul\x00byte",
    "NaN",
    "-Infinity",
]

BODIES = {
    "accept": {"note": "ok"},
    "reject": {"reason": "not_icp", "note": "ok"},
    "assign": {"assignee": "api_rep_b"},
    "disposition": {
        "disposition": "won",
        "reason": "",
        "amount": "100.00",
        "note": "ok",
        "close_date": "2026-03-31",
        "competitor": "",
    },
    "touches": {"kind": "call", "outcome": "connected", "at": "2026-01-05T10:00:00Z", "note": ""},
}
FIELDS = [(action, field) for action, body in BODIES.items() for field in body]


def _sweep(client, url, body, field):
    for value in GARBAGE:
        with transaction.atomic():
            response = client.post(url, {**body, field: value}, format="json")
            transaction.set_rollback(True)
        assert response.status_code < 500, (field, value)
        if response.status_code >= 400:
            assert set(response.json()) >= {"detail", "code"}, (field, value)


@pytest.mark.parametrize(("action", "field"), FIELDS)
def test_no_value_of_any_field_breaks_a_lead_action(people, worked_lead, client_for, action, field):
    if action in ("disposition", "touches"):  # on a lead rep_a holds
        offer_accept(
            offer=Offer.objects.get(lead=worked_lead, status="pending"), actor=people.rep_a
        )
    client = client_for(people.admin)

    _sweep(client, f"/api/v1/leads/{worked_lead.pk}/{action}/", BODIES[action], field)


@pytest.mark.parametrize(
    "field",
    [
        "lead",
        "handoff",
        "lead_fields",
        *[
            f"lead_fields.{f}"
            for f in ("country", "region", "industry", "employees", "score", "source", "campaign")
        ],
    ],
)
def test_no_value_of_any_field_breaks_the_simulation(people, worked_lead, client_for, field):
    client = client_for(people.admin)
    if field.startswith("lead_fields."):
        name = field.split(".")[1]
        for value in GARBAGE:
            response = client.post(
                "/api/v1/routing/simulate/", {"lead_fields": {name: value}}, format="json"
            )
            assert response.status_code < 500, (field, value)
    else:
        body = {"lead": worked_lead.pk} if field != "lead_fields" else {}
        _sweep(client, "/api/v1/routing/simulate/", body, field)
