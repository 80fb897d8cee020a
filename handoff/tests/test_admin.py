import pytest
from django.urls import reverse

from funnel.models import Role, Team, Territory
from funnel.tests.factories import UserFactory
from handoff.models import Offer, RotationState, ScoringRule, SlaAgreement
from handoff.services.leads import lead_create
from handoff.services.offers import offer_route
from handoff.services.sla import agreement_revise

PAGES = [
    "slaagreement", "routingrule", "repprofile", "offer", "touch", "activity", "scoringrule",
    "disposition", "notification",
]  # fmt: skip


@pytest.fixture
def admin_client(client, sales_team):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def routed_offer(sales_team):
    lead = lead_create(actor=None, stage="mql", email="admin-view@acme.com")
    return offer_route(offer_id=Offer.objects.get(lead=lead).pk)


@pytest.mark.parametrize("model", PAGES)
def test_every_handoff_page_opens_for_an_admin(admin_client, routed_offer, model):
    ScoringRule.objects.create(name="Pricing", kind="page_visit", points=5)

    response = admin_client.get(reverse(f"admin:handoff_{model}_changelist"))

    assert response.status_code == 200


def test_an_offer_explains_its_routing(admin_client, routed_offer):
    response = admin_client.get(reverse("admin:handoff_offer_change", args=[routed_offer.pk]))

    assert response.status_code == 200
    assert f"to <strong>{routed_offer.assignee.username}</strong>" in response.text
    assert "Everyone in Sales, by weight" in response.text


def test_an_offer_says_which_territory_took_it(admin_client, sales_team):
    _, _, (rep_a, _) = sales_team
    rep_a.territory = Territory.objects.create(key="dach", name="DACH", countries=["DE", "AT"])
    rep_a.save(update_fields=["territory"])
    lead = lead_create(actor=None, stage="mql", email="berlin@acme.com", country="DE")
    offer = offer_route(offer_id=Offer.objects.get(lead=lead).pk)

    response = admin_client.get(reverse("admin:handoff_offer_change", args=[offer.pk]))

    assert offer.assignee == rep_a
    assert "DE lead: territory DACH (1 rep)" in response.text


def test_the_simulation_answers_without_assigning(admin_client, sales_team):
    lead = lead_create(actor=None, email="sim@acme.com")
    url = reverse("admin:handoff_routing_simulate")

    response = admin_client.get(url, {"lead": lead.pk, "handoff": "mql_sal"})

    assert response.status_code == 200
    assert "to <strong>rep_a</strong>" in response.text
    assert not Offer.objects.exists()
    assert not RotationState.objects.exists()


def test_the_simulation_refuses_a_bad_lead_id(admin_client):
    url = reverse("admin:handoff_routing_simulate")

    assert admin_client.get(url, {"lead": "abc", "handoff": "mql_sal"}).status_code == 200
    assert admin_client.get(url, {"lead": "999999", "handoff": "mql_sal"}).status_code == 404


def test_the_simulation_is_for_staff_with_the_right(client, sales_team):
    client.force_login(UserFactory(username="clerk", is_staff=True))

    response = client.get(reverse("admin:handoff_routing_simulate"))

    assert response.status_code == 403


def test_a_signed_agreement_is_read_only(admin_client):
    signed = SlaAgreement.objects.get(handoff__key="mql_sal")
    url = reverse("admin:handoff_slaagreement_change", args=[signed.pk])

    response = admin_client.post(url, {"accept_within_hours": "1"})

    assert response.status_code == 403
    signed.refresh_from_db()
    assert signed.accept_within_hours == 8


def test_the_sign_off_action_signs_the_admins_side_through_the_service(client, sales_team):
    _, manager, _ = sales_team
    manager.is_staff = manager.is_superuser = True
    manager.save()
    client.force_login(manager)
    draft = agreement_revise(agreement=SlaAgreement.objects.get(handoff__key="mql_sal"), actor=None)

    client.post(
        reverse("admin:handoff_slaagreement_changelist"),
        {"action": "sign_off", "_selected_action": [draft.pk]},
    )

    draft.refresh_from_db()
    assert (draft.sales_signoff_by, draft.marketing_signoff_by) == (manager, None)
    assert draft.effective_at is None


def test_the_sign_off_action_reports_a_refusal(admin_client):
    draft = agreement_revise(agreement=SlaAgreement.objects.get(handoff__key="mql_sal"), actor=None)

    response = admin_client.post(
        reverse("admin:handoff_slaagreement_changelist"),
        {"action": "sign_off", "_selected_action": [draft.pk]},
        follow=True,
    )

    assert "may sign off this agreement" in response.text
    draft.refresh_from_db()
    assert draft.sales_signoff_at is None and draft.marketing_signoff_at is None


def test_a_rep_without_staff_access_cannot_open_offers(client, routed_offer):
    client.force_login(routed_offer.assignee)

    response = client.get(reverse("admin:handoff_offer_change", args=[routed_offer.pk]))

    assert response.status_code == 302  # to the admin login
    assert Team.objects.get(key="sales").manager.role == Role.MANAGER
