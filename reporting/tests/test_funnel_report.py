"""The funnel report on a hand-built history; every figure worked out by hand.

The history (`lifecycle_build`, the `lifecycle` fixture) is shared with the velocity and
qualifiers tests. The period is Mon 7 Sep to Mon 5 Oct 2026 (end exclusive), four weeks in
Berlin time (CEST, UTC+2): 7 Sep, 14 Sep, 21 Sep (nothing happens) and 28 Sep. Routing sends DE
leads to anna (inside) and rep_a (sales), FR leads to ben (inside) and rep_b (sales); mkt is
marketing. "x → stage" is a move; offers open on entering qi and mql.

  lead  where/campaign/source  history (Berlin time)
  L1    DE C1 webinar   Mon 07 Sep 09:00 inquiry, 12:00 qi (routed 13:00, anna accepts 14:00 →
                        qia, touches 15:00); Tue 08 Sep 09:00 anna → mql (routed 10:00, rep_a
                        accepts 12:00 → sal, touches 13:00); Wed 09 Sep 12:00 → sql;
                        Mon 14 Sep 12:00 won 1,000
  L2    FR C1 webinar   Mon 07 Sep 10:00 inquiry, 11:00 qi (routed 11:00, ben accepts 15:00 →
                        qia); Wed 09 Sep 10:00 ben → mql (routed 11:00, rep_b rejects 15:00 →
                        recycle); Thu 17 Sep 10:00 mkt → mql (routed 10:00, rep_b accepts 12:00
                        → sal, touches 14:00); Fri 18 Sep 12:00 → sql; Tue 06 Oct 12:00 won 500
  L3    DE C2 ads       Tue 15 Sep 09:00 created in mql (routed 10:00, rep_a accepts 12:00 → sal)
  L4    FR -  -         Tue 08 Sep 10:00 inquiry, 11:00 qi (routed 11:00, ben rejects Wed 09 Sep
                        11:00 → recycle); Tue 29 Sep 10:00 mkt → qi (routed 10:00, pending)
  L5    DE C1 webinar   Wed 26 Aug 10:00 inquiry, Thu 27 Aug 10:00 qi (anna accepts 12:00);
                        Tue 08 Sep 14:00 anna → mql (routed 14:00, rep_a accepts 16:00 → sal);
                        Tue 29 Sep 10:00 → sql; Wed 30 Sep 10:00 lost
  L6    DE C1 webinar   Mon 28 Sep 10:00 inquiry, 11:00 qi (routed 11:00, anna accepts 12:00);
                        Wed 30 Sep 10:00 anna → mql (routed 11:00, rep_a accepts Thu 01 Oct
                        11:00 → sal, touches 12:00); Fri 02 Oct 11:00 → sql; Wed 07 Oct 11:00
                        won 2,000
  L7    FR C2 ads       Mon 14 Sep 00:30 inquiry (Sunday 22:30 UTC), 10:30 qi (routed 10:30, ben
                        accepts 12:30); Tue 15 Sep 10:30 ben → mql (routed 10:30, rep_b rejects
                        Wed 16 Sep 10:30 → recycle)
  F1-F5 -  -  -         inquiry only: Sun 06 Sep 23:30 (before), Mon 07 Sep 00:30 (in; Sunday in
                        UTC), Sun 13 Sep 23:30, Sun 04 Oct 23:30, Mon 05 Oct 00:30 (after)
  B1-10 -  C2 ads       inquiry Thu 10 Sep 10:00; B1 and B2 disqualified Sat 12 Sep 10:00
  B11-16 - -  Ads       inquiry Tue 29 Sep 09:00 (source in capitals: "ads" all the same)

Holder (last accepted offer's assignee): L1, L3, L5, L6 rep_a; L2 rep_b; L7 ben; others none.
Qualifier (last QIA → MQL move): L1, L5, L6 anna; L2, L7 ben; others none.

Period entries (mode=period), by week of entry:

  stage     7 Sep                    14 Sep           21 Sep  28 Sep            total
  inquiry   L1 L2 L4 F2 F3 B1-10 15  L7 1             0       L6 F4 B11-16 8    24
  qi        L1 L2 L4 3               L7 1             0       L4 L6 2           6
  qia       L1 L2 2                  L7 1             0       L6 1              4
  mql       L1 L2 L5 3               L2 L3 L7 3       0       L6 1              7
  sal       L1 L5 2                  L2 L3 2          0       L6 1              5
  sql       L1 1                     L2 1             0       L5 L6 2           4
  won       0                        L1 1             0       0                 1
  revenue   0                        1,000            0       0                 1,000

Cohort (first transition in the period: all but L5, F1, F5; 25 leads), followed to today:
  inquiry 24 (not L3), qi 5 (L1 L2 L4 L6 L7), qia 4 (L1 L2 L6 L7), mql 5 (L1 L2 L3 L6 L7),
  sal 4 (L1 L2 L3 L6), sql 3 (L1 L2 L6), won 3 (L1 L2 L6); revenue 1,000 + 500 + 2,000.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from funnel.models import Campaign, HandoffPair, ReasonCode, Role, Team
from funnel.services import funnel_setup_defaults
from funnel.tests.factories import UserFactory
from handoff.models import Lead, Offer, OfferStatus, RoutingRule, RoutingStrategy
from handoff.services.leads import lead_create, lead_transition
from handoff.services.offers import offer_accept, offer_reject, offer_route
from handoff.services.setup import handoff_setup_defaults
from handoff.services.work import lead_disposition, touch_log
from reporting.params import ReportQuery
from reporting.selectors.funnel import funnel_report
from reporting.tests.conftest import berlin

pytestmark = [pytest.mark.both_databases]


def aug(day, hour, minute=0):
    return berlin(2026, 8, day, hour, minute)


def sep(day, hour, minute=0):
    return berlin(2026, 9, day, hour, minute)


def october(day, hour, minute=0):
    return berlin(2026, 10, day, hour, minute)


PERIOD = ReportQuery(start=datetime.date(2026, 9, 7), end=datetime.date(2026, 10, 5))
AS_OF = sep(16, 10)  # Wed 16 Sep 10:00, half an hour before rep_b rejects L7
STAGES = ["inquiry", "qi", "qia", "mql", "sal", "sql", "won"]

# lead: (country, campaign, source, [(when, action, *arguments)]). Actions: create (stage),
# move (stage, by), route, accept (by), reject (by), touch (by), qualify (by), won (by, amount),
# lost (by).
STORIES = {
    "L1": ("DE", "C1", "webinar", [
        (sep(7, 9), "create", "inquiry"),
        (sep(7, 12), "move", "qi", "mkt"),
        (sep(7, 13), "route"),
        (sep(7, 14), "accept", "anna"),
        (sep(7, 15), "touch", "anna"),
        (sep(8, 9), "qualify", "anna"),
        (sep(8, 10), "route"),
        (sep(8, 12), "accept", "rep_a"),
        (sep(8, 13), "touch", "rep_a"),
        (sep(9, 12), "qualify", "rep_a"),
        (sep(14, 12), "won", "rep_a", 1000),
    ]),
    "L2": ("FR", "C1", "webinar", [
        (sep(7, 10), "create", "inquiry"),
        (sep(7, 11), "move", "qi", "mkt"),
        (sep(7, 11), "route"),
        (sep(7, 15), "accept", "ben"),
        (sep(9, 10), "qualify", "ben"),
        (sep(9, 11), "route"),
        (sep(9, 15), "reject", "rep_b"),
        (sep(17, 10), "move", "mql", "mkt"),
        (sep(17, 10), "route"),
        (sep(17, 12), "accept", "rep_b"),
        (sep(17, 14), "touch", "rep_b"),
        (sep(18, 12), "qualify", "rep_b"),
        (october(6, 12), "won", "rep_b", 500),
    ]),
    "L3": ("DE", "C2", "ads", [
        (sep(15, 9), "create", "mql"),
        (sep(15, 10), "route"),
        (sep(15, 12), "accept", "rep_a"),
    ]),
    "L4": ("FR", None, "", [
        (sep(8, 10), "create", "inquiry"),
        (sep(8, 11), "move", "qi", "mkt"),
        (sep(8, 11), "route"),
        (sep(9, 11), "reject", "ben"),
        (sep(29, 10), "move", "qi", "mkt"),
        (sep(29, 10), "route"),
    ]),
    "L5": ("DE", "C1", "webinar", [
        (aug(26, 10), "create", "inquiry"),
        (aug(27, 10), "move", "qi", "mkt"),
        (aug(27, 10), "route"),
        (aug(27, 12), "accept", "anna"),
        (sep(8, 14), "qualify", "anna"),
        (sep(8, 14), "route"),
        (sep(8, 16), "accept", "rep_a"),
        (sep(29, 10), "qualify", "rep_a"),
        (sep(30, 10), "lost", "rep_a"),
    ]),
    "L6": ("DE", "C1", "webinar", [
        (sep(28, 10), "create", "inquiry"),
        (sep(28, 11), "move", "qi", "mkt"),
        (sep(28, 11), "route"),
        (sep(28, 12), "accept", "anna"),
        (sep(30, 10), "qualify", "anna"),
        (sep(30, 11), "route"),
        (october(1, 11), "accept", "rep_a"),
        (october(1, 12), "touch", "rep_a"),
        (october(2, 11), "qualify", "rep_a"),
        (october(7, 11), "won", "rep_a", 2000),
    ]),
    "L7": ("FR", "C2", "ads", [
        (sep(14, 0, 30), "create", "inquiry"),
        (sep(14, 10, 30), "move", "qi", "mkt"),
        (sep(14, 10, 30), "route"),
        (sep(14, 12, 30), "accept", "ben"),
        (sep(15, 10, 30), "qualify", "ben"),
        (sep(15, 10, 30), "route"),
        (sep(16, 10, 30), "reject", "rep_b"),
    ]),
}  # fmt: skip
FILLERS = {
    "F1": sep(6, 23, 30),
    "F2": sep(7, 0, 30),
    "F3": sep(13, 23, 30),
    "F4": october(4, 23, 30),
    "F5": october(5, 0, 30),
}


def lifecycle_build(at) -> SimpleNamespace:
    """Play the history above through the services, each step at its moment (`at(moment)`)."""
    funnel_setup_defaults()
    handoff_setup_defaults()
    teams = {team.key: team for team in Team.objects.all()}
    people = {
        "mkt": UserFactory(username="mkt", role=Role.MARKETING, team=teams["marketing"]),
        "anna": UserFactory(username="anna", role=Role.INSIDE, team=teams["inside"]),
        "ben": UserFactory(username="ben", role=Role.INSIDE, team=teams["inside"]),
        "rep_a": UserFactory(username="report_rep_a", role=Role.SALES, team=teams["sales"]),
        "rep_b": UserFactory(username="report_rep_b", role=Role.SALES, team=teams["sales"]),
    }
    for key, (de, fr) in {"qi_qia": ("anna", "ben"), "mql_sal": ("rep_a", "rep_b")}.items():
        pair = HandoffPair.objects.get(key=key)
        for position, country, user in ((1, "DE", de), (2, "FR", fr)):
            RoutingRule.objects.create(
                handoff=pair,
                position=position,
                name=f"{country} to {user}",
                strategy=RoutingStrategy.USER,
                target_user=people[user],
                countries=[country],
            )
    campaigns = {
        "C1": Campaign.objects.create(name="Autumn webinar"),
        "C2": Campaign.objects.create(name="Pricing ebook"),
    }
    reasons = {
        purpose: ReasonCode.objects.get(purpose=purpose, code=code)
        for purpose, code in (("reject", "not_icp"), ("lost", "price"), ("disqualify", "spam"))
    }

    def pending(lead):
        return Offer.objects.get(lead=lead, status=OfferStatus.PENDING)

    leads = {}
    for name, (country, campaign, source, steps) in STORIES.items():
        for when, action, *args in steps:
            with at(when):
                lead = Lead.objects.get(pk=leads[name].pk) if name in leads else None
                if action == "create":
                    leads[name] = lead_create(
                        actor=people["mkt"],
                        stage=args[0],
                        email=f"{name.lower()}@example.com",
                        country=country,
                        campaign=campaigns.get(campaign),
                        source=source,
                    )
                elif action == "move":
                    lead_transition(lead=lead, to=args[0], actor=people[args[1]])
                elif action == "route":
                    offer_route(offer_id=pending(lead).pk)
                elif action == "accept":
                    offer_accept(offer=pending(lead), actor=people[args[0]])
                elif action == "reject":
                    offer_reject(
                        offer=pending(lead), actor=people[args[0]], reason=reasons["reject"]
                    )
                elif action == "touch":
                    touch_log(lead=lead, actor=people[args[0]], kind="call", outcome="connected")
                elif action == "qualify":
                    lead_disposition(lead=lead, actor=people[args[0]], disposition="qualified")
                elif action == "won":
                    lead_disposition(
                        lead=lead, actor=people[args[0]], disposition="won", amount=Decimal(args[1])
                    )
                elif action == "lost":
                    lead_disposition(
                        lead=lead, actor=people[args[0]], disposition="lost", reason=reasons["lost"]
                    )
    for name, when in FILLERS.items():
        with at(when):
            leads[name] = lead_create(actor=people["mkt"], email=f"{name.lower()}@example.com")
    for n in range(1, 17):
        batch = {"campaign": campaigns["C2"], "source": "ads"} if n <= 10 else {"source": "Ads"}
        with at(sep(10, 10) if n <= 10 else sep(29, 9)):
            leads[f"B{n}"] = lead_create(
                actor=people["mkt"], email=f"b{n}@example.com", country="AT", **batch
            )
    for name in ("B1", "B2"):
        with at(sep(12, 10)):
            lead_transition(
                lead=leads[name],
                to="disqualified",
                actor=people["mkt"],
                reason=reasons["disqualify"],
            )
    return SimpleNamespace(people=people, campaigns=campaigns, leads=leads, reasons=reasons)


def lifecycle_go_on(lifecycle, at) -> None:
    """Moves after the as-of moment, inside the period: rep_a takes L3 to SQL, marketing sends
    L7 back to MQL and rep_b accepts it."""
    people, leads = lifecycle.people, lifecycle.leads
    with at(sep(22, 10)):
        lead_disposition(lead=leads["L3"], actor=people["rep_a"], disposition="qualified")
    with at(sep(22, 11)):
        lead = Lead.objects.get(pk=leads["L7"].pk)
        lead_transition(lead=lead, to="mql", actor=people["mkt"])
        offer = offer_route(offer_id=Offer.objects.get(lead=lead, status="pending").pk)
    with at(sep(22, 12)):
        offer_accept(offer=offer, actor=people["rep_b"])


def stages(entered, to_next, to_won) -> list[dict]:
    return [
        {"stage": stage, "entered": e, "to_next": n, "to_won": w}
        for stage, e, n, w in zip(STAGES, entered, to_next, to_won, strict=True)
    ]


def entered(row) -> list[int]:
    return [s["entered"] for s in row["stages"]]


NONE_ENTERED = stages([0] * 7, [None] * 7, [None] * 7)


def test_the_period_funnel_counts_entries_and_converts_entries(lifecycle):
    """qia converts at 1.75: L5's qia was before the period, L3 skipped it, L2 came back."""
    assert funnel_report(query=PERIOD) == [
        {
            "group": None,
            "stages": stages(
                [24, 6, 4, 7, 5, 4, 1],
                # 6/24, 4/6, 7/4, 5/7, 4/5, 1/4
                [0.25, 0.6667, 1.75, 0.7143, 0.8, 0.25, None],
                # 1/24, 1/6, 1/4, 1/7, 1/5, 1/4, 1/1
                [0.0417, 0.1667, 0.25, 0.1429, 0.2, 0.25, 1.0],
            ),
            "revenue_won": "1000.00",  # L2's and L6's wins come after the period
        }
    ]


