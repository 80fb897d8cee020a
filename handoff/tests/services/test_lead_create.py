import re

import pytest
from django.core.exceptions import ValidationError

from funnel.models import Role
from funnel.rules import MoveNotAllowed, RoleNotAllowed
from funnel.tests.factories import UserFactory
from handoff.models import Lead, StageTransition
from handoff.services.leads import lead_create


def test_a_new_lead_starts_with_its_first_transition(funnel):
    marketer = UserFactory(role=Role.MARKETING)

    lead = lead_create(actor=marketer, email="  Ann.Smith@Example.COM ", country="de")

    assert (lead.email, lead.country, lead.stage.key) == ("ann.smith@example.com", "DE", "inquiry")
    first = StageTransition.objects.get(lead=lead)
    assert (first.from_stage, first.to_stage.key, first.actor) == (None, "inquiry", marketer)


def test_a_demo_request_may_start_at_mql(funnel):
    lead = lead_create(actor=None, stage="mql", email="demo@example.com")

    assert lead.stage.key == "mql"


def test_a_lead_cannot_start_in_a_stage_that_is_not_an_entry(funnel):
    with pytest.raises(
        MoveNotAllowed, match=re.escape("A new lead cannot start in Sales Accepted Lead.")
    ):
        lead_create(actor=None, stage="sal", email="x@example.com")

    assert not Lead.objects.exists()


def test_a_role_without_the_entry_move_cannot_create(funnel):
    with pytest.raises(RoleNotAllowed):
        lead_create(actor=UserFactory(role=Role.SALES), email="x@example.com")

    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "__all__"),
        ({"email": "a@example.com", "country": "Germany"}, "country"),
        ({"email": "a@example.com", "employees": -3}, "employees"),
    ],
)
def test_bad_contact_data_is_refused_and_nothing_is_written(funnel, fields, bad_field):
    with pytest.raises(ValidationError) as refused:
        lead_create(actor=None, **fields)

    assert bad_field in refused.value.message_dict
    assert not Lead.objects.exists()
    assert not StageTransition.objects.exists()


def test_an_unknown_field_is_named_in_the_error(funnel):
    with pytest.raises(ValidationError) as refused:
        lead_create(actor=None, email="a@example.com", favourite_colour="blue")

    assert refused.value.message_dict == {"favourite_colour": ["Unknown field."]}


def test_one_lead_per_email_among_leads_without_an_external_id(funnel):
    lead_create(actor=None, email="ann@example.com")

    with pytest.raises(ValidationError, match="email"):
        lead_create(actor=None, email=" ANN@example.com")

    assert Lead.objects.count() == 1


def test_one_lead_per_external_id(funnel):
    lead_create(actor=None, email="ann@example.com", external_id="MKTO-1")

    with pytest.raises(ValidationError, match="external"):
        lead_create(actor=None, email="other@example.com", external_id="MKTO-1")

    assert Lead.objects.count() == 1
