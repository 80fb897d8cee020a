import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms import MultiWidget
from django.urls import reverse

from funnel.admin import DELETE_REFUSED, RETIRE_HINT
from funnel.forms import LEAD_EMAIL_TAKEN
from funnel.models import (
    Campaign,
    Event,
    HandoffPair,
    Lead,
    ReasonCode,
    Role,
    Stage,
    StageMove,
    StageTransition,
    Team,
    Territory,
    User,
    WebhookDelivery,
    WebhookSubscription,
)
from funnel.services import funnel_setup_defaults, lead_create, lead_transition

pytestmark = pytest.mark.django_db

# The funnel's models and the auth ones beside them; other apps test their own admin.
REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label in {"funnel", "auth"}),
    key=lambda model: model._meta.label,
)


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _form_data(form) -> dict:
    """A form's current values as a browser would post them."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, MultiWidget):
            parts = field.widget.decompress(value)
            data |= {
                f"{form.add_prefix(name)}_{i}": "" if part is None else str(part)
                for i, part in enumerate(parts)
            }
        elif value is True:
            data[form.add_prefix(name)] = "on"
        elif isinstance(value, list | tuple):
            data[form.add_prefix(name)] = [str(item) for item in value]
        elif value is not None and value is not False:
            data[form.add_prefix(name)] = str(value)
    return data


def _formset_data(formset) -> dict:
    management = formset.management_form
    data = {management.add_prefix(key): value for key, value in management.initial.items()}
    for form in formset.forms:
        data |= _form_data(form)
    return data


def _post_data(response) -> dict:
    """What a browser would post back, unchanged, from an admin change page."""
    data = _form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        data |= _formset_data(inline.formset)
    return data


@pytest.fixture
def funnel():
    funnel_setup_defaults()


@pytest.fixture
def lead(funnel):
    lead = lead_create(
        actor=None, email="ada@example.com", stage="inquiry", first_name="Ada", last_name="Byron"
    )
    lead_transition(lead=lead, to="qi", actor=None, note="Scored above threshold")
    return lead


@pytest.fixture
def every_model_has_a_row(lead, admin_user):
    Territory.objects.create(key="dach", name="DACH", countries=["DE", "AT", "CH"])
    Campaign.objects.create(name="Webinar 2025", channel=Campaign.Channel.WEBINAR)
    Group.objects.create(name="Marketers")
    hook = WebhookSubscription.objects.create(url="https://crm.example.com/", owner=admin_user)
    WebhookDelivery.objects.create(subscription=hook, event=Event.objects.first())


@pytest.fixture
def staff_client(client):
    user = User.objects.create_user(username="intern", password="pw", is_staff=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_superuser_sees_every_changelist(admin_client, every_model_has_a_row, model):
    response = admin_client.get(_url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_superuser_sees_every_change_page(admin_client, every_model_has_a_row, model):
    obj = model._default_manager.first()

    response = admin_client.get(_url(model, "change", obj.pk))

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_staff_without_permissions_is_refused(staff_client, every_model_has_a_row, model):
    obj = model._default_manager.first()

    assert staff_client.get(_url(model, "changelist")).status_code == 403
    assert staff_client.get(_url(model, "change", obj.pk)).status_code == 403


def test_lead_change_page_lists_history_oldest_first(admin_client, lead):
    response = admin_client.get(_url(Lead, "change", lead.pk))

    (history,) = response.context["inline_admin_formsets"]
    rows = [form.instance for form in history.formset.forms]
    assert [(row.from_stage_id and row.from_stage.key, row.to_stage.key) for row in rows] == [
        (None, "inquiry"),
        ("inquiry", "qi"),
    ]
    assert "Scored above threshold" in response.content.decode()


def test_lead_change_page_has_no_stage_field(admin_client, lead):
    response = admin_client.get(_url(Lead, "change", lead.pk))

    form = response.context["adminform"].form
    assert {"stage", "team", "stage_entered_at", "recycle_count"}.isdisjoint(form.fields)


def test_lead_edit_saves_contact_fields_and_keeps_stage(admin_client, lead):
    page = admin_client.get(_url(Lead, "change", lead.pk))
    data = _post_data(page) | {"company": "Analytical Engines", "email": " Ada@Example.COM "}

    response = admin_client.post(_url(Lead, "change", lead.pk), data)

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.company == "Analytical Engines"
    assert lead.email == "ada@example.com"
    assert lead.stage.key == "qi"
    assert lead.transitions.count() == 2


def test_lead_edit_refuses_an_email_another_lead_has(admin_client, lead):
    other = lead_create(actor=None, email="grace@example.com")
    page = admin_client.get(_url(Lead, "change", other.pk))
    data = _post_data(page) | {"email": "ADA@example.com"}

    response = admin_client.post(_url(Lead, "change", other.pk), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [LEAD_EMAIL_TAKEN]


def test_lead_add_creates_the_lead_through_the_funnel(admin_client, admin_user, funnel):
    data = {"first_name": "Grace", "email": "Grace@Example.com", "entry_stage": "", "note": "Fair"}
    data["entry_stage"] = Stage.objects.get(key="mql").pk

    response = admin_client.post(_url(Lead, "add"), data)

    assert response.status_code == 302
    lead = Lead.objects.get(email="grace@example.com")
    assert lead.stage.key == "mql"
    assert lead.team.key == "inside"
    (first,) = lead.transitions.all()
    assert (first.from_stage, first.to_stage.key, first.actor, first.note) == (
        None,
        "mql",
        admin_user,
        "Fair",
    )


def test_lead_add_offers_only_entry_stages_the_role_allows(client, funnel):
    rep = User.objects.create_user(username="rep", password="pw", is_staff=True, role=Role.SALES)
    rep.user_permissions.add(*_permissions("add_lead", "view_lead"))
    marketer = User.objects.create_user(
        username="mkt", password="pw", is_staff=True, role=Role.MARKETING
    )
    marketer.user_permissions.add(*_permissions("add_lead", "view_lead"))

    offered = {}
    for user in (rep, marketer):
        client.force_login(user)
        form = client.get(_url(Lead, "add")).context["adminform"].form
        offered[user.username] = [stage.key for stage in form.fields["entry_stage"].queryset]

    assert offered == {"rep": [], "mkt": ["inquiry", "qi", "mql"]}


def test_lead_cannot_be_deleted(admin_client, lead):
    response = admin_client.post(_url(Lead, "delete", lead.pk), {"post": "yes"})

    assert response.status_code == 403
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_transition_admin_refuses_change_and_delete(admin_client, lead):
    transition = lead.transitions.last()
    url = _url(StageTransition, "change", transition.pk)

    change = admin_client.post(url, {"note": "rewritten", "at": "2020-01-01 00:00:00"})
    delete = admin_client.post(_url(StageTransition, "delete", transition.pk), {"post": "yes"})
    add = admin_client.get(_url(StageTransition, "add"))

    assert (change.status_code, delete.status_code, add.status_code) == (403, 403, 403)
    transition.refresh_from_db()
    assert transition.note == "Scored above threshold"


def test_transition_change_page_is_read_only(admin_client, lead):
    transition = lead.transitions.last()

    response = admin_client.get(_url(StageTransition, "change", transition.pk))

    assert response.context["has_change_permission"] is False
    assert response.context["has_delete_permission"] is False


def test_stage_move_inline_saves_checked_roles_as_list(admin_client, funnel):
    stage = Stage.objects.get(key="won")
    page = admin_client.get(_url(Stage, "change", stage.pk))
    data = _post_data(page)
    data |= {
        "moves_out-TOTAL_FORMS": "1",
        "moves_out-0-to_stage": str(Stage.objects.get(key="recycle").pk),
        "moves_out-0-roles": [Role.MARKETING, Role.ADMIN],
        "moves_out-0-reason_purposes": ["recycle"],
    }

    response = admin_client.post(_url(Stage, "change", stage.pk), data)

    assert response.status_code == 302
    move = StageMove.objects.get(from_stage=stage)
    assert move.roles == ["marketing", "admin"]
    assert move.reason_purposes == ["recycle"]


def test_stage_move_inline_shows_stored_roles_ticked(admin_client, funnel):
    stage = Stage.objects.get(key="sql")

    response = admin_client.get(_url(Stage, "change", stage.pk))

    formset = response.context["inline_admin_formsets"][1].formset
    to_lost = next(form for form in formset.forms if form.instance.to_stage.key == "lost")
    assert to_lost["roles"].value() == ["sales", "manager", "admin", "integration"]
    assert str(to_lost["roles"]).count("checked") == 4


def test_stage_move_inline_refuses_two_moves_to_one_stage(admin_client, funnel):
    stage = Stage.objects.get(key="won")
    recycle = str(Stage.objects.get(key="recycle").pk)
    data = _post_data(admin_client.get(_url(Stage, "change", stage.pk)))
    data |= {
        "moves_out-TOTAL_FORMS": "2",
        "moves_out-0-to_stage": recycle,
        "moves_out-1-to_stage": recycle,
    }

    response = admin_client.post(_url(Stage, "change", stage.pk), data)

    assert response.status_code == 200
    assert not StageMove.objects.filter(from_stage=stage).exists()


def test_stage_key_is_read_only_once_created(admin_client, funnel):
    stage = Stage.objects.get(key="mql")

    response = admin_client.get(_url(Stage, "change", stage.pk))

    assert "key" not in response.context["adminform"].form.fields
    assert "key" in admin_client.get(_url(Stage, "add")).context["adminform"].form.fields


def test_stage_list_edits_name_position_and_active(admin_client, funnel):
    response = admin_client.get(_url(Stage, "changelist"))
    formset = response.context["cl"].formset
    data = {"_save": "Save", **_formset_data(formset)}
    inquiry = next(f for f in formset.forms if f.instance.key == "inquiry")
    data[inquiry.add_prefix("name")] = "Response"
    data[inquiry.add_prefix("position")] = "5"

    response = admin_client.post(_url(Stage, "changelist"), data)

    assert response.status_code == 302
    stage = Stage.objects.get(key="inquiry")
    assert (stage.name, stage.position) == ("Response", 5)


def test_stage_with_leads_cannot_be_deleted(admin_client, lead):
    stage = Stage.objects.get(key="qi")
    url = _url(Stage, "delete", stage.pk)

    page = admin_client.get(url)
    admin_client.post(url, {"post": "yes"})

    kinds = "handoff pairs, leads, stage transitions"
    assert page.context["protected"] == [
        DELETE_REFUSED.format(obj=stage, kinds=kinds, hint=RETIRE_HINT)
    ]
    assert Stage.objects.filter(pk=stage.pk).exists()


def test_handoff_target_rate_editable_in_list(admin_client, funnel):
    response = admin_client.get(_url(HandoffPair, "changelist"))
    formset = response.context["cl"].formset
    data = {"_save": "Save", **_formset_data(formset)}
    pair = next(f for f in formset.forms if f.instance.key == "mql_sal")
    data[pair.add_prefix("target_rate")] = "0.850"

    response = admin_client.post(_url(HandoffPair, "changelist"), data)

    assert response.status_code == 302
    assert HandoffPair.objects.get(key="mql_sal").target_rate == Decimal("0.850")
    assert "85 %" in admin_client.get(_url(HandoffPair, "changelist")).content.decode()


def test_team_page_edits_target_rate_of_handoffs_it_receives(admin_client, funnel):
    team = Team.objects.get(key="sales")
    data = _post_data(admin_client.get(_url(Team, "change", team.pk)))
    (prefix,) = {k.removesuffix("-0-target_rate") for k in data if k.endswith("-0-target_rate")}
    data[f"{prefix}-0-target_rate"] = "0.7"

    response = admin_client.post(_url(Team, "change", team.pk), data)

    assert response.status_code == 302
    assert HandoffPair.objects.get(key="mql_sal").target_rate == Decimal("0.700")


def test_team_working_days_save_as_weekday_numbers(admin_client, funnel):
    team = Team.objects.get(key="sales")
    data = _post_data(admin_client.get(_url(Team, "change", team.pk)))
    data |= {"working_days": ["0", "1", "2", "3"], "time_zone": "Europe/Berlin"}

    response = admin_client.post(_url(Team, "change", team.pk), data)

    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.working_days, team.time_zone) == ([0, 1, 2, 3], "Europe/Berlin")
    assert team.workday_start == datetime.time(9, 0)


def test_reason_code_cannot_be_deleted(admin_client, funnel):
    reason = ReasonCode.objects.first()

    response = admin_client.post(_url(ReasonCode, "delete", reason.pk), {"post": "yes"})

    assert response.status_code == 403
    assert ReasonCode.objects.filter(pk=reason.pk).exists()


def test_user_admin_sets_role_team_and_territory(admin_client, funnel):
    user = User.objects.create_user(username="rep", password="pw")
    team = Team.objects.get(key="sales")
    territory = Territory.objects.create(key="dach", name="DACH", countries=["DE"])
    data = _post_data(admin_client.get(_url(User, "change", user.pk)))
    data |= {"role": Role.MANAGER, "team": str(team.pk), "territory": str(territory.pk)}

    response = admin_client.post(_url(User, "change", user.pk), data)

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.role, user.team, user.territory) == (Role.MANAGER, team, territory)


def test_lead_search_by_whole_email_finds_only_that_lead(admin_client, lead):
    lead_create(actor=None, email="ada.other@example.com", first_name="Ada")

    response = admin_client.get(_url(Lead, "changelist"), {"q": "ADA@example.com"})

    assert list(response.context["cl"].result_list) == [lead]


def test_lead_search_by_partial_text_matches_names_and_companies(admin_client, lead):
    other = lead_create(actor=None, email="grace@example.com", company="Byron Labs")

    response = admin_client.get(_url(Lead, "changelist"), {"q": "byron"})

    assert set(response.context["cl"].result_list) == {lead, other}


def test_lead_country_filter_takes_a_typed_code(admin_client, funnel):
    german = lead_create(actor=None, email="de@example.com", country="DE")
    lead_create(actor=None, email="fr@example.com", country="FR")

    response = admin_client.get(_url(Lead, "changelist"), {"country": "de "})

    assert list(response.context["cl"].result_list) == [german]


def _permissions(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="funnel", codename__in=codenames)