def test_period_weeks_are_local_weeks_and_empty_weeks_have_rows(lifecycle):
    """L7 entered on Monday 14 Sep at 00:30 Berlin time, still Sunday in UTC; F2 on Monday
    7 Sep at 00:30 is in the period, F1 half an hour earlier is not; F4 on the last Sunday
    evening is in, F5 is not. Nothing happened in the week of 21 Sep."""
    rows = funnel_report(query=PERIOD, group_by="week")

    assert rows == [
        {
            "group": "2026-09-07",
            "stages": stages(
                [15, 3, 2, 3, 2, 1, 0],
                [0.2, 0.6667, 1.5, 0.6667, 0.5, 0.0, None],
                [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None],
            ),
            "revenue_won": "0.00",
        },
        {
            "group": "2026-09-14",
            "stages": stages(
                [1, 1, 1, 3, 2, 1, 1],
                [1.0, 1.0, 3.0, 0.6667, 0.5, 1.0, None],
                [1.0, 1.0, 1.0, 0.3333, 0.5, 1.0, 1.0],
            ),
            "revenue_won": "1000.00",
        },
        {"group": "2026-09-21", "stages": NONE_ENTERED, "revenue_won": "0.00"},
        {
            "group": "2026-09-28",
            "stages": stages(
                [8, 2, 1, 1, 1, 2, 0],
                [0.25, 0.5, 1.0, 1.0, 2.0, 0.0, None],
                [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None],
            ),
            "revenue_won": "0.00",
        },
    ]


