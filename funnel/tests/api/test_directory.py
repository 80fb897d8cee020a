"""The directory API: users, teams, stages, reason codes, campaigns."""

import pytest
from django.db import transaction

from funnel.models import Campaign, ReasonCode, Role, User
from funnel.services import CAMPAIGN_ENDS_BEFORE_START

ROLES = [*Role.values, "superuser"]


# --- users -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_everyone_signed_in_reads_the_people(as_role, role):
    response = as_role(role).get("/api/v1/users/", {"team": "sales"})

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": User.objects.get(username=name).pk,
            "username": name,
            "first_name": "",
            "last_name": "",
            "email": f"{name}@example.com",
            "role": role_,
            "team": "sales",
            "is_active": active,
        }
        for name, role_, active in [
            ("dir_gone", "sales", False),
            ("dir_manager", "manager", True),
            ("dir_rep", "sales", True),
        ]
    ]


def test_anonymous_callers_read_nothing(as_role):
    for url in ["users", "teams", "stages", "reason-codes"]:
        assert as_role(None).get(f"/api/v1/{url}/").status_code == 401, url


def test_people_are_filtered_by_role_activity_and_search(as_role):
    client = as_role(Role.ADMIN)

    def names(**params):
        return [u["username"] for u in client.get("/api/v1/users/", params).json()["results"]]

    assert names(role="manager") == ["dir_manager"]
    assert names(team="sales", is_active="false") == ["dir_gone"]
    assert names(q="rep") == ["dir_rep"]
    assert client.get("/api/v1/users/", {"role": "king"}).status_code == 400


def test_a_superuser_is_listed_as_an_admin(as_role):
    client = as_role("superuser")

    root = client.get("/api/v1/users/", {"q": "dir_root"}).json()["results"][0]

    assert root["role"] == "admin"


NEW_USER = {
    "username": "jo",
    "password": "correct-horse-battery",
    "email": "jo@example.com",
    "first_name": "Jo",
    "last_name": "Park",
    "role": "inside",
    "team": "inside",
}


@pytest.mark.parametrize("role", [Role.ADMIN, "superuser"])
def test_an_admin_adds_a_person(as_role, role):
    response = as_role(role).post("/api/v1/users/", NEW_USER, format="json")

    assert response.status_code == 201, response.json()
    assert response.json() == {
        "id": User.objects.get(username="jo").pk,
        "username": "jo",
        "first_name": "Jo",
        "last_name": "Park",
        "email": "jo@example.com",
        "role": "inside",
        "team": "inside",
        "is_active": True,
    }
    jo = User.objects.get(username="jo")
    assert jo.check_password("correct-horse-battery") is True
    assert (jo.is_superuser, jo.is_staff) == (False, False)


