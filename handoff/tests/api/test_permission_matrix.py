"""Who may do what to a lead, through the API: every role against every lead endpoint.

The lead is `worked_lead`: owned by the inside qualifier, its MQL offer pending with api_rep_a
(sales), received by the sales manager. A lead a user may not see answers 404 on every
endpoint, never 403, so its existence is not revealed.
"""

import pytest

from handoff.models import Lead

ENDPOINTS = {
    # name: (method, path after /api/v1/leads/, body)
    "list": ("get", "", None),
    "detail": ("get", "{id}/", None),
    "patch": ("patch", "{id}/", {"company": "Acme Ltd"}),
    "transition": ("post", "{id}/transition/", {"to": "recycle", "reason": "not_now"}),
    "accept": ("post", "{id}/accept/", {"note": "Mine"}),
    "reject": ("post", "{id}/reject/", {"reason": "not_icp"}),
    "claim": ("post", "{id}/claim/", {}),
    "assign": ("post", "{id}/assign/", {"assignee": "api_rep_b"}),
    "disposition": ("post", "{id}/disposition/", {"disposition": "junk", "reason": "spam"}),
    "touches": ("post", "{id}/touches/", {"kind": "call", "outcome": "no_answer"}),
    "history": ("get", "{id}/history/", None),
}

# Expected status for the worked lead. Why the refusals:
# - transition (MQL → Recycle) is a move for sales, managers and admins (the funnel's roles);
# - accept / reject: the assignee, the receiving manager or an admin;
# - claim: the offer is assigned, not queued (409) for those who may act on it;
# - assign: the receiving manager or an admin;
# - disposition: the holder (owner or assignee), the owning team's manager (the lead is in
#   MQL, inside's stage) or an admin, and then the move's roles: junk from MQL is for sales;
# - touches: the holder, the owning team's manager, admins and integrations.
#
#                list detail patch  trans  accept reject claim  assign disp   touch  history
MATRIX = {
    "admin":       (200, 200,  200,   200,   200,   200,   409,   200,   200,   201,   200),
    "superuser":   (200, 200,  200,   200,   200,   200,   409,   200,   200,   201,   200),
    "marketing":   (200, 200,  200,   403,   403,   403,   403,   403,   403,   403,   200),
    "integration": (200, 200,  200,   403,   403,   403,   403,   403,   403,   201,   200),
    "inside":      (200, 200,  200,   403,   403,   403,   403,   403,   403,   201,   200),
    "sales":       (200, 200,  200,   200,   200,   200,   409,   403,   200,   201,   200),
    "manager":     (200, 200,  200,   200,   200,   200,   409,   200,   403,   403,   200),
    "anonymous":   (401, 401,  401,   401,   401,   401,   401,   401,   401,   401,   401),
}  # fmt: skip

PERSON = {
    "admin": "admin",
    "superuser": "superuser",
    "marketing": "marketer",
    "integration": "integration",
    "inside": "inside",
    "sales": "rep_a",
    "manager": "manager",
    "anonymous": None,
}
SEES_ALL = {"admin", "superuser", "marketing", "integration"}


def _cases() -> list:
    cases = []
    for role, statuses in MATRIX.items():
        for endpoint, expected in zip(ENDPOINTS, statuses, strict=True):
            cases.append(pytest.param(role, endpoint, expected, id=f"{role}-{endpoint}"))
    return cases


def _call(client, endpoint: str, lead: Lead):
    method, path, body = ENDPOINTS[endpoint]
    url = "/api/v1/leads/" + path.format(id=lead.pk)
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format="json")


def _user(people, role):
    return getattr(people, PERSON[role]) if PERSON[role] else None


@pytest.mark.parametrize(("role", "endpoint", "expected"), _cases())
def test_a_role_acting_on_a_lead_it_may_see(
    people, worked_lead, client_for, role, endpoint, expected
):
    response = _call(client_for(_user(people, role)), endpoint, worked_lead)

    assert response.status_code == expected, response.json()
    if endpoint == "list" and expected == 200:
        assert worked_lead.pk in [lead["id"] for lead in response.json()["results"]]
    if expected >= 400:
        assert set(response.json()) >= {"detail", "code"}


@pytest.mark.parametrize("role", MATRIX)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_lead_the_user_may_not_see_answers_404(people, hidden_leads, client_for, role, endpoint):
    # Roles that see every lead still do not see a duplicate merged into another lead.
    lead = hidden_leads.merged if role in SEES_ALL else hidden_leads.inquiry

    response = _call(client_for(_user(people, role)), endpoint, lead)

    if role == "anonymous":
        assert response.status_code == 401
    elif endpoint == "list":
        assert response.status_code == 200
        assert lead.pk not in [row["id"] for row in response.json()["results"]]
    else:
        assert response.status_code == 404, response.json()
        assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_refused_action_changes_nothing(people, worked_lead, client_for):
    """A marketer's accept is refused before anything is written."""
    response = _call(client_for(people.marketer), "accept", worked_lead)

    assert response.status_code == 403
    assert response.json()["code"] == "offer_forbidden"
    lead = Lead.objects.get(pk=worked_lead.pk)
    assert (lead.stage.key, lead.owner) == ("mql", people.inside)


# --- mass assignment ---------------------------------------------------------------------


def test_patch_refuses_fields_that_change_only_through_their_own_action(
    people, worked_lead, client_for
):
    client = client_for(people.admin)

    response = client.patch(
        f"/api/v1/leads/{worked_lead.pk}/",
        {
            "company": "Renamed Ltd",
            "stage": "won",
            "owner": "api_rep_b",
            "score": 99,
            "current_offer": None,
        },
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"stage", "owner", "score", "current_offer"}
    assert "transition" in errors["stage"][0]
    assert "offer" in errors["owner"][0]
    lead = Lead.objects.get(pk=worked_lead.pk)
    assert (lead.stage.key, lead.owner, lead.score, lead.company) == ("mql", people.inside, 0, "")
    assert lead.offers.get(status="pending").assignee == people.rep_a