def test_period_funnel_by_campaign_puts_leads_without_one_last(lifecycle):
    """C1: L1 L2 L5 L6; C2: L3 L7 B1-10; none: L4 F2-F4 B11-16."""
    c1, c2 = lifecycle.campaigns["C1"].pk, lifecycle.campaigns["C2"].pk

    rows = funnel_report(query=PERIOD, group_by="campaign")

    assert rows == [
        {
            "group": c1,
            "stages": stages(
                [3, 3, 3, 5, 4, 4, 1],
                [1.0, 1.0, 1.6667, 0.8, 1.0, 0.25, None],
                [0.3333, 0.3333, 0.3333, 0.2, 0.25, 0.25, 1.0],
            ),
            "revenue_won": "1000.00",
        },
        {
            "group": c2,
            "stages": stages(
                [11, 1, 1, 2, 1, 0, 0],
                [0.0909, 1.0, 2.0, 0.5, 0.0, None, None],
                [0.0, 0.0, 0.0, 0.0, 0.0, None, None],
            ),
            "revenue_won": "0.00",
        },
        {
            "group": None,
            "stages": stages(
                [10, 2, 0, 0, 0, 0, 0],
                [0.2, 0.0, None, None, None, None, None],
                [0.0, 0.0, None, None, None, None, None],
            ),
            "revenue_won": "0.00",
        },
    ]


