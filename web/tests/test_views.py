"""The manager's console: who may open it, what it shows, reassigning, agreements."""

import datetime
import html
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from funnel.models import Role
from funnel.tests.factories import UserFactory
from handoff.models import (
    Lead,
    Notification,
    Offer,
    OfferHolding,
    SlaAgreement,
)
from handoff.services.reassign import NOT_BEING_WORKED, NOTHING_CHOSEN, REASSIGNED_VIA
from handoff.services.sla import ALREADY_SIGNED, NOT_A_LEADER
from handoff.services.work import lead_disposition
from reporting.models import WeeklyReport
from web.forms import CHOOSE_REP, NOT_A_MEMBER
from web.views import NO_TEAM, PAGE_SIZE

TEAM = reverse("web:team")
REASSIGN = reverse("web:team-reassign")


def _propose_url(handoff: str = "mql_sal", team: str = "") -> str:
    url = reverse("web:agreement-propose", args=[handoff])
    return f"{url}?team={team}" if team else url


def _sign_url(agreement: SlaAgreement, team: str = "") -> str:
    url = reverse("web:agreement-sign-off", args=[agreement.pk])
    return f"{url}?team={team}" if team else url


# --- who may open it ------------------------------------------------------------------------


def test_it_needs_a_login(client, people):
    response = client.get(TEAM)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", [Role.SALES, Role.INSIDE, Role.MARKETING, Role.INTEGRATION])
def test_other_roles_are_refused(client, people, offers, role):
    offers(1)
    client.force_login(UserFactory(username="con_other", role=role, team=people.teams["sales"]))

    assert client.get(TEAM).status_code == 403
    assert client.get(f"{TEAM}?team=sales").status_code == 403
    offer = Offer.objects.get()
    posted = client.post(REASSIGN, {"offers": [offer.pk], "to": people.reps[1].pk})
    assert posted.status_code == 403
    assert Offer.objects.get().assignee == people.reps[0]


def test_a_rep_cannot_open_it(client, people):
    client.force_login(people.reps[0])

    assert client.get(TEAM).status_code == 403


def test_a_manager_sees_their_team(client, people, offers):
    waiting, worked = offers(2, accepted=1)[::-1]
    client.force_login(people.manager)

    page = client.get(TEAM)

    assert page.status_code == 200
    assert "Sales team" in page.text
    assert f'id="offer-{waiting.pk}"' in page.text
    assert f'id="offer-{worked.pk}"' in page.text
    assert "waiting for Repa" in page.text
    assert "worked by Repa · 1 of 3 touches" in page.text
    assert 'name="team"' not in page.text  # one team: no picker


def test_a_manager_of_another_team_cannot_see_this_one(client, people, offers):
    offers(1)
    client.force_login(people.managers["inside"])

    own = client.get(TEAM)
    other = client.get(f"{TEAM}?team=sales")

    assert own.status_code == 200
    assert "Inside" in own.text and 'id="offer-' not in own.text
    assert other.status_code == 404


def test_an_admin_picks_any_team(client, people, offers):
    offers(1)
    client.force_login(UserFactory(username="con_root", role=Role.ADMIN))

    page = client.get(f"{TEAM}?team=sales")

    assert page.status_code == 200
    assert "Sales team" in page.text
    assert 'id="offer-' in page.text
    assert '<option value="inside">' in page.text  # the team picker
    assert client.get(f"{TEAM}?team=nope").status_code == 404


def test_a_manager_with_no_team_is_told(client, people):
    client.force_login(UserFactory(username="con_lost", role=Role.MANAGER))

    response = client.get(TEAM)

    assert response.status_code == 403
    assert NO_TEAM in response.text


# --- what it shows --------------------------------------------------------------------------


