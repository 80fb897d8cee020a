"""Admin pages of models that moved out of the funnel app keep answering at their old address."""

import pytest

from funnel.services import funnel_setup_defaults
from handoff.services.leads import lead_create


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/funnel/lead/", "/admin/handoff/lead/"),
        ("/admin/funnel/stagetransition/", "/admin/handoff/stagetransition/"),
        ("/admin/funnel/webhooksubscription/", "/admin/integrations/webhooksubscription/"),
        ("/admin/funnel/webhookdelivery/", "/admin/integrations/webhookdelivery/"),
        ("/admin/funnel/lead/?stage__id__exact=3", "/admin/handoff/lead/?stage__id__exact=3"),
    ],
)
def test_an_old_admin_address_redirects_for_good(client, old, new):
    response = client.get(old)

    assert (response.status_code, response["Location"]) == (301, new)


def test_an_old_lead_page_leads_to_the_same_lead(admin_client, db):
    funnel_setup_defaults()
    lead = lead_create(actor=None, email="ada@example.com")

    response = admin_client.get(f"/admin/funnel/lead/{lead.pk}/change/", follow=True)

    assert response.redirect_chain == [(f"/admin/handoff/lead/{lead.pk}/change/", 301)]
    assert response.status_code == 200
    assert "ada@example.com" in response.text


def test_the_funnels_own_admin_pages_are_not_redirected(admin_client, db):
    assert admin_client.get("/admin/funnel/stage/").status_code == 200