@pytest.mark.parametrize(
    ("group_by", "expected", "earner"),
    [
        # "Ads" and "ads" are one source; L4 and the F leads have none.
        ("source", {"ads": [17, 1, 1, 2, 1, 0, 0], "webinar": [3, 3, 3, 5, 4, 4, 1],
                    None: [4, 2, 0, 0, 0, 0, 0]}, "webinar"),
        # The holder's team: L7 is held by ben (inside), L1-L3 L5 L6 by reps (sales).
        ("team", {"inside": [1, 1, 1, 1, 0, 0, 0], "sales": [3, 3, 3, 6, 5, 4, 1],
                  None: [20, 2, 0, 0, 0, 0, 0]}, "sales"),
        ("owner", {"ben": [1, 1, 1, 1, 0, 0, 0], "report_rep_a": [2, 2, 2, 4, 4, 3, 1],
                   "report_rep_b": [1, 1, 1, 2, 1, 1, 0], None: [20, 2, 0, 0, 0, 0, 0]},
         "report_rep_a"),
        # L2's second MQL came from marketing, not a qualifier: L2 stays ben's.
        ("qualifier", {"anna": [2, 2, 2, 3, 3, 3, 1], "ben": [2, 2, 2, 3, 1, 1, 0],
                       None: [20, 2, 0, 1, 1, 0, 0]}, "anna"),
    ],
)  # fmt: skip
def test_period_funnel_groups(lifecycle, group_by, expected, earner):
    """Only L1's 1,000 was won in the period."""
    rows = funnel_report(query=PERIOD, group_by=group_by)

    assert {row["group"]: entered(row) for row in rows} == expected
    assert [row["group"] for row in rows] == list(expected)  # by key, null last
    revenue = {row["group"]: row["revenue_won"] for row in rows if row["revenue_won"] != "0.00"}
    assert revenue == {earner: "1000.00"}


