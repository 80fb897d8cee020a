import pytest
from django.core.exceptions import ValidationError

from handoff.models import Lead
from handoff.services.leads import lead_create, lead_update


@pytest.fixture
def lead(funnel):
    return lead_create(actor=None, email="ann@example.com", company="Acme", score=10)


def test_contact_fields_change_and_are_normalised(lead):
    updated = lead_update(
        lead=lead, actor=None, fields={"email": " ANN@Acme.io ", "country": "de", "company": "Acme"}
    )

    assert (updated.email, updated.country, updated.company) == ("ann@acme.io", "DE", "Acme")
    assert Lead.objects.get(pk=lead.pk).email == "ann@acme.io"


@pytest.mark.parametrize("field", ["score", "stage", "owner"])
def test_stage_owner_and_score_change_only_through_their_own_actions(lead, field):
    with pytest.raises(ValidationError) as refused:
        lead_update(lead=lead, actor=None, fields={field: 99})

    assert field in refused.value.message_dict
    assert Lead.objects.get(pk=lead.pk).score == 10


def test_bad_input_is_refused_and_nothing_changes(lead):
    with pytest.raises(ValidationError) as refused:
        lead_update(lead=lead, actor=None, fields={"company": "New Co", "email": "nope"})

    assert "email" in refused.value.message_dict
    assert Lead.objects.get(pk=lead.pk).company == "Acme"


def test_an_email_another_lead_has_is_refused(lead):
    lead_create(actor=None, email="bob@example.com")

    with pytest.raises(ValidationError, match="email"):
        lead_update(lead=lead, actor=None, fields={"email": "Bob@example.com"})

    assert Lead.objects.get(pk=lead.pk).email == "ann@example.com"


def test_nothing_changed_writes_nothing(lead):
    before = Lead.objects.get(pk=lead.pk).updated_at

    lead_update(lead=lead, actor=None, fields={"company": "Acme"})

    assert Lead.objects.get(pk=lead.pk).updated_at == before
