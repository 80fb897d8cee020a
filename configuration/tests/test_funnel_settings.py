"""The /settings/ pages of the funnel's definition and its people (configuration/views/funnel.py):
who may open each page and who may write, what each write changes and records in the audit
trail, refusals that change nothing, objects out of a manager's reach, pinned query counts."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from funnel.models import Campaign, ReasonCode, Role, Stage, StageMove, Team, Territory, User
from funnel.rules import StageUnknown, stage_get
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from handoff.tests.factories import LeadFactory
from reporting.weekly.data import _campaigns

ANONYMOUS = "anonymous"
WHO = (*Role.values, ANONYMOUS)
A, M, MG = Role.ADMIN, Role.MARKETING, Role.MANAGER

# Who reads each part and who edits it: written out here, not read from parts.py, so that a
# change of the table has to change this test too.
READS = {
    "stages": {A, M, MG},
    "moves": {A, M},
    "reasons": {A, M, MG},
    "campaigns": {A, M},
    "teams": {A, MG},
    "territories": {A, MG},
    "users": {A, MG},
}
EDITS = {
    "stages": {A, M},
    "moves": {A, M},
    "reasons": {A, M},
    "campaigns": {A, M},
    "teams": {A},
    "territories": {A},
    "users": {A},
}


@pytest.fixture
def world(db):
    """The default funnel; one user of each role (the manager manages sales), an inside rep
    (another team's), a sales rep, a territory, a campaign."""
    funnel_setup_defaults()
    teams = {team.key: team for team in Team.objects.all()}
    people = {
        A: UserFactory(username="cf_admin", role=A),
        M: UserFactory(username="cf_marketing", role=M, team=teams["marketing"]),
        Role.INSIDE: UserFactory(username="cf_inside", role=Role.INSIDE, team=teams["inside"]),
        Role.SALES: UserFactory(username="cf_sales", role=Role.SALES, team=teams["sales"]),
        MG: UserFactory(username="cf_manager", role=MG, team=teams["sales"]),
        Role.INTEGRATION: UserFactory(username="cf_integration", role=Role.INTEGRATION),
    }
    teams["sales"].manager = people[MG]
    teams["sales"].save(update_fields=["manager"])
    territory = Territory.objects.create(key="dach", name="DACH", countries=["DE", "AT"])
    campaign = Campaign.objects.create(name="Spring webinar", channel="webinar")
    return SimpleNamespace(
        people=people,
        teams=teams,
        rep=people[Role.SALES],
        other_team_user=people[Role.INSIDE],
        territory=territory,
        campaign=campaign,
        stage=Stage.objects.get(key="inquiry"),
        move=StageMove.objects.get(from_stage__key="inquiry", to_stage__key="qi"),
        reason=ReasonCode.objects.get(purpose="lost", code="price"),
    )


def client_for(world, who: str) -> Client:
    client = Client()
    if who != ANONYMOUS:
        client.force_login(world.people[who])
    return client


def last_change(obj) -> LogEntry:
    """The newest audit entry of `obj`."""
    ct = ContentType.objects.get_for_model(type(obj))
    return LogEntry.objects.filter(content_type=ct, object_id=obj.pk).latest("timestamp", "id")


# --- the index and the header ---------------------------------------------------------------------


@pytest.mark.parametrize("who", WHO)
def test_index_lists_the_parts_each_role_reads(world, who):
    """The index links every funnel part the role reads, and none it does not."""
    response = client_for(world, who).get(reverse("configuration:index"))
    if who == ANONYMOUS:
        assert response.status_code == 302
        return
    assert response.status_code == 200
    html = response.content.decode()
    for key, readers in READS.items():
        link = f'href="{reverse(f"configuration:{key}")}"'
        assert (link in html) is (who in readers), (who, key)


@pytest.mark.parametrize("who", Role.values)
def test_every_role_has_a_settings_link_that_opens(world, who):
    """The header links Settings for every role, so every role must read some part."""
    client = client_for(world, who)
    page = client.get(reverse("handoff:notifications")).content.decode()
    assert f'href="{reverse("configuration:index")}"' in page
    assert client.get(reverse("configuration:index")).status_code == 200


# --- every page with every role -------------------------------------------------------------------


def _pages(world):
    """(part, url name, kwargs, "list" | "add" | "edit") of every page that answers a GET."""
    objects = {
        "stages": ("stage", world.stage),
        "moves": ("move", world.move),
        "reasons": ("reason", world.reason),
        "campaigns": ("campaign", world.campaign),
        "teams": ("team", world.teams["sales"]),
        "territories": ("territory", world.territory),
        "users": ("user", world.rep),
    }
    for key, (name, obj) in objects.items():
        yield key, f"configuration:{key}", {}, "list"
        yield key, f"configuration:{name}-add", {}, "add"
        yield key, f"configuration:{name}-edit", {"pk": obj.pk}, "edit"


@pytest.mark.parametrize("who", WHO)
def test_every_page_answers_each_role(world, who):
    """Readers open lists and edit pages (read-only for those who may not edit); add pages
    are the editors'; any other role gets 403, anonymous visitors the sign-in page."""
    client = client_for(world, who)
    for key, name, kwargs, kind in _pages(world):
        response = client.get(reverse(name, kwargs=kwargs))
        if who == ANONYMOUS:
            expected = 302
        elif kind == "add":
            expected = 200 if who in EDITS[key] else 403
        else:
            expected = 200 if who in READS[key] else 403
        assert response.status_code == expected, (who, name, response.status_code)
        if expected == 200 and kind != "list":
            html = response.content.decode()
            editable = who in EDITS[key] or (key == "teams" and who == MG)
            assert ('class="primary">Save<' in html) is editable, (who, name)


# --- writes by the roles that edit, recorded in the audit trail -----------------------------------


def test_a_marketer_renames_a_stage_and_the_trail_says_who_and_what(world):
    client = client_for(world, M)
    url = reverse("configuration:stage-edit", args=[world.stage.pk])
    response = client.post(
        url,
        {"name": "Raw inquiry", "team": world.teams["marketing"].pk, "kind": "open",
         "entry_criteria": "Any response.", "key": "ignored"},
    )  # fmt: skip
    assert response.status_code == 302
    world.stage.refresh_from_db()
    assert (world.stage.name, world.stage.key) == ("Raw inquiry", "inquiry")  # the key stays
    entry = last_change(world.stage)
    assert entry.actor == world.people[M]
    assert entry.changes_dict["name"] == ["Inquiry", "Raw inquiry"]
    page = client.get(url).content.decode()
    assert "cf_marketing" in page and "Raw inquiry" in page


def test_adding_a_stage_places_it_last(world):
    client = client_for(world, A)
    response = client.post(
        reverse("configuration:stage-add"),
        {"key": "nurture", "name": "Nurture", "team": world.teams["marketing"].pk, "kind": "open",
         "entry_criteria": ""},
    )  # fmt: skip
    assert response.status_code == 302
    stage = Stage.objects.get(key="nurture")
    assert stage.active
    assert stage.position > max(s.position for s in Stage.objects.exclude(pk=stage.pk))
    assert last_change(stage).actor == world.people[A]


def test_moving_a_stage_up_renumbers_the_funnel_in_one_call(world):
    client = client_for(world, M)
    qi = Stage.objects.get(key="qi")
    response = client.post(
        reverse("configuration:stage-reorder", args=[qi.pk]), {"direction": "up"}
    )
    assert response.status_code == 302
    order = list(Stage.objects.order_by("position").values_list("key", flat=True))
    assert order[:3] == ["qi", "inquiry", "qia"]
    positions = list(Stage.objects.order_by("position").values_list("position", flat=True))
    assert positions == [10 * n for n in range(1, len(positions) + 1)]
    qi.refresh_from_db()
    assert last_change(qi).changes_dict["position"] == ["20", "10"]


def test_a_stage_with_leads_is_retired_and_keeps_them(world):
    """No lead may enter a retired stage; the leads in it stay, and it can come back."""
    lead = LeadFactory(stage=world.stage)
    client = client_for(world, M)
    edit = client.get(reverse("configuration:stage-edit", args=[world.stage.pk]))
    assert "1 lead is in this stage now" in edit.content.decode()
    response = client.post(reverse("configuration:stage-retire", args=[world.stage.pk]))
    assert response.status_code == 302
    world.stage.refresh_from_db()
    assert world.stage.active is False
    lead.refresh_from_db()
    assert lead.stage_id == world.stage.pk
    with pytest.raises(StageUnknown):
        stage_get("inquiry")
    assert last_change(world.stage).changes_dict["active"] == ["True", "False"]
    client.post(reverse("configuration:stage-reactivate", args=[world.stage.pk]))
    assert stage_get("inquiry").pk == world.stage.pk


@pytest.mark.parametrize(
    ("key", "says"), [("qi", "is a stage of the"), ("won", "the only active stage of kind Won")]
)
def test_retiring_a_stage_the_funnel_needs_is_refused(world, key, says):
    stage = Stage.objects.get(key=key)
    client = client_for(world, M)
    response = client.post(reverse("configuration:stage-retire", args=[stage.pk]), follow=True)
    assert says in response.content.decode()
    stage.refresh_from_db()
    assert stage.active is True


def test_a_move_is_allowed_edited_and_removed(world):
    client = client_for(world, M)
    lost, recycle = Stage.objects.get(key="lost"), Stage.objects.get(key="recycle")
    response = client.post(
        reverse("configuration:move-add"),
        {"from_stage": recycle.pk, "to_stage": lost.pk, "roles": ["sales", "manager"],
         "reason_purposes": ["lost"]},
    )  # fmt: skip
    assert response.status_code == 302
    move = StageMove.objects.get(from_stage=recycle, to_stage=lost)
    assert (move.roles, move.reason_purposes) == (["sales", "manager"], ["lost"])
    client.post(
        reverse("configuration:move-edit", args=[move.pk]),
        {"roles": ["sales"], "reason_purposes": [], "to_stage": world.stage.pk},
    )
    move.refresh_from_db()
    assert (move.roles, move.reason_purposes, move.to_stage_id) == (["sales"], [], lost.pk)
    assert last_change(move).changes_dict["roles"] == ['["sales", "manager"]', '["sales"]']
    client.post(reverse("configuration:move-remove", args=[move.pk]))
    assert not StageMove.objects.filter(pk=move.pk).exists()
    assert last_change(move).action == LogEntry.Action.DELETE


def test_the_move_a_handoff_accepts_by_cannot_be_removed(world):
    move = StageMove.objects.get(from_stage__key="qi", to_stage__key="qia")
    client = client_for(world, A)
    response = client.post(reverse("configuration:move-remove", args=[move.pk]), follow=True)
    assert "handoff accepts by the move" in response.content.decode()
    assert StageMove.objects.filter(pk=move.pk).exists()


def test_a_reason_code_is_added_relabelled_and_retired(world):
    client = client_for(world, M)
    client.post(
        reverse("configuration:reason-add"),
        {"code": "merger", "label": "Company merged", "purpose": "lost", "position": 9,
         "active": "on"},
    )  # fmt: skip
    reason = ReasonCode.objects.get(code="merger", purpose="lost")
    assert reason.active
    client.post(
        reverse("configuration:reason-edit", args=[reason.pk]),
        {"label": "Acquired", "position": 2, "code": "other", "purpose": "reject"},
    )
    reason.refresh_from_db()
    assert (reason.code, reason.purpose, reason.label, reason.active) == (
        "merger", "lost", "Acquired", False
    )  # fmt: skip
    entry = last_change(reason)
    assert entry.actor == world.people[M]
    assert entry.changes_dict["label"] == ["Company merged", "Acquired"]


def test_a_campaign_starting_next_week_fills_the_weekly_report(world):
    today = timezone.localdate()
    week = today - datetime.timedelta(days=today.weekday())  # this week's Monday
    start = week + datetime.timedelta(days=8)
    client = client_for(world, M)
    response = client.post(
        reverse("configuration:campaign-add"),
        {"name": "Autumn event", "channel": "event", "start": start.isoformat(),
         "end": (start + datetime.timedelta(days=2)).isoformat(), "cost": "1500.00"},
    )  # fmt: skip
    assert response.status_code == 302
    assert [c["name"] for c in _campaigns(week)] == ["Autumn event"]
    campaign = Campaign.objects.get(name="Autumn event")
    client.post(
        reverse("configuration:campaign-edit", args=[campaign.pk]),
        {"name": "Autumn summit", "channel": "event", "start": start.isoformat(), "end": "",
         "cost": "1500.00"},
    )  # fmt: skip
    campaign.refresh_from_db()
    assert (campaign.name, campaign.end) == ("Autumn summit", None)
    assert last_change(campaign).changes_dict["name"] == ["Autumn event", "Autumn summit"]


def test_an_admin_adds_a_team_with_its_clock(world):
    client = client_for(world, A)
    response = client.post(
        reverse("configuration:team-add"),
        {"name": "EMEA sales", "key": "emea", "manager": world.people[MG].pk,
         "time_zone": "Europe/Berlin", "workday_start": "08:00", "workday_end": "16:30",
         "working_days": ["0", "1", "2", "3"]},
    )  # fmt: skip
    assert response.status_code == 302
    team = Team.objects.get(key="emea")
    assert (team.time_zone, team.workday_start, team.workday_end, team.working_days) == (
        "Europe/Berlin", datetime.time(8), datetime.time(16, 30), [0, 1, 2, 3]
    )  # fmt: skip


def test_a_manager_sets_their_own_teams_hours_and_nothing_else(world):
    sales = world.teams["sales"]
    client = client_for(world, MG)
    response = client.post(
        reverse("configuration:team-edit", args=[sales.pk]),
        {"name": "Renamed", "key": "renamed", "manager": "", "time_zone": "America/New_York",
         "workday_start": "08:30", "workday_end": "17:30",
         "working_days": ["0", "1", "2", "3", "4"]},
    )  # fmt: skip
    assert response.status_code == 302
    sales.refresh_from_db()
    assert (sales.name, sales.key, sales.manager_id) == ("Sales", "sales", world.people[MG].pk)
    assert (sales.time_zone, sales.workday_start) == ("America/New_York", datetime.time(8, 30))
    entry = last_change(sales)
    assert entry.actor == world.people[MG]
    assert entry.changes_dict["time_zone"] == ["UTC", "America/New_York"]


def test_a_manager_may_not_change_another_teams_hours(world):
    inside = world.teams["inside"]
    client = client_for(world, MG)
    assert client.get(reverse("configuration:team-edit", args=[inside.pk])).status_code == 200
    response = client.post(
        reverse("configuration:team-edit", args=[inside.pk]),
        {"time_zone": "Asia/Tokyo", "workday_start": "09:00", "workday_end": "17:00",
         "working_days": ["0"]},
    )  # fmt: skip
    assert response.status_code == 403
    inside.refresh_from_db()
    assert inside.time_zone == "UTC"


def test_a_territory_gets_countries_and_members(world):
    client = client_for(world, A)
    response = client.post(
        reverse("configuration:territory-edit", args=[world.territory.pk]),
        {"name": "DACH", "countries": "de, at ch", "members": [world.rep.pk]},
    )
    assert response.status_code == 302
    world.territory.refresh_from_db()
    assert world.territory.countries == ["DE", "AT", "CH"]
    world.rep.refresh_from_db()
    assert world.rep.territory_id == world.territory.pk
    assert last_change(world.rep).changes_dict["territory"] == ["None", "DACH"]
    # Unticked, the member leaves the territory.
    client.post(
        reverse("configuration:territory-edit", args=[world.territory.pk]),
        {"name": "DACH", "countries": "DE"},
    )
    world.rep.refresh_from_db()
    assert world.rep.territory_id is None


def test_an_admin_creates_a_user_who_sets_their_own_password(world):
    client = client_for(world, A)
    response = client.post(
        reverse("configuration:user-add"),
        {"username": "newrep", "first_name": "New", "last_name": "Rep",
         "email": "newrep@example.com", "role": "sales", "team": world.teams["sales"].pk,
         "territory": world.territory.pk},
    )  # fmt: skip
    assert response.status_code == 200
    user = User.objects.get(username="newrep")
    assert (user.role, user.team_id, user.territory_id) == ("sales", world.teams["sales"].pk,
                                                            world.territory.pk)  # fmt: skip
    assert not user.has_usable_password()
    link = response.context["link"]
    assert link in response.content.decode()
    assert "no-store" in response["Cache-Control"]  # shown once, kept by no cache
    # The link opens Django's set-password form for that user.
    anonymous = Client()
    form = anonymous.get(link, follow=True)
    assert "new_password1" in form.content.decode()
    done = anonymous.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-long-pass-phrase-9", "new_password2": "a-long-pass-phrase-9"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-long-pass-phrase-9")
    assert last_change(user).actor == world.people[A]