def test_the_cohort_funnel_follows_the_period_leads_to_today(lifecycle):
    """Conversion among the leads that entered a stage: of the 24 that entered inquiry, 5 also
    entered qi and 3 won. L3 entered mql without qia; its sal counts for mql."""
    assert funnel_report(query=PERIOD, mode="cohort") == [
        {
            "group": None,
            "stages": stages(
                [24, 5, 4, 5, 4, 3, 3],
                # 5/24, 4/5, 4/4, 4/5 (L1 L2 L3 L6), 3/4, 3/3
                [0.2083, 0.8, 1.0, 0.8, 0.75, 1.0, None],
                # 3/24, 3/5, 3/4, 3/5, 3/4, 3/3, 3/3
                [0.125, 0.6, 0.75, 0.6, 0.75, 1.0, 1.0],
            ),
            "revenue_won": "3500.00",  # L1 1,000, L2 500 and L6 2,000, won in October too
        }
    ]


def test_cohort_weeks_are_weeks_of_first_entry(lifecycle):
    """7 Sep: L1 L2 L4 F2 F3 B1-10 (15); 14 Sep: L3 L7; 21 Sep: none; 28 Sep: L6 F4 B11-16."""
    rows = funnel_report(query=PERIOD, mode="cohort", group_by="week")

    assert rows == [
        {
            "group": "2026-09-07",
            "stages": stages(
                [15, 3, 2, 2, 2, 2, 2],
                [0.2, 0.6667, 1.0, 1.0, 1.0, 1.0, None],
                [0.1333, 0.6667, 1.0, 1.0, 1.0, 1.0, 1.0],
            ),
            "revenue_won": "1500.00",
        },
        {
            "group": "2026-09-14",
            "stages": stages(
                [1, 1, 1, 2, 1, 0, 0],
                # L7: inquiry → qi → qia → mql, rejected; L3: mql → sal
                [1.0, 1.0, 1.0, 0.5, 0.0, None, None],
                [0.0, 0.0, 0.0, 0.0, 0.0, None, None],
            ),
            "revenue_won": "0.00",
        },
        {"group": "2026-09-21", "stages": NONE_ENTERED, "revenue_won": "0.00"},
        {
            "group": "2026-09-28",
            "stages": stages(
                [8, 1, 1, 1, 1, 1, 1],
                [0.125, 1.0, 1.0, 1.0, 1.0, 1.0, None],
                [0.125, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
            ),
            "revenue_won": "2000.00",
        },
    ]


@pytest.mark.parametrize(
    ("filters", "expected", "revenue"),
    [
        ({"campaign": "C1"}, [3, 3, 3, 5, 4, 4, 1], "1000.00"),
        ({"source": "ADS"}, [17, 1, 1, 2, 1, 0, 0], "0.00"),
        # L2 L4 L7; L4 entered qi twice, L2 mql twice.
        ({"country": "fr"}, [3, 4, 2, 3, 1, 1, 0], "0.00"),
        ({"team": "inside"}, [1, 1, 1, 1, 0, 0, 0], "0.00"),
        ({"owner": "report_rep_a"}, [2, 2, 2, 4, 4, 3, 1], "1000.00"),
    ],
)
def test_filters_narrow_the_leads(lifecycle, filters, expected, revenue):
    if "campaign" in filters:
        filters = {"campaign": lifecycle.campaigns[filters["campaign"]].pk}
    query = ReportQuery(start=PERIOD.start, end=PERIOD.end, **filters)

    (row,) = funnel_report(query=query)

    assert (entered(row), row["revenue_won"]) == (expected, revenue)


def test_an_as_of_funnel_does_not_move_when_history_goes_on(lifecycle, at):
    """As of Wed 16 Sep 10:00: L2 was back in recycle and held by ben (rep_b accepted it on
    17 Sep); L6 and the 28 Sep leads did not exist; L7 sat in mql.

      period: inquiry L1 L2 L4 L7 F2 F3 B1-10 16, qi 4, qia L1 L2 L7 3,
              mql L1 L2 L3 L5 L7 5, sal L1 L3 L5 3, sql L1 1, won L1 1
      cohort: L1 L2 L3 L4 L7 F2 F3 B1-10: inquiry 16, qi 4, qia 3, mql L1 L2 L3 L7 4,
              sal L1 L3 2, sql 1, won 1
    """
    query = ReportQuery(start=PERIOD.start, end=PERIOD.end, as_of=AS_OF)
    period = funnel_report(query=query)
    owners = funnel_report(query=query, group_by="owner")
    cohort = funnel_report(query=query, mode="cohort")

    assert period[0]["stages"] == stages(
        [16, 4, 3, 5, 3, 1, 1],
        [0.25, 0.75, 1.6667, 0.6, 0.3333, 1.0, None],
        [0.0625, 0.25, 0.3333, 0.2, 0.3333, 1.0, 1.0],
    )
    assert period[0]["revenue_won"] == "1000.00"
    assert {row["group"]: entered(row) for row in owners} == {
        "ben": [2, 2, 2, 2, 0, 0, 0],  # L2 and L7
        "report_rep_a": [1, 1, 1, 3, 3, 1, 1],  # L1 L3 L5
        None: [13, 1, 0, 0, 0, 0, 0],
    }
    assert cohort[0]["stages"] == stages(
        [16, 4, 3, 4, 2, 1, 1],
        [0.25, 0.75, 1.0, 0.5, 0.5, 1.0, None],
        [0.0625, 0.25, 0.3333, 0.25, 0.5, 1.0, 1.0],
    )
    assert cohort[0]["revenue_won"] == "1000.00"

    lifecycle_go_on(lifecycle, at)

    assert funnel_report(query=query) == period
    assert funnel_report(query=query, group_by="owner") == owners
    assert funnel_report(query=query, mode="cohort") == cohort
    # Without as-of, the new moves count: L3 to sql, L7 to mql and sal.
    assert entered(funnel_report(query=PERIOD)[0]) == [24, 6, 4, 8, 6, 5, 1]


@pytest.mark.parametrize("mode", ["period", "cohort"])
@pytest.mark.parametrize("group_by", [None, "campaign", "source", "team", "owner", "qualifier",
                                      "week"])  # fmt: skip
def test_the_funnel_is_a_fixed_number_of_queries(
    lifecycle, mode, group_by, django_assert_max_num_queries
):
    # The stages, the handoffs (for the qualifier), the entries and the revenue: two queries in
    # period mode; in cohort mode the session's settings (PostgreSQL) and one statement.
    with django_assert_max_num_queries(4):
        funnel_report(query=PERIOD, mode=mode, group_by=group_by)


def test_the_funnel_endpoint_answers_the_report(lifecycle, report_api):
    response = report_api(Role.MARKETING).get(
        "/api/v1/reports/funnel/",
        {"start": "2026-09-07", "end": "2026-10-05", "mode": "cohort", "group_by": "week"},
    )

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("start", "end", "as_of", "mode", "group_by")} == {
        "start": "2026-09-07",
        "end": "2026-10-05",
        "as_of": None,
        "mode": "cohort",
        "group_by": "week",
    }
    assert body["results"] == funnel_report(query=PERIOD, mode="cohort", group_by="week")


def test_the_funnel_endpoint_refuses_unknown_groups_and_non_readers(lifecycle, report_api):
    params = {"start": "2026-09-07", "end": "2026-10-05"}

    bad = report_api(Role.MANAGER).get(
        "/api/v1/reports/funnel/", {**params, "group_by": "colour", "mode": "x"}
    )
    forbidden = report_api(Role.SALES).get("/api/v1/reports/funnel/", params)

    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"group_by", "mode"}
    assert forbidden.status_code == 403
