"""The leads list `/leads/`: each filter of the query-string contract, sort and keyset pages,
who sees what, saved views, bulk actions, the CSV export."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from funnel.models import Campaign, HandoffPair, Role, Stage, Team
from funnel.tests.factories import UserFactory
from handoff.api.ingest import LeadRowSerializer, rows_validate
from handoff.lead_list import PAGE_SIZE
from handoff.models import Disposition, Lead, Offer, OfferStatus, SavedLeadView, StageTransition
from handoff.services.ingest import RowStatus, leads_ingest
from handoff.services.leads import lead_create
from handoff.services.offers import offer_route
from handoff.tests.factories import LeadFactory
from handoff.views.leads import EXPORT_FIELDS
from leadflow.locale import local_midnight

URL = "/leads/"
DAY = datetime.date(2026, 6, 1)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return local_midnight(day) + datetime.timedelta(hours=hour)


@pytest.fixture
def people(sales_team):
    _team, manager, (rep_a, rep_b) = sales_team
    return {
        "marketer": UserFactory(username="list_marketer", role=Role.MARKETING),
        "admin": UserFactory(username="list_admin", role=Role.ADMIN),
        "manager": manager,
        "rep_a": rep_a,
        "rep_b": rep_b,
        "inside": UserFactory(
            username="list_inside", role=Role.INSIDE, team=Team.objects.get(key="inside")
        ),
    }


def _stage(key: str) -> Stage:
    return Stage.objects.get(key=key)


def _listed(client, user, **params) -> list[int]:
    """Ids on the first page, in order (asserting the page answered 200)."""
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200, response.content.decode()[:2000]
    return [lead.pk for lead in response.context["page"].leads]


def _count(client, user, **params) -> int:
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.context["count"]


# --- the lead's own fields ----------------------------------------------------------------------


@pytest.mark.both_databases
def test_each_field_filter_lists_exactly_its_leads(client, people):
    """stage (repeatable), owner, team, campaign, source (any case), country (any case), score
    range, created and updated days (after inclusive, before exclusive), search."""
    spring = Campaign.objects.create(name="Spring")
    mql = LeadFactory(
        stage=_stage("mql"), owner=people["rep_a"], source="Webinar", country="DE", score=40,
        campaign=spring, company="Acme Robotics", created_at=at(DAY),
    )  # fmt: skip
    sal = LeadFactory(
        stage=_stage("sal"), owner=people["rep_b"], source="organic", country="FR", score=10,
        created_at=at(DAY + datetime.timedelta(days=1)), last_name="Okafor",
    )  # fmt: skip
    other = LeadFactory(stage=_stage("inquiry"), score=90, created_at=at(DAY, hour=-1))
    m = people["marketer"]
    assert set(_listed(client, m, stage=["mql", "sal"])) == {mql.pk, sal.pk}
    assert _listed(client, m, owner="rep_a") == [mql.pk]
    assert _listed(client, m, team=mql.team.key) == [mql.pk]
    assert _listed(client, m, campaign=spring.pk) == [mql.pk]
    assert _listed(client, m, source="webinar") == [mql.pk]
    assert _listed(client, m, country="fr") == [sal.pk]
    assert set(_listed(client, m, score_min=10, score_max=40)) == {mql.pk, sal.pk}
    assert _listed(client, m, score_min=41) == [other.pk]
    assert _listed(client, m, created_after=DAY, created_before=DAY + datetime.timedelta(1)) == [
        mql.pk
    ]
    assert _listed(client, m, q="acme rob") == [mql.pk]
    assert _listed(client, m, q="okafor") == [sal.pk]
    Lead.objects.filter(pk=sal.pk).update(updated_at=at(DAY))
    assert _listed(client, m, updated_before=DAY + datetime.timedelta(1)) == [sal.pk]
    assert sal.pk not in _listed(client, m, updated_after=DAY + datetime.timedelta(1))


def test_merged_away_leads_are_never_listed(client, people):
    survivor = LeadFactory()
    LeadFactory(merged_into=survivor, merged_at=timezone.now())
    assert _listed(client, people["marketer"]) == [survivor.pk]


# --- the report-linked filters: one row per lead, never a join ----------------------------------


def _move(lead, to: str, when, frm=None):
    return StageTransition.objects.create(
        lead=lead, to_stage=_stage(to), from_stage=_stage(frm) if frm else None, at=when
    )


@pytest.mark.both_databases
def test_entered_lists_a_lead_that_entered_twice_once(client, people):
    twice, before = LeadFactory(), LeadFactory()
    _move(twice, "mql", at(DAY))
    _move(twice, "mql", at(DAY + datetime.timedelta(days=2)))
    _move(before, "mql", at(DAY - datetime.timedelta(days=1)))
    window = {"entered": "mql", "entered_after": DAY, "entered_before": DAY + datetime.timedelta(7)}
    assert _listed(client, people["marketer"], **window) == [twice.pk]
    assert _count(client, people["marketer"], **window) == 1
    assert set(_listed(client, people["marketer"], entered="mql")) == {twice.pk, before.pk}


@pytest.mark.both_databases
def test_cohort_is_the_leads_whose_first_move_is_in_the_window(client, people):
    first_in, earlier = LeadFactory(), LeadFactory()
    _move(first_in, "inquiry", at(DAY))
    _move(first_in, "sal", at(DAY + datetime.timedelta(days=20)), "inquiry")
    _move(earlier, "inquiry", at(DAY - datetime.timedelta(days=3)))
    _move(earlier, "mql", at(DAY + datetime.timedelta(days=1)), "inquiry")  # in the window
    cohort = {"cohort_after": DAY, "cohort_before": DAY + datetime.timedelta(7)}
    assert _listed(client, people["marketer"], **cohort) == [first_in.pk]
    # Cohort leads that reached SAL, whenever they did.
    assert _listed(client, people["marketer"], entered="sal", **cohort) == [first_in.pk]
    assert _listed(client, people["marketer"], entered="mql", **cohort) == []


def _offer(lead, status, when, assignee=None, **extra):
    return Offer.objects.create(
        handoff=HandoffPair.objects.get(key="mql_sal"), lead=lead, status=status,
        offered_at=when, assignee=assignee, **extra,
    )  # fmt: skip


@pytest.mark.both_databases
def test_handoff_and_decision_list_each_lead_once(client, people):
    lead, pending = LeadFactory(), LeadFactory()
    _offer(lead, OfferStatus.REJECTED, at(DAY))
    _offer(lead, OfferStatus.ACCEPTED, at(DAY + datetime.timedelta(days=1)))
    _offer(pending, OfferStatus.PENDING, at(DAY))
    m, window = people["marketer"], {"offered_after": DAY, "offered_before": DAY + timedelta7()}
    assert set(_listed(client, m, handoff="mql_sal", **window)) == {lead.pk, pending.pk}
    assert _count(client, m, handoff="mql_sal", **window) == 2  # three offers, two leads
    assert _listed(client, m, handoff="mql_sal", decision="accepted", **window) == [lead.pk]
    assert _listed(client, m, handoff="mql_sal", decision="pending", **window) == [pending.pk]
    assert _listed(client, m, handoff="qi_qia", **window) == []
    assert _listed(client, m, handoff="mql_sal", offered_after=DAY + timedelta7()) == []


def timedelta7():
    return datetime.timedelta(days=7)


@pytest.mark.both_databases
def test_holder_is_who_accepted_last_not_anyone_who_ever_did(client, people):
    lead = LeadFactory()
    rep_a, rep_b = people["rep_a"], people["rep_b"]
    _offer(lead, OfferStatus.ACCEPTED, at(DAY), rep_a, decided_at=at(DAY), closed_at=at(DAY))
    _offer(lead, OfferStatus.ACCEPTED, at(DAY + timedelta7()), rep_b,
           decided_at=at(DAY + timedelta7()))  # fmt: skip
    m = people["marketer"]
    assert _listed(client, m, holder="rep_b") == [lead.pk]
    assert _listed(client, m, holder="rep_a") == []  # a join on offers would list it
    assert _listed(client, m, holder_team="sales") == [lead.pk]
    assert _listed(client, m, holder_team="inside") == []


@pytest.mark.both_databases
def test_won_lists_leads_with_a_won_disposition_in_the_window(client, people):
    won, later = LeadFactory(), LeadFactory()
    for when in (at(DAY), at(DAY + datetime.timedelta(days=1))):
        Disposition.objects.create(lead=won, kind=Disposition.Kind.WON, at=when, amount=10)
    Disposition.objects.create(lead=later, kind=Disposition.Kind.WON, at=at(DAY + timedelta7()))
    window = {"won_after": DAY, "won_before": DAY + timedelta7()}
    assert _listed(client, people["marketer"], **window) == [won.pk]
    assert _count(client, people["marketer"], **window) == 1


@pytest.mark.both_databases
def test_black_hole_is_an_accepted_open_offer_past_its_work_limit(client, people):
    hole, closed, in_time = LeadFactory(), LeadFactory(), LeadFactory()
    past = timezone.now() - datetime.timedelta(days=1)
    _offer(hole, OfferStatus.ACCEPTED, past, people["rep_a"], work_due_at=past)
    _offer(closed, OfferStatus.ACCEPTED, past, people["rep_a"], work_due_at=past, closed_at=past)
    _offer(in_time, OfferStatus.ACCEPTED, past, people["rep_a"],
           work_due_at=timezone.now() + timedelta7())  # fmt: skip
    assert _listed(client, people["marketer"], black_hole="1") == [hole.pk]
    assert _listed(client, people["marketer"], black_hole="1", handoff="qi_qia") == []


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"stage": "nope"}, "nope is not one of the available choices"),
        ({"created_after": "2026-13-01"}, "Give a day as YYYY-MM-DD."),
        ({"entered_before": "01/06/2026"}, "Give a day as YYYY-MM-DD."),
        ({"won_after": "0001-01-01"}, "Give a day from 1900-01-01"),
        ({"score_min": "50", "score_max": "10"}, "The lowest score is above the highest."),
        ({"score_min": "ten"}, "Enter a whole number."),
        ({"sort": "email"}, "Select a valid choice."),
        ({"country": "Germany"}, "two-letter country code"),
        ({"decision": "maybe"}, "Select a valid choice."),
        ({"after": "not-a-cursor"}, "This page link is broken"),
    ],
)
def test_bad_input_is_an_error_on_the_page_not_a_500(client, people, params, message):
    LeadFactory()
    client.force_login(people["marketer"])
    response = client.get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["page"] is None
    # What was typed stays in the form.
    for key, value in params.items():
        if key not in ("after", "stage", "sort", "decision"):
            assert f'value="{value}"' in response.content.decode()


def test_a_bad_export_shows_the_errors_instead_of_a_file(client, people):
    client.force_login(people["marketer"])
    response = client.get(reverse("handoff:lead-export"), {"score_min": "x"})
    assert response.status_code == 400
    assert "Enter a whole number." in response.content.decode()


# --- sort and keyset pages ----------------------------------------------------------------------


@pytest.mark.both_databases
@pytest.mark.parametrize("sort", ["score", "-score", "last_name", "-updated", "created"])
def test_pages_by_a_non_unique_column_lose_and_repeat_no_lead(client, people, sort):
    names = ["Lee", "Ng", "Abe"]
    leads = [
        LeadFactory(score=n % 2, last_name=names[n % 3], created_at=at(DAY, hour=n % 2))
        for n in range(2 * PAGE_SIZE + 7)
    ]
    Lead.objects.update(updated_at=at(DAY))  # every lead ties on updated
    client.force_login(people["marketer"])
    seen, params, pages = [], {"sort": sort}, 0
    while True:
        response = client.get(URL, params)
        assert response.status_code == 200
        page = response.context["page"]
        seen += page.leads
        pages += 1
        if not page.next_after:
            break
        params = {"sort": sort, "after": page.next_after}
    assert pages == 3
    assert sorted(lead.pk for lead in seen) == sorted(lead.pk for lead in leads)
    column = {"score": "score", "last_name": "last_name", "updated": "updated_at",
              "created": "created_at"}[sort.lstrip("-")]  # fmt: skip
    keys = [(getattr(lead, column), lead.pk) for lead in seen]
    assert keys == sorted(keys, reverse=sort.startswith("-"))


def test_a_later_page_links_back_to_the_first(client, people):
    for _ in range(PAGE_SIZE + 1):
        LeadFactory()
    client.force_login(people["marketer"])
    first = client.get(URL, {"stage": "inquiry"})
    assert "Next 50" in first.content.decode()
    assert "Back to first page" not in first.content.decode()
    second = client.get(URL, {"stage": "inquiry", "after": first.context["page"].next_after})
    assert len(second.context["page"].leads) == 1
    assert 'href="?stage=inquiry">← Back to first page' in second.content.decode()
    assert second.context["count"] == PAGE_SIZE + 1  # the count is of the set, not the page


def test_a_cursor_from_another_sort_is_refused(client, people):
    for _ in range(PAGE_SIZE + 1):
        LeadFactory()
    client.force_login(people["marketer"])
    after = client.get(URL, {"sort": "score"}).context["page"].next_after
    response = client.get(URL, {"sort": "-updated", "after": after})
    assert response.status_code == 400


def test_the_count_is_capped_unless_asked_for_all(client, people, monkeypatch):
    monkeypatch.setattr("handoff.views.leads.COUNT_CAP", 3)
    for _ in range(5):
        LeadFactory()
    client.force_login(people["marketer"])
    response = client.get(URL)
    assert (response.context["count"], response.context["more"]) == (3, True)
    assert "3+ leads" in response.content.decode()
    response = client.get(URL, {"count": "all"})
    assert (response.context["count"], response.context["more"]) == (5, False)


@pytest.mark.parametrize("size", [3, 60])
def test_the_page_reads_a_fixed_number_of_queries(
    client, people, django_assert_max_num_queries, size
):
    spring = Campaign.objects.create(name="Spring")
    for n in range(size):
        LeadFactory(owner=people["rep_a"], campaign=spring, score=n)
    client.force_login(people["admin"])
    with django_assert_max_num_queries(20):
        response = client.get(URL, {"stage": "inquiry", "sort": "-score", "entered": "mql"})
    assert response.status_code == 200
    with django_assert_max_num_queries(20):
        response = client.get(URL, {"sort": "-score"})
    assert len(response.context["page"].leads) == min(size, PAGE_SIZE)


# --- who sees what ------------------------------------------------------------------------------


def test_a_sales_rep_sees_only_their_leads_in_the_list_and_the_export(client, people):
    mine = LeadFactory(owner=people["rep_a"], stage=_stage("sal"))
    theirs = LeadFactory(owner=people["rep_b"], stage=_stage("sal"), company="Hidden Co")
    assert _listed(client, people["rep_a"]) == [mine.pk]
    assert _listed(client, people["rep_a"], q="hidden") == []
    rows = _export(client, people["rep_a"])
    assert [row["email"] for row in rows] == [mine.email]
    # The manager of their team sees both; the marketer every lead.
    assert set(_listed(client, people["manager"])) == {mine.pk, theirs.pk}
    assert set(_listed(client, people["marketer"])) == {mine.pk, theirs.pk}


def test_an_integration_may_not_use_the_page(client, people):
    client.force_login(UserFactory(username="list_integration", role=Role.INTEGRATION))
    assert client.get(URL).status_code == 403
    assert client.get(reverse("handoff:lead-export")).status_code == 403


# --- export -------------------------------------------------------------------------------------


def _export(client, user, **params) -> list[dict]:
    client.force_login(user)
    response = client.get(reverse("handoff:lead-export"), params)
    assert response.status_code == 200
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.both_databases
def test_the_export_is_the_whole_filtered_set_in_the_list_order(client, people):
    wanted = [LeadFactory(stage=_stage("mql"), score=n) for n in range(PAGE_SIZE + 10)]
    LeadFactory(stage=_stage("sal"))
    rows = _export(client, people["marketer"], stage="mql", sort="score", after="ignored")
    assert [row["email"] for row in rows] == [lead.email for lead in wanted]


def test_the_export_header_is_the_bulk_apis_fields():
    assert set(EXPORT_FIELDS) == set(LeadRowSerializer().fields)


def test_export_cells_that_start_like_formulas_are_neutralised(client, people):
    LeadFactory(company="=HYPERLINK(\"http://x\")", first_name="+cmd", last_name="@SUM(1)",
                title="-2+3", city="\tTab", score=-5)  # fmt: skip
    [row] = _export(client, people["marketer"])
    assert row["company"] == '\'=HYPERLINK("http://x")'
    assert (row["first_name"], row["last_name"]) == ("'+cmd", "'@SUM(1)")
    assert (row["title"], row["city"]) == ("'-2+3", "'\tTab")
    assert row["score"] == "-5"  # a number stays a number


def test_an_export_reimports_through_the_bulk_ingest_as_unchanged(client, people):
    spring = Campaign.objects.create(name="Spring")
    lead_create(
        actor=None, email="ana@acme.com", first_name="Ana", company="Acme", campaign=spring,
        employees=40, attributes={"plan": "pro"}, country="DE",
    )  # fmt: skip
    lead_create(actor=None, email="", external_id="map-7", phone="555 0100", stage="qi")
    rows = _export(client, people["marketer"])
    # As an import maps them: every column by its name; empty cells of optional ids left out.
    parsed = []
    for row in rows:
        data = {k: v for k, v in row.items() if v != "" or k not in ("employees", "campaign",
                "external_id", "attributes")}  # fmt: skip
        if "attributes" in data:
            data["attributes"] = json.loads(data["attributes"])
        parsed.append(data)
    valid, refused = rows_validate(parsed, LeadRowSerializer)
    assert refused == []
    results = leads_ingest(actor=people["marketer"], rows=valid)
    assert [r.status for r in results] == [RowStatus.UNCHANGED, RowStatus.UNCHANGED]


# --- saved views --------------------------------------------------------------------------------


def test_a_saved_view_keeps_the_filters_and_is_the_users_own(client, people):
    mql = LeadFactory(stage=_stage("mql"), score=30)
    LeadFactory(stage=_stage("sal"))
    client.force_login(people["marketer"])
    response = client.post(
        reverse("handoff:lead-view-save"),
        {"name": "Hot MQLs", "query": "stage=mql&sort=-score&after=xyz"},
    )
    view = SavedLeadView.objects.get(user=people["marketer"], name="Hot MQLs")
    assert view.query == "sort=-score&stage=mql"
    assert response.url == f"{URL}?view={view.pk}"
    assert _listed(client, people["marketer"], view=view.pk) == [mql.pk]
    # Another user's view, to open, export or delete, is not there for them.
    client.force_login(people["admin"])
    assert client.get(URL, {"view": view.pk}).status_code == 404
    assert client.get(reverse("handoff:lead-export"), {"view": view.pk}).status_code == 404
    delete = reverse("handoff:lead-view-delete", kwargs={"view_id": view.pk})
    assert client.post(delete).status_code == 404
    assert SavedLeadView.objects.filter(pk=view.pk).exists()
    client.force_login(people["marketer"])
    assert client.post(delete).status_code == 302
    assert not SavedLeadView.objects.filter(pk=view.pk).exists()


def test_a_view_with_no_name_or_bad_filters_is_not_saved(client, people):
    client.force_login(people["marketer"])
    response = client.post(reverse("handoff:lead-view-save"), {"name": " ", "query": "stage=mql"})
    assert response.status_code == 400
    assert "Give the view a name." in response.content.decode()
    response = client.post(reverse("handoff:lead-view-save"), {"name": "x", "query": "stage=no"})
    assert response.status_code == 400
    assert "Fix the filters" in response.content.decode()
    assert 'value="x"' in response.content.decode()
    assert not SavedLeadView.objects.exists()


# --- bulk actions -------------------------------------------------------------------------------


def _bulk(client, user, leads, **data):
    client.force_login(user)
    return client.post(reverse("handoff:lead-bulk"), {"leads": [lead.pk for lead in leads], **data})


def test_marketing_sets_the_campaign_after_confirming(client, people):
    spring = Campaign.objects.create(name="Spring")
    leads = [LeadFactory(), LeadFactory()]
    data = {"action": "campaign", "campaign": spring.pk}
    asked = _bulk(client, people["marketer"], leads, **data)
    assert asked.status_code == 200
    assert 'name="confirm" value="1"' in asked.content.decode()
    assert not Lead.objects.filter(campaign=spring).exists()  # nothing before the confirm
    done = _bulk(client, people["marketer"], leads, confirm="1", **data)
    assert done.status_code == 200
    assert [r.done for r in done.context["results"]] == [True, True]
    assert Lead.objects.filter(campaign=spring).count() == 2


def test_a_rep_may_not_set_campaigns(client, people):
    spring = Campaign.objects.create(name="Spring")
    lead = LeadFactory(owner=people["rep_a"], stage=_stage("sal"))
    response = _bulk(client, people["rep_a"], [lead], action="campaign", campaign=spring.pk,
                     confirm="1")  # fmt: skip
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).campaign is None


def test_one_refused_lead_undoes_the_whole_batch_and_is_named(client, people):
    """A rep recycles two of their MQLs and a won lead: the won one cannot be recycled, so
    nothing moves, and the page names it with the reason."""
    reason = _recycle_reason()
    rep = people["rep_a"]
    mqls = [LeadFactory(owner=rep, stage=_stage("mql")) for _ in range(2)]
    won = LeadFactory(owner=rep, stage=_stage("won"), first_name="Wanda", last_name="Won")
    hidden = LeadFactory(owner=people["rep_b"], stage=_stage("mql"))
    response = _bulk(client, rep, [*mqls, won, hidden], action="recycle", reason=reason.pk,
                     confirm="1")  # fmt: skip
    assert response.status_code == 409
    results = {r.lead_id: r for r in response.context["results"]}
    assert [results[m.pk].done for m in mqls] == [True, True]
    assert not results[won.pk].done and "cannot move to" in results[won.pk].message
    assert results[hidden.pk].message == f"Lead {hidden.pk} is not one you may see."
    page = response.content.decode()
    assert "Wanda Won" in page and "Nothing was changed" in page
    assert set(Lead.objects.values_list("stage__key", flat=True)) == {"mql", "won"}
    assert not StageTransition.objects.filter(to_stage__key="recycle").exists()


def test_a_rep_recycles_their_leads_with_a_reason(client, people):
    reason = _recycle_reason()
    rep = people["rep_a"]
    mqls = [LeadFactory(owner=rep, stage=_stage("mql")) for _ in range(2)]
    response = _bulk(client, rep, mqls, action="recycle", reason=reason.pk, confirm="1")
    assert response.status_code == 200
    assert set(Lead.objects.values_list("stage__key", flat=True)) == {"recycle"}
    assert StageTransition.objects.filter(to_stage__key="recycle", reason=reason).count() == 2


def test_recycling_needs_a_reason(client, people):
    lead = LeadFactory(owner=people["rep_a"], stage=_stage("mql"))
    response = _bulk(client, people["rep_a"], [lead], action="recycle", confirm="1")
    assert response.status_code == 400
    assert "Choose a reason to recycle." in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).stage.key == "mql"


def _recycle_reason():
    from funnel.models import ReasonCode, ReasonPurpose

    return ReasonCode.objects.filter(purpose=ReasonPurpose.RECYCLE, active=True).first()


def test_a_manager_reassigns_a_waiting_lead_a_rep_may_not(client, people, sla_enqueues):
    lead = lead_create(actor=None, stage="mql", email="bea@acme.com", first_name="Bea")
    offer = offer_route(offer_id=Offer.objects.get(lead=lead).pk)
    other = people["rep_b"] if offer.assignee == people["rep_a"] else people["rep_a"]
    # A rep has no reassign action: the choice is refused and nothing changes.
    refused = _bulk(client, offer.assignee, [lead], action="reassign", assignee=other.pk,
                    confirm="1")  # fmt: skip
    assert refused.status_code == 400
    assert Offer.objects.get(pk=offer.pk).assignee == offer.assignee
    done = _bulk(client, people["manager"], [lead], action="reassign", assignee=other.pk,
                 confirm="1")  # fmt: skip
    assert done.status_code == 200, done.content.decode()[:3000]
    assert Offer.objects.get(pk=offer.pk).assignee == other


def test_a_lead_with_no_open_offer_cannot_be_reassigned(client, people):
    lead = LeadFactory(owner=people["rep_a"], stage=_stage("sal"), first_name="Nora")
    response = _bulk(client, people["manager"], [lead], action="reassign",
                     assignee=people["rep_b"].pk, confirm="1")  # fmt: skip
    assert response.status_code == 409
    assert "has no open offer" in response.context["results"][0].message
    assert Lead.objects.get(pk=lead.pk).owner == people["rep_a"]


def test_bad_lead_ids_are_a_form_error(client, people):
    client.force_login(people["marketer"])
    response = client.post(reverse("handoff:lead-bulk"), {"leads": ["x"], "action": "campaign"})
    assert response.status_code == 400
    assert "not valid lead ids" in response.content.decode()
