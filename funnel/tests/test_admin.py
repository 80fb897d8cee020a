import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group

from funnel.models import (
    Campaign,
    HandoffPair,
    ReasonCode,
    Role,
    Stage,
    StageMove,
    Team,
    Territory,
    User,
)
from funnel.services import funnel_setup_defaults
from funnel.tests.admin_pages import admin_url, formset_data, post_data

pytestmark = pytest.mark.django_db

# The funnel's models and the auth ones beside them; other apps test their own admin.
REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label in {"funnel", "auth"}),
    key=lambda model: model._meta.label,
)


@pytest.fixture
def funnel():
    funnel_setup_defaults()


@pytest.fixture
def every_model_has_a_row(funnel, admin_user):
    Territory.objects.create(key="dach", name="DACH", countries=["DE", "AT", "CH"])
    Campaign.objects.create(name="Webinar 2025", channel=Campaign.Channel.WEBINAR)
    Group.objects.create(name="Marketers")


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_superuser_sees_every_changelist(admin_client, every_model_has_a_row, model):
    response = admin_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_superuser_sees_every_change_page(admin_client, every_model_has_a_row, model):
    obj = model._default_manager.first()

    response = admin_client.get(admin_url(model, "change", obj.pk))

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_staff_without_permissions_is_refused(staff_client, every_model_has_a_row, model):
    obj = model._default_manager.first()

    assert staff_client.get(admin_url(model, "changelist")).status_code == 403
    assert staff_client.get(admin_url(model, "change", obj.pk)).status_code == 403


def test_stage_move_inline_saves_checked_roles_as_list(admin_client, funnel):
    stage = Stage.objects.get(key="won")
    page = admin_client.get(admin_url(Stage, "change", stage.pk))
    data = post_data(page)
    data |= {
        "moves_out-TOTAL_FORMS": "1",
        "moves_out-0-to_stage": str(Stage.objects.get(key="recycle").pk),
        "moves_out-0-roles": [Role.MARKETING, Role.ADMIN],
        "moves_out-0-reason_purposes": ["recycle"],
    }

    response = admin_client.post(admin_url(Stage, "change", stage.pk), data)

    assert response.status_code == 302
    move = StageMove.objects.get(from_stage=stage)
    assert move.roles == ["marketing", "admin"]
    assert move.reason_purposes == ["recycle"]


def test_stage_move_inline_shows_stored_roles_ticked(admin_client, funnel):
    stage = Stage.objects.get(key="sql")

    response = admin_client.get(admin_url(Stage, "change", stage.pk))

    formset = response.context["inline_admin_formsets"][1].formset
    to_lost = next(form for form in formset.forms if form.instance.to_stage.key == "lost")
    assert to_lost["roles"].value() == ["sales", "manager", "admin", "integration"]
    assert str(to_lost["roles"]).count("checked") == 4


def test_stage_move_inline_refuses_two_moves_to_one_stage(admin_client, funnel):
    stage = Stage.objects.get(key="won")
    recycle = str(Stage.objects.get(key="recycle").pk)
    data = post_data(admin_client.get(admin_url(Stage, "change", stage.pk)))
    data |= {
        "moves_out-TOTAL_FORMS": "2",
        "moves_out-0-to_stage": recycle,
        "moves_out-1-to_stage": recycle,
    }

    response = admin_client.post(admin_url(Stage, "change", stage.pk), data)

    assert response.status_code == 200
    assert not StageMove.objects.filter(from_stage=stage).exists()


def test_stage_key_is_read_only_once_created(admin_client, funnel):
    stage = Stage.objects.get(key="mql")

    response = admin_client.get(admin_url(Stage, "change", stage.pk))

    assert "key" not in response.context["adminform"].form.fields
    assert "key" in admin_client.get(admin_url(Stage, "add")).context["adminform"].form.fields


def test_stage_list_edits_name_position_and_active(admin_client, funnel):
    response = admin_client.get(admin_url(Stage, "changelist"))
    formset = response.context["cl"].formset
    data = {"_save": "Save", **formset_data(formset)}
    inquiry = next(f for f in formset.forms if f.instance.key == "inquiry")
    data[inquiry.add_prefix("name")] = "Response"
    data[inquiry.add_prefix("position")] = "5"

    response = admin_client.post(admin_url(Stage, "changelist"), data)

    assert response.status_code == 302
    stage = Stage.objects.get(key="inquiry")
    assert (stage.name, stage.position) == ("Response", 5)


def test_handoff_target_rate_editable_in_list(admin_client, funnel):
    response = admin_client.get(admin_url(HandoffPair, "changelist"))
    formset = response.context["cl"].formset
    data = {"_save": "Save", **formset_data(formset)}
    pair = next(f for f in formset.forms if f.instance.key == "mql_sal")
    data[pair.add_prefix("target_rate")] = "0.850"

    response = admin_client.post(admin_url(HandoffPair, "changelist"), data)

    assert response.status_code == 302
    assert HandoffPair.objects.get(key="mql_sal").target_rate == Decimal("0.850")
    assert "85 %" in admin_client.get(admin_url(HandoffPair, "changelist")).content.decode()


def test_team_page_edits_target_rate_of_handoffs_it_receives(admin_client, funnel):
    team = Team.objects.get(key="sales")
    data = post_data(admin_client.get(admin_url(Team, "change", team.pk)))
    (prefix,) = {k.removesuffix("-0-target_rate") for k in data if k.endswith("-0-target_rate")}
    data[f"{prefix}-0-target_rate"] = "0.7"

    response = admin_client.post(admin_url(Team, "change", team.pk), data)

    assert response.status_code == 302
    assert HandoffPair.objects.get(key="mql_sal").target_rate == Decimal("0.700")


def test_team_working_days_save_as_weekday_numbers(admin_client, funnel):
    team = Team.objects.get(key="sales")
    data = post_data(admin_client.get(admin_url(Team, "change", team.pk)))
    data |= {"working_days": ["0", "1", "2", "3"], "time_zone": "Europe/Berlin"}

    response = admin_client.post(admin_url(Team, "change", team.pk), data)

    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.working_days, team.time_zone) == ([0, 1, 2, 3], "Europe/Berlin")
    assert team.workday_start == datetime.time(9, 0)


def test_reason_code_cannot_be_deleted(admin_client, funnel):
    reason = ReasonCode.objects.first()

    response = admin_client.post(admin_url(ReasonCode, "delete", reason.pk), {"post": "yes"})

    assert response.status_code == 403
    assert ReasonCode.objects.filter(pk=reason.pk).exists()


def test_user_admin_sets_role_team_and_territory(admin_client, funnel):
    user = User.objects.create_user(username="rep", password="pw")
    team = Team.objects.get(key="sales")
    territory = Territory.objects.create(key="dach", name="DACH", countries=["DE"])
    data = post_data(admin_client.get(admin_url(User, "change", user.pk)))
    data |= {"role": Role.MANAGER, "team": str(team.pk), "territory": str(territory.pk)}

    response = admin_client.post(admin_url(User, "change", user.pk), data)

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.role, user.team, user.territory) == (Role.MANAGER, team, territory)