def test_an_admin_deactivates_a_user_who_stays(world):
    client = client_for(world, A)
    rep = world.rep
    response = client.post(
        reverse("configuration:user-edit", args=[rep.pk]),
        {"first_name": rep.first_name, "last_name": "Gone", "email": rep.email,
         "role": "sales", "team": rep.team_id, "territory": ""},
    )  # fmt: skip
    assert response.status_code == 302
    rep.refresh_from_db()
    assert (rep.is_active, rep.last_name) == (False, "Gone")
    assert last_change(rep).changes_dict["is_active"] == ["True", "False"]


def test_an_admin_cannot_deactivate_or_demote_themselves(world):
    admin = world.people[A]
    response = client_for(world, A).post(
        reverse("configuration:user-edit", args=[admin.pk]),
        {"first_name": "", "last_name": "", "email": admin.email, "role": "sales", "team": "",
         "territory": ""},
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "You cannot deactivate your own account." in html
    assert "You cannot change your own role" in html
    admin.refresh_from_db()
    assert (admin.is_active, admin.role) == (True, A)


# --- writes by those who may only read, or not at all ---------------------------------------------


def _writes(world):
    """(part, url, a valid body) of each write, which must change nothing when refused."""
    sales = world.teams["sales"]
    return [
        ("stages", reverse("configuration:stage-add"),
         {"key": "x1", "name": "X", "team": sales.pk, "kind": "open"}),
        ("stages", reverse("configuration:stage-edit", args=[world.stage.pk]),
         {"name": "X", "team": sales.pk, "kind": "open"}),
        ("stages", reverse("configuration:stage-reorder", args=[world.stage.pk]),
         {"direction": "down"}),
        ("stages", reverse("configuration:stage-retire", args=[world.stage.pk]), {}),
        ("moves", reverse("configuration:move-add"),
         {"from_stage": world.stage.pk, "to_stage": Stage.objects.get(key="lost").pk,
          "roles": ["sales"]}),
        ("moves", reverse("configuration:move-edit", args=[world.move.pk]), {"roles": ["sales"]}),
        ("moves", reverse("configuration:move-remove", args=[world.move.pk]), {}),
        ("reasons", reverse("configuration:reason-add"),
         {"code": "x1", "label": "X", "purpose": "lost", "position": 0}),
        ("reasons", reverse("configuration:reason-edit", args=[world.reason.pk]),
         {"label": "X", "position": 0}),
        ("campaigns", reverse("configuration:campaign-add"),
         {"name": "X", "channel": "other", "cost": "0"}),
        ("campaigns", reverse("configuration:campaign-edit", args=[world.campaign.pk]),
         {"name": "X", "channel": "other", "cost": "0"}),
        ("teams", reverse("configuration:team-add"),
         {"name": "X", "key": "x1", "time_zone": "UTC", "workday_start": "09:00",
          "workday_end": "17:00", "working_days": ["0"]}),
        ("territories", reverse("configuration:territory-add"),
         {"name": "X", "key": "x1", "countries": "DE"}),
        ("territories", reverse("configuration:territory-edit", args=[world.territory.pk]),
         {"name": "X", "countries": "FR"}),
        ("users", reverse("configuration:user-add"), {"username": "x1", "role": "sales"}),
        ("users", reverse("configuration:user-edit", args=[world.rep.pk]),
         {"role": "admin", "email": "x@example.com", "team": "", "territory": ""}),
    ]  # fmt: skip


def _snapshot():
    """Every row of the configuration (a sign-in's last_login aside)."""
    return [
        [
            {k: v for k, v in row.items() if k != "last_login"}
            for row in model.objects.order_by("pk").values()
        ]
        for model in (Stage, StageMove, ReasonCode, Campaign, Team, Territory, User)
    ]


@pytest.mark.parametrize("who", [r for r in Role.values if r != A] + [ANONYMOUS])
def test_each_write_by_a_role_that_may_not_edit_is_refused_and_changes_nothing(world, who):
    client = client_for(world, who)
    before = _snapshot()
    entries = LogEntry.objects.count()
    for key, url, body in _writes(world):
        if who in EDITS[key]:
            continue
        response = client.post(url, body)
        expected = 302 if who == ANONYMOUS else 403
        assert response.status_code == expected, (who, url, response.status_code)
    assert _snapshot() == before
    assert LogEntry.objects.count() == entries


def test_a_manager_cannot_reach_people_of_another_team(world):
    client = client_for(world, MG)
    other = world.other_team_user
    url = reverse("configuration:user-edit", args=[other.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"role": "admin"}).status_code == 404
    listing = client.get(reverse("configuration:users")).content.decode()
    assert world.rep.username in listing and other.username not in listing
    # Their own team's people they read, and may not change.
    own = reverse("configuration:user-edit", args=[world.rep.pk])
    assert client.get(own).status_code == 200
    assert client.post(own, {"role": "admin"}).status_code == 403
    world.rep.refresh_from_db()
    assert world.rep.role == Role.SALES


def test_an_unknown_id_is_a_404(world):
    client = client_for(world, A)
    for name in ("stage-edit", "move-edit", "reason-edit", "campaign-edit", "team-edit",
                 "territory-edit", "user-edit", "stage-retire", "move-remove"):  # fmt: skip
        url = reverse(f"configuration:{name}", args=[999_999])
        method = client.post if name in ("stage-retire", "move-remove") else client.get
        assert method(url).status_code == 404, name


# --- bad input: the form again, with the errors and the input kept; nothing changed ---------------


def _bad_inputs(world):
    sales = world.teams["sales"]
    return [
        ("stage key taken", A, reverse("configuration:stage-add"),
         {"key": "qi", "name": "Second QI", "team": sales.pk, "kind": "open"},
         "Stage with this Key already exists.", "Second QI"),
        ("stage key not a slug", M, reverse("configuration:stage-add"),
         {"key": "a b", "name": "Spaced", "team": sales.pk, "kind": "open"},
         "Enter a valid", "Spaced"),
        ("move exists", M, reverse("configuration:move-add"),
         {"from_stage": world.stage.pk, "to_stage": Stage.objects.get(key="qi").pk,
          "roles": ["marketing"]},
         "is already an allowed move", 'value="marketing" id="id_roles_1" checked'),
        ("reason code taken", M, reverse("configuration:reason-add"),
         {"code": "price", "label": "Too dear", "purpose": "lost", "position": 0},
         "This purpose already has a reason with this code.", "Too dear"),
        ("campaign ends before start", M, reverse("configuration:campaign-add"),
         {"name": "Backwards", "channel": "other", "start": "2026-05-10", "end": "2026-05-01",
          "cost": "0"},
         "A campaign cannot end before it starts.", "Backwards"),
        ("campaign name taken", M, reverse("configuration:campaign-edit",
                                           args=[Campaign.objects.create(name="Other").pk]),
         {"name": "Spring webinar", "channel": "other", "cost": "0"},
         "already exists", "Spring webinar"),
        ("unknown time zone", A, reverse("configuration:team-edit", args=[sales.pk]),
         {"name": "Sales 2", "manager": "", "time_zone": "Mars/Olympus", "workday_start": "09:00",
          "workday_end": "17:00", "working_days": ["0"]},
         "Select a valid choice", "Sales 2"),
        ("workday ends before it starts", MG, reverse("configuration:team-edit", args=[sales.pk]),
         {"time_zone": "Europe/Paris", "workday_start": "17:00", "workday_end": "09:00",
          "working_days": ["0"]},
         "The working day must end after it starts.", 'value="17:00"'),
        ("no working day", A, reverse("configuration:team-edit", args=[sales.pk]),
         {"name": "Sales", "time_zone": "UTC", "workday_start": "09:00", "workday_end": "17:00"},
         "This field is required.", 'value="09:00"'),
        ("country code not ISO", A, reverse("configuration:territory-edit",
                                            args=[world.territory.pk]),
         {"name": "DACH+", "countries": "DE, XX"},
         "Not valid: XX", "DACH+"),
        ("country code shape", A, reverse("configuration:territory-add"),
         {"name": "Benelux", "key": "benelux", "countries": "BE, NLD"},
         "Not valid: NLD", "Benelux"),
        ("territory key taken", A, reverse("configuration:territory-add"),
         {"name": "Dach again", "key": "dach", "countries": "DE"},
         "Territory with this Key already exists.", "Dach again"),
        ("username taken", A, reverse("configuration:user-add"),
         {"username": "cf_sales", "email": "dup@example.com", "role": "sales"},
         "A user with that username already exists.", "dup@example.com"),
        ("email not an email", A, reverse("configuration:user-edit", args=[world.rep.pk]),
         {"email": "not-an-email", "role": "sales", "first_name": "Keep me"},
         "Enter a valid email address.", "Keep me"),
    ]  # fmt: skip


def test_bad_input_shows_the_form_again_and_changes_nothing(world):
    for case, who, url, body, error, kept in _bad_inputs(world):
        before = _snapshot()
        entries = LogEntry.objects.count()
        response = client_for(world, who).post(url, body)
        assert response.status_code == 400, case
        html = response.content.decode()
        assert error in html, case
        assert kept in html, case
        assert _snapshot() == before, case
        assert LogEntry.objects.count() == entries, case


# --- query counts of the list pages ---------------------------------------------------------------


def _more_rows(world, prefix: str, n: int):
    sales = world.teams["sales"]
    for i in range(n):
        team = Team.objects.create(key=f"{prefix}-team-{i}", name=f"{prefix} team {i}")
        stage = Stage.objects.create(key=f"{prefix}-{i}", name=f"{prefix} {i}", team=team,
                                     position=500 + i)  # fmt: skip
        StageMove.objects.create(from_stage=world.stage, to_stage=stage)
        ReasonCode.objects.create(code=f"{prefix}{i}", label=f"{prefix} {i}", purpose="lost")
        Campaign.objects.create(name=f"{prefix} campaign {i}")
        territory = Territory.objects.create(key=f"{prefix}-{i}", name=f"{prefix} {i}",
                                             countries=["FR"])  # fmt: skip
        UserFactory(username=f"{prefix}_user_{i}", team=sales, territory=territory)


@pytest.mark.parametrize(
    ("name", "who", "most"),
    [
        ("stages", M, 8),
        ("moves", M, 8),
        ("reasons", M, 8),
        ("campaigns", M, 9),
        ("teams", MG, 10),
        ("territories", A, 9),
        ("users", A, 9),
        ("users", MG, 10),
    ],
)
def test_list_pages_take_a_fixed_number_of_queries(
    world, django_assert_max_num_queries, name, who, most
):
    """The same count with 3 or 13 more rows of each kind (and their audit entries)."""
    client = client_for(world, who)
    url = reverse(f"configuration:{name}")
    _more_rows(world, "few", 3)
    client.get(url)  # content types and the session cached, as on any later page
    with django_assert_max_num_queries(most):
        assert client.get(url).status_code == 200
    _more_rows(world, "many", 10)
    with django_assert_max_num_queries(most):
        assert client.get(url).status_code == 200