def test_the_most_overdue_come_first_and_can_be_listed_alone(client, people, offers):
    late, fresh = offers(2)
    Offer.objects.filter(pk=late.pk).update(
        accept_due_at=timezone.now() - datetime.timedelta(hours=3)
    )
    client.force_login(people.manager)

    everything = client.get(TEAM).text
    overdue = client.get(f"{TEAM}?show=overdue").text

    assert everything.index(f'id="offer-{late.pk}"') < everything.index(f'id="offer-{fresh.pk}"')
    assert "accept overdue by 3h" in everything
    assert f'id="offer-{late.pk}"' in overdue
    assert f'id="offer-{fresh.pk}"' not in overdue


def test_the_list_has_pages_of_25(client, people, offers):
    offers(PAGE_SIZE + 2)
    client.force_login(people.manager)

    first = client.get(TEAM).text
    second = client.get(f"{TEAM}?page=2").text

    assert first.count('<li class="offer-row') == PAGE_SIZE
    assert second.count('<li class="offer-row') == 2
    assert f"1\u2013{PAGE_SIZE} of {PAGE_SIZE + 2}" in first


def test_each_rep_with_their_load_and_lateness(client, people, offers):
    made = offers(3, accepted=2)
    Offer.objects.filter(pk=made[0].pk).update(
        work_due_at=timezone.now() - datetime.timedelta(days=1),
        touches_due_at=timezone.now() - datetime.timedelta(days=2),
    )
    client.force_login(people.manager)

    page = client.get(TEAM)

    [rep_a] = [row for row in page.context["load"] if row.user == people.reps[0]]
    assert (rep_a.waiting, rep_a.working, rep_a.overdue, rep_a.black_hole) == (1, 2, 1, 1)
    [rep_b] = [row for row in page.context["load"] if row.user == people.reps[1]]
    assert (rep_b.waiting, rep_b.working, rep_b.overdue) == (0, 0, 0)
    assert page.context["black_hole"]["total"] == 1
    assert f"{made[0].lead.email}" in page.text  # listed in the black hole


def test_escalations_waiting_on_the_manager(client, people, offers):
    [offer] = offers(1)
    Notification.objects.create(
        user=people.manager, kind=Notification.Kind.ESCALATION, offer=offer, lead=offer.lead,
        subject="Escalation (accept): Buyer", body="late",
    )  # fmt: skip
    Notification.objects.create(
        user=people.manager, kind=Notification.Kind.ESCALATION, offer=offer, lead=offer.lead,
        subject="Escalation read already", body="", read_at=timezone.now(),
    )  # fmt: skip
    Notification.objects.create(
        user=people.manager, kind=Notification.Kind.ESCALATION,
        subject="Inside → Sales acceptance drifted", body="",
    )  # fmt: skip
    Notification.objects.create(
        user=people.managers["inside"], kind=Notification.Kind.ESCALATION, offer=offer,
        subject="Escalation to someone else", body="",
    )  # fmt: skip
    client.force_login(people.manager)

    page = client.get(TEAM).text

    assert "Escalations waiting on you" in page
    assert "Escalation (accept): Buyer" in page
    assert "Inside → Sales acceptance drifted" in page
    assert "Escalation read already" not in page
    assert "Escalation to someone else" not in page
    assert reverse("handoff:lead", args=[offer.lead_id]) in page


def test_follow_up_by_rep_from_the_last_weekly_reports(client, people):
    rows = [
        {"rep": "con_rep_a", "handoff": "mql_sal", "follow_up_hours": 1.5, "touched_in_time": 0.5},
        {"rep": "someone_else", "handoff": "mql_sal", "follow_up_hours": 9.0},
    ]
    report = WeeklyReport.objects.create(
        week=datetime.date(2026, 11, 16), data={"sections": {"reps": {"rows": rows}}}, html=""
    )
    client.force_login(people.manager)

    page = client.get(TEAM).text

    assert reverse("reporting:weekly-detail", args=[report.pk]) in page
    assert "W47" in page
    assert "1.5 h" in page and "50%" in page
    assert "9.0 h" not in page


# --- reassigning ------------------------------------------------------------------------------


