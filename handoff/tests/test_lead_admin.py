"""The lead admin: a lead's contact fields edited, its history read-only, never deleted."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission

from funnel.admin import DELETE_REFUSED, RETIRE_HINT
from funnel.models import Role, Stage, User
from funnel.services import funnel_setup_defaults
from funnel.tests.admin_pages import admin_url, post_data
from handoff.forms import LEAD_EMAIL_TAKEN
from handoff.models import Lead, StageTransition
from handoff.services.leads import lead_create, lead_transition

pytestmark = pytest.mark.django_db

# The models the lead admin shows, which every signed-in page test covers here.
REGISTERED = sorted(
    (model for model in admin.site._registry if model in (Lead, StageTransition)),
    key=lambda model: model._meta.label,
)


def _permissions(*codenames):
    return Permission.objects.filter(content_type__app_label="handoff", codename__in=codenames)


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


def test_lead_change_page_lists_history_oldest_first(admin_client, lead):
    response = admin_client.get(admin_url(Lead, "change", lead.pk))

    (history,) = response.context["inline_admin_formsets"]
    rows = [form.instance for form in history.formset.forms]
    assert [(row.from_stage_id and row.from_stage.key, row.to_stage.key) for row in rows] == [
        (None, "inquiry"),
        ("inquiry", "qi"),
    ]
    assert "Scored above threshold" in response.content.decode()


def test_lead_change_page_has_no_stage_field(admin_client, lead):
    response = admin_client.get(admin_url(Lead, "change", lead.pk))

    form = response.context["adminform"].form
    assert {"stage", "team", "stage_entered_at", "recycle_count"}.isdisjoint(form.fields)


def test_lead_edit_saves_contact_fields_and_keeps_stage(admin_client, lead):
    page = admin_client.get(admin_url(Lead, "change", lead.pk))
    data = post_data(page) | {"company": "Analytical Engines", "email": " Ada@Example.COM "}

    response = admin_client.post(admin_url(Lead, "change", lead.pk), data)

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.company == "Analytical Engines"
    assert lead.email == "ada@example.com"
    assert lead.stage.key == "qi"
    assert lead.transitions.count() == 2


def test_lead_edit_refuses_an_email_another_lead_has(admin_client, lead):
    other = lead_create(actor=None, email="grace@example.com")
    page = admin_client.get(admin_url(Lead, "change", other.pk))
    data = post_data(page) | {"email": "ADA@example.com"}

    response = admin_client.post(admin_url(Lead, "change", other.pk), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [LEAD_EMAIL_TAKEN]


def test_lead_add_creates_the_lead_through_the_funnel(admin_client, admin_user, funnel):
    data = {"first_name": "Grace", "email": "Grace@Example.com", "entry_stage": "", "note": "Fair"}
    data["entry_stage"] = Stage.objects.get(key="mql").pk

    response = admin_client.post(admin_url(Lead, "add"), data)

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
        form = client.get(admin_url(Lead, "add")).context["adminform"].form
        offered[user.username] = [stage.key for stage in form.fields["entry_stage"].queryset]

    assert offered == {"rep": [], "mkt": ["inquiry", "qi", "mql"]}


def test_lead_cannot_be_deleted(admin_client, lead):
    response = admin_client.post(admin_url(Lead, "delete", lead.pk), {"post": "yes"})

    assert response.status_code == 403
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_transition_admin_refuses_change_and_delete(admin_client, lead):
    transition = lead.transitions.last()
    url = admin_url(StageTransition, "change", transition.pk)

    change = admin_client.post(url, {"note": "rewritten", "at": "2020-01-01 00:00:00"})
    delete = admin_client.post(admin_url(StageTransition, "delete", transition.pk), {"post": "yes"})
    add = admin_client.get(admin_url(StageTransition, "add"))

    assert (change.status_code, delete.status_code, add.status_code) == (403, 403, 403)
    transition.refresh_from_db()
    assert transition.note == "Scored above threshold"


def test_transition_change_page_is_read_only(admin_client, lead):
    transition = lead.transitions.last()

    response = admin_client.get(admin_url(StageTransition, "change", transition.pk))

    assert response.context["has_change_permission"] is False
    assert response.context["has_delete_permission"] is False


def test_stage_with_leads_cannot_be_deleted(admin_client, lead):
    stage = Stage.objects.get(key="qi")
    url = admin_url(Stage, "delete", stage.pk)

    page = admin_client.get(url)
    admin_client.post(url, {"post": "yes"})

    kinds = "handoff pairs, leads, stage transitions"
    assert page.context["protected"] == [
        DELETE_REFUSED.format(obj=stage, kinds=kinds, hint=RETIRE_HINT)
    ]
    assert Stage.objects.filter(pk=stage.pk).exists()


def test_lead_search_by_whole_email_finds_only_that_lead(admin_client, lead):
    lead_create(actor=None, email="ada.other@example.com", first_name="Ada")

    response = admin_client.get(admin_url(Lead, "changelist"), {"q": "ADA@example.com"})

    assert list(response.context["cl"].result_list) == [lead]


def test_lead_search_by_partial_text_matches_names_and_companies(admin_client, lead):
    other = lead_create(actor=None, email="grace@example.com", company="Byron Labs")

    response = admin_client.get(admin_url(Lead, "changelist"), {"q": "byron"})

    assert set(response.context["cl"].result_list) == {lead, other}


def test_lead_country_filter_takes_a_typed_code(admin_client, funnel):
    german = lead_create(actor=None, email="de@example.com", country="DE")
    lead_create(actor=None, email="fr@example.com", country="FR")

    response = admin_client.get(admin_url(Lead, "changelist"), {"country": "de "})

    assert list(response.context["cl"].result_list) == [german]


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_superuser_sees_every_changelist(admin_client, lead, model):
    response = admin_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_superuser_sees_every_change_page(admin_client, lead, model):
    obj = model._default_manager.first()

    response = admin_client.get(admin_url(model, "change", obj.pk))

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_staff_without_permissions_is_refused(staff_client, lead, model):
    obj = model._default_manager.first()

    assert staff_client.get(admin_url(model, "changelist")).status_code == 403
    assert staff_client.get(admin_url(model, "change", obj.pk)).status_code == 403