@pytest.mark.parametrize(
    "role", [Role.MARKETING, Role.INSIDE, Role.SALES, Role.MANAGER, Role.INTEGRATION, None]
)
def test_only_admins_add_people(as_role, role):
    response = as_role(role).post("/api/v1/users/", NEW_USER, format="json")

    assert response.status_code == (401 if role is None else 403)
    assert not User.objects.filter(username="jo").exists()


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"password": "password"}, {"password"}),  # too common
        ({"password": "short"}, {"password"}),
        ({"password": "84736251902"}, {"password"}),  # all numbers
        ({"password": "jo@example.com"}, {"password"}),  # like the email
        ({"username": "dir_rep"}, {"username"}),  # taken
        ({"username": "jo smith!"}, {"username"}),
        ({"username": "j" * 151}, {"username"}),
        ({"email": "not-an-email"}, {"email"}),
        ({"role": "king"}, {"role"}),
        ({"team": "nope"}, {"team"}),
        ({"team": {"key": "sales"}}, {"team"}),
        ({"is_superuser": True, "is_staff": True}, {"is_superuser", "is_staff"}),
        ({"password": "short", "username": "dir_rep"}, {"password", "username"}),
    ],
)
def test_a_person_refused_says_which_fields_are_wrong(as_role, change, fields):
    client = as_role(Role.ADMIN)
    people = User.objects.count()

    response = client.post("/api/v1/users/", {**NEW_USER, **change}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields
    assert User.objects.count() == people


# --- teams and stages --------------------------------------------------------------------


def test_teams_show_their_manager_clock_and_active_members(as_role):
    response = as_role(Role.SALES).get("/api/v1/teams/")

    sales = next(team for team in response.json()["results"] if team["key"] == "sales")
    assert sales == {
        "key": "sales",
        "name": "Sales",
        "manager": "dir_manager",
        "time_zone": "UTC",
        "workday_start": "09:00:00",
        "workday_end": "17:00:00",
        "working_days": [0, 1, 2, 3, 4],
        "member_count": 2,  # the manager and the rep; not dir_gone, who left
    }


def test_stages_come_in_funnel_order(as_role):
    results = as_role(Role.SALES).get("/api/v1/stages/").json()["results"]

    assert [stage["key"] for stage in results][:6] == ["inquiry", "qi", "qia", "mql", "sal", "sql"]
    assert results[3] | {"criteria": "…"} == {
        "key": "mql",
        "name": "Marketing Qualified Lead",
        "team": "inside",
        "position": 40,
        "kind": "open",
        "criteria": "…",
        "active": True,
    }


# --- reason codes ------------------------------------------------------------------------


def test_reason_codes_in_use_by_purpose(as_role):
    ReasonCode.objects.filter(purpose="reject", code="duplicate").update(active=False)
    client = as_role(Role.SALES)

    rejects = client.get("/api/v1/reason-codes/", {"purpose": "reject"}).json()["results"]

    assert [r["code"] for r in rejects] == [
        "not_icp",
        "no_budget",
        "no_authority",
        "not_ready",
        "bad_data",
    ]
    assert rejects[0] == {
        "code": "not_icp",
        "label": "Not our ideal customer profile",
        "purpose": "reject",
    }
    everything = client.get("/api/v1/reason-codes/", {"page_size": 500}).json()
    assert everything["count"] == ReasonCode.objects.filter(active=True).count()
    assert client.get("/api/v1/reason-codes/", {"purpose": "whim"}).status_code == 400


# --- campaigns ---------------------------------------------------------------------------

CAMPAIGN = {
    "name": "Spring webinar",
    "channel": "webinar",
    "start": "2026-03-01",
    "end": "2026-03-31",
    "cost": "1500.00",
}


@pytest.mark.parametrize("role", [Role.MARKETING, Role.ADMIN, Role.INTEGRATION, "superuser"])
def test_marketing_adds_a_campaign(as_role, role):
    response = as_role(role).post("/api/v1/campaigns/", CAMPAIGN, format="json")

    assert response.status_code == 201, response.json()
    assert response.json() == {"id": Campaign.objects.get().pk, **CAMPAIGN}


@pytest.mark.parametrize("role", [Role.SALES, Role.INSIDE, Role.MANAGER, None])
def test_sales_roles_read_campaigns_but_do_not_add_them(as_role, role):
    Campaign.objects.create(name="Existing")
    client = as_role(role)

    assert client.post("/api/v1/campaigns/", CAMPAIGN, format="json").status_code == (
        401 if role is None else 403
    )
    listed = client.get("/api/v1/campaigns/")
    if role is not None:
        assert [c["name"] for c in listed.json()["results"]] == ["Existing"]


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"end": "2026-02-28"}, {"end"}),
        ({"name": "Existing"}, {"name"}),
        ({"name": ""}, {"name"}),
        ({"channel": "carrier_pigeon"}, {"channel"}),
        ({"start": "2026-02-30"}, {"start"}),
        ({"start": "yesterday"}, {"start"}),
        ({"cost": "-1"}, {"cost"}),
        ({"cost": "1e20"}, {"cost"}),
        ({"cost": "free"}, {"cost"}),
        ({"cost": {"amount": 1}}, {"cost"}),
        ({"id": 7}, {"id"}),
    ],
)
def test_a_bad_campaign_is_refused(as_role, change, fields):
    Campaign.objects.create(name="Existing")

    response = as_role(Role.MARKETING).post(
        "/api/v1/campaigns/", {**CAMPAIGN, **change}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields
    assert Campaign.objects.count() == 1


def test_a_campaign_ending_before_it_starts_says_so(as_role):
    response = as_role(Role.MARKETING).post(
        "/api/v1/campaigns/", {**CAMPAIGN, "end": "2026-02-01"}, format="json"
    )

    assert response.json()["errors"] == {"end": [CAMPAIGN_ENDS_BEFORE_START]}


def test_campaigns_are_filtered_by_channel(as_role):
    Campaign.objects.create(name="Paid Q1", channel="paid_search")
    Campaign.objects.create(name="Webinar Q1", channel="webinar")

    results = as_role(Role.SALES).get("/api/v1/campaigns/", {"channel": "webinar"}).json()

    assert [c["name"] for c in results["results"]] == ["Webinar Q1"]


# --- pagination --------------------------------------------------------------------------


def test_a_page_holds_at_most_500(as_role):
    User.objects.bulk_create(User(username=f"bulk{n:04d}") for n in range(501))

    page = as_role(Role.SALES).get("/api/v1/users/", {"page_size": 10_000}).json()

    assert (page["count"], len(page["results"])) == (User.objects.count(), 500)
    assert page["next"] is not None and page["previous"] is None


@pytest.mark.parametrize("params", [{"page": 99}, {"page": "abc"}])
def test_a_page_that_does_not_exist_answers_404(as_role, params):
    response = as_role(Role.SALES).get("/api/v1/stages/", params)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- input of the wrong kind ---------------------------------------------------------------

GARBAGE = [
    None,
    True,
    -1,
    10**20,
    1e308,
    "",
    "x" * 300,
    [],
    {},
    {"nested": {"deeper": [1, 2]}},
    "2026-13-45",
    "nul\x00byte",
    "NaN",
]
WRITES = [
    ("post", "/api/v1/users/", NEW_USER),
    ("post", "/api/v1/campaigns/", CAMPAIGN),
]


@pytest.mark.parametrize(
    ("method", "url", "field"),
    [(method, url, field) for method, url, body in WRITES for field in body],
)
def test_no_value_of_any_field_breaks_a_write(as_role, method, url, field):
    client = as_role(Role.ADMIN)
    body = next(body for m, u, body in WRITES if u == url)
    for value in GARBAGE:
        with transaction.atomic():
            response = getattr(client, method)(url, {**body, field: value}, format="json")
            transaction.set_rollback(True)
        assert response.status_code < 500, (field, value)
        if response.status_code >= 400:
            assert set(response.json()) >= {"detail", "code"}, (field, value)


@pytest.mark.parametrize("url", ["users", "teams", "stages", "reason-codes", "campaigns"])
@pytest.mark.parametrize(
    "param", ["page", "page_size", "ordering", "q", "role", "team", "is_active", "purpose"]
)
def test_no_query_breaks_a_list(as_role, url, param):
    client = as_role(Role.ADMIN)
    for value in ["-1", "0", "9" * 30, "abc", "", "nul\x00byte", "-id,,name", "__class__"]:
        response = client.get(f"/api/v1/{url}/", {param: value})

        assert response.status_code in (200, 400, 404), (param, value)