def test_a_manager_reassigns_a_lead_and_sees_the_confirmation(client, people, offers):
    [offer] = offers(1, accepted=1)
    client.force_login(people.manager)

    response = client.post(REASSIGN, {"offers": [offer.pk], "to": people.reps[1].pk}, follow=True)

    assert response.redirect_chain[0][0] == f"{TEAM}?team=sales#offers"
    assert "Reassigned 1 lead to Repb" in response.text
    offer.refresh_from_db()
    assert offer.assignee == people.reps[1]
    assert Lead.objects.get(pk=offer.lead_id).owner == people.reps[1]
    assert OfferHolding.objects.filter(offer=offer).last().via == REASSIGNED_VIA
    assert people.reps[1].notifications.filter(offer=offer, kind="assigned").exists()


def test_several_leads_at_once(client, people, offers):
    made = offers(3, accepted=1)
    client.force_login(people.manager)

    response = client.post(
        f"{REASSIGN}?team=sales&page=1",
        {"offers": [o.pk for o in made], "to": people.reps[1].pk},
        follow=True,
    )

    assert "Reassigned 3 leads to Repb" in response.text
    assert set(Offer.objects.values_list("assignee", flat=True)) == {people.reps[1].pk}


def test_a_manager_of_another_team_cannot_reassign_this_ones_leads(client, people, offers):
    [offer] = offers(1)
    inside_rep = people.qualifier
    client.force_login(people.managers["inside"])

    own = client.post(REASSIGN, {"offers": [offer.pk], "to": inside_rep.pk})
    other = client.post(f"{REASSIGN}?team=sales", {"offers": [offer.pk], "to": inside_rep.pk})

    assert (own.status_code, other.status_code) == (404, 404)
    assert Offer.objects.get().assignee == people.reps[0]


def test_a_rep_outside_the_team_is_refused_and_the_choice_kept(client, people, offers):
    [offer] = offers(1)
    client.force_login(people.manager)

    response = client.post(REASSIGN, {"offers": [offer.pk], "to": people.qualifier.pk})

    assert response.status_code == 400
    assert NOT_A_MEMBER.format(team="Sales") in response.text
    assert f'value="{offer.pk}" checked' in response.text
    assert Offer.objects.get().assignee == people.reps[0]


def test_nothing_chosen_and_no_rep_are_said_so(client, people, offers):
    offers(1)
    client.force_login(people.manager)

    response = client.post(REASSIGN, {"offers": [], "to": ""})

    assert response.status_code == 400
    assert NOTHING_CHOSEN in response.text
    assert CHOOSE_REP in response.text


def test_a_refusal_from_the_service_is_shown_and_keeps_the_choice(client, people, offers):
    waiting, worked = offers(2, accepted=1)[::-1]
    lead_disposition(lead=worked.lead, actor=people.reps[0], disposition="qualified")
    client.force_login(people.manager)

    response = client.post(REASSIGN, {"offers": [waiting.pk, worked.pk], "to": people.reps[1].pk})

    assert response.status_code == 409
    assert NOT_BEING_WORKED.format(lead=worked.lead, status="closed") in html.unescape(
        response.text
    )
    assert f'value="{waiting.pk}" checked' in response.text
    assert f'value="{people.reps[1].pk}" selected' in response.text
    assert Offer.objects.get(pk=waiting.pk).assignee == people.reps[0]


def test_reassigning_needs_a_csrf_token(client, people, offers):
    [offer] = offers(1)
    client.force_login(people.manager)
    client.handler.enforce_csrf_checks = True

    response = client.post(REASSIGN, {"offers": [offer.pk], "to": people.reps[1].pk})

    assert response.status_code == 403
    assert Offer.objects.get().assignee == people.reps[0]


# --- SLA agreements ---------------------------------------------------------------------------


def _current(handoff: str = "mql_sal") -> SlaAgreement:
    return SlaAgreement.objects.filter(handoff__key=handoff).order_by("-version").first()


def _terms(**changes) -> dict:
    base = _current()
    data = {
        "criteria": base.criteria,
        "accept_within_hours": "4",
        "first_touch_within_hours": str(base.first_touch_within_hours),
        "min_touches": base.min_touches,
        "touches_within_days": base.touches_within_days,
        "work_within_days": base.work_within_days,
        "warn_before_hours": str(base.warn_before_hours),
    }
    return {**data, **changes}


def test_the_agreements_of_the_handoffs_the_team_sends_or_receives(client, people):
    client.force_login(people.managers["inside"])

    page = client.get(TEAM).text

    assert "Marketing → Inside (QI → QIA)" in page  # received
    assert "Inside → Sales (MQL → SAL)" in page  # sent
    assert "Version 1" in page and "in force" in page
    assert _propose_url("qi_qia") in page


def test_propose_starts_from_the_terms_in_force(client, people):
    client.force_login(people.manager)

    page = client.get(_propose_url())

    assert page.status_code == 200
    assert page.context["form"].initial["accept_within_hours"] == Decimal("8.00")
    assert "Accept or reject +4.00h: Escalate to the team manager" in page.text


def test_a_manager_proposes_a_new_version_copying_the_ladder(client, people):
    client.force_login(people.manager)
    steps = list(_current().steps.values_list("clock", "after_hours", "action"))

    response = client.post(_propose_url(), _terms(), follow=True)

    new = _current()
    assert (new.version, new.accept_within_hours, new.effective_at) == (2, Decimal(4), None)
    assert new.created_by == people.manager
    assert list(new.steps.values_list("clock", "after_hours", "action")) == steps
    assert "Proposed Inside → Sales (MQL → SAL) version 2" in response.text
    assert "Sign off version 2" in response.text


def test_a_bad_proposal_keeps_what_was_entered_and_changes_nothing(client, people):
    client.force_login(people.manager)

    response = client.post(_propose_url(), _terms(warn_before_hours="6", criteria="Budget set"))

    assert response.status_code == 400
    assert "The warning must come before the due time" in response.text
    assert "Budget set" in response.text
    assert 'value="6"' in response.text
    assert SlaAgreement.objects.filter(handoff__key="mql_sal").count() == 1


def test_both_managers_sign_and_the_version_comes_into_force(client, people):
    client.force_login(people.manager)
    client.post(_propose_url(), _terms())
    proposal = _current()

    sales = client.post(_sign_url(proposal), follow=True)
    again = client.post(_sign_url(proposal), follow=True)
    client.force_login(people.managers["inside"])
    inside = client.post(_sign_url(proposal), follow=True)

    assert "it waits for the other side" in sales.text
    assert ALREADY_SIGNED.format(side="sales", version=2) in again.text
    assert "both sides have signed; it is in force" in inside.text
    proposal.refresh_from_db()
    assert proposal.sales_signoff_by == people.manager
    assert proposal.marketing_signoff_by == people.managers["inside"]
    assert proposal.effective_at is not None


def test_a_manager_of_a_team_outside_the_handoff_cannot_propose_or_sign(client, people):
    client.force_login(people.manager)
    client.post(_propose_url(), _terms())
    proposal = _current()
    client.force_login(people.managers["marketing"])

    assert client.get(_propose_url()).status_code == 404
    assert client.post(_propose_url(), _terms()).status_code == 404
    assert client.post(_sign_url(proposal)).status_code == 404
    assert client.post(_sign_url(proposal, team="sales")).status_code == 404
    proposal.refresh_from_db()
    assert proposal.marketing_signoff_at is None
    assert SlaAgreement.objects.filter(handoff__key="mql_sal").count() == 2


def test_an_admin_who_leads_neither_side_is_told_why_not(client, people):
    client.force_login(people.manager)
    client.post(_propose_url(), _terms())
    proposal = _current()
    client.force_login(UserFactory(username="con_root", role=Role.ADMIN))

    response = client.post(_sign_url(proposal, team="sales"), follow=True)

    assert response.status_code == 200
    assert NOT_A_LEADER.format(sender="Inside sales (qualification)", receiver="Sales") in (
        response.text
    )
    proposal.refresh_from_db()
    assert (proposal.marketing_signoff_at, proposal.sales_signoff_at) == (None, None)


def test_signing_needs_a_post(client, people):
    client.force_login(people.manager)

    assert client.get(_sign_url(_current())).status_code == 405
