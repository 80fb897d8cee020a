"""Demo data: staff, territories, campaigns and leads with a believable funnel history.

`demo_seed` fills an empty database for trying Leadflow out (`manage.py seed_demo`). Everything
comes from one seed and is placed relative to the moment of the run: the same seed gives the same
leads making the same moves, counted back from "now". Answers to handoffs come in the receiving
team's working hours, which fall differently relative to "now" at another moment, so those times
(and where "now" cuts a history) shift with the moment; the same seed and moment give the same
rows.

Histories are written in bulk, bypassing `lead_transition`: a million leads one service call
at a time would take hours. The generator follows the default funnel's allowed moves instead, and
`demo.handoffs` adds what the handoff services would have recorded along each history: offers,
touches, dispositions and marketing activity. Then `demo.work` gives the demo logins work
waiting for them, through the services, and builds the weekly reports of the last weeks.
"""

from __future__ import annotations

import datetime
import json
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count, Max, Model
from django.utils import timezone

from demo import handoffs as handoff_demo
from demo import work as demo_work
from funnel.models import (
    Campaign,
    HandoffPair,
    ReasonCode,
    ReasonPurpose,
    Role,
    Stage,
    Team,
    Territory,
    User,
)
from funnel.services import funnel_setup_defaults
from handoff.models import Activity, Disposition, Lead, Offer, StageTransition, Touch
from handoff.services.setup import handoff_setup_defaults

# Of the leads that leave a stage, the share that moves on to the next one.
INQUIRY_TO_QI = 0.40
QI_TO_QIA = 0.85
QIA_TO_MQL = 0.50
MQL_TO_SAL = 0.80
SAL_TO_SQL = 0.45
SQL_TO_WON = 0.30
STEP_RATES = {
    ("inquiry", "qi"): INQUIRY_TO_QI,
    ("qi", "qia"): QI_TO_QIA,
    ("qia", "mql"): QIA_TO_MQL,
    ("mql", "sal"): MQL_TO_SAL,
    ("sal", "sql"): SAL_TO_SQL,
    ("sql", "won"): SQL_TO_WON,
}
DEMO_REQUEST_SHARE = 0.10  # new leads that enter straight at MQL
RECYCLE_REENTRY = 0.25  # recycled leads that come back at QI later
MAX_RECYCLES = 3

MARKETERS = 4
INSIDE_QUALIFIERS = 8
# territory key, name, countries, sales reps in it
TERRITORIES = [
    ("north-america", "North America", ["US", "CA"], 5),
    ("dach", "DACH", ["DE", "AT", "CH"], 3),
    ("uk-ireland", "UK & Ireland", ["GB", "IE"], 3),
    ("nordics", "Nordics", ["SE", "NO", "DK", "FI", "IS"], 2),
    ("apac", "APAC", ["AU", "NZ", "SG", "JP", "IN"], 2),
]
SALES_REPS = sum(reps for *_, reps in TERRITORIES)

# Leads per COPY round, with their moves, offers, touches, dispositions and activities: keeps
# the process near 150 MB at any lead count.
BATCH_SIZE = 25_000
MAP_LABEL = "marketo"  # actor_label of moves the marketing automation platform makes
STAFF_EMAIL_DOMAIN = "leadflow-demo.example"

LEADS_EXIST = "The database already has {count} leads: seed_demo fills an empty funnel only."
FUNNEL_INCOMPLETE = "seed_demo needs the default funnel; missing or inactive: {missing}."

P = ReasonPurpose


@dataclass(frozen=True)
class Step:
    """How leads leave an open stage: `rate` of them advance, the rest take a `fails` route."""

    advance: str
    rate: float
    fails: tuple[tuple[str, float, str], ...]  # (to stage, share of failures, reason purpose)
    # Time in the stage before the decision, calendar hours. None for a handoff's offered stage:
    # the receiving side answers in working time on its team's clock (demo.handoffs).
    median_hours: float | None


STEPS = {
    "inquiry": Step(
        "qi", INQUIRY_TO_QI, (("recycle", 0.8, P.RECYCLE), ("disqualified", 0.2, P.DISQUALIFY)), 72
    ),
    "qi": Step(
        "qia", QI_TO_QIA, (("recycle", 0.75, P.REJECT), ("disqualified", 0.25, P.DISQUALIFY)), None
    ),
    "qia": Step(
        "mql", QIA_TO_MQL, (("recycle", 0.7, P.RECYCLE), ("disqualified", 0.3, P.DISQUALIFY)), 120
    ),
    "mql": Step("sal", MQL_TO_SAL, (("recycle", 1.0, P.REJECT),), None),
    "sal": Step(
        "sql", SAL_TO_SQL, (("recycle", 0.75, P.RECYCLE), ("disqualified", 0.25, P.DISQUALIFY)), 240
    ),
    "sql": Step("won", SQL_TO_WON, (("lost", 1.0, P.LOST),), 400),
}
RECYCLE_MEDIAN_HOURS = 900  # nurture time before a recycled lead comes back
DWELL_SIGMA = 0.8  # spread of the log-normal time in a stage
VOLUME_GROWTH = 0.5  # the last week sees 1.5 times the leads of the first
SCORE_BASE = {"inquiry": 5, "qi": 45, "qia": 50, "mql": 60, "sal": 65, "sql": 70, "won": 75}
FUNNEL_ORDER = list(SCORE_BASE)  # how far a lead got, for its score

FIRST_NAMES = [
    "Aaron", "Abigail", "Adam", "Aisha", "Alex", "Alice", "Amara", "Ana", "Andrea", "Anna",
    "Arjun", "Astrid", "Ben", "Bianca", "Carla", "Carlos", "Chen", "Chloe", "Daniel", "David",
    "Diego", "Elena", "Elif", "Emil", "Emily", "Emma", "Erik", "Eva", "Fatima", "Felix", "Finn",
    "Freya", "Gabriel", "Grace", "Hannah", "Hiro", "Ingrid", "Isabel", "Ivan", "Jack", "James",
    "Jan", "Javier", "Jonas", "Julia", "Karin", "Kenji", "Lars", "Laura", "Lea", "Leon", "Liam",
    "Lina", "Lucas", "Lukas", "Maja", "Marco", "Maria", "Mark", "Marta", "Mateo", "Max", "Maya",
    "Mei", "Mia", "Michael", "Mohammed", "Nadia", "Nina", "Noah", "Nora", "Olivia", "Omar",
    "Oscar", "Paul", "Petra", "Priya", "Rahul", "Rosa", "Ryan", "Sakura", "Samuel", "Sara",
    "Sebastian", "Sofia", "Sophie", "Stefan", "Tobias", "Tom", "Valentina", "Victor", "Yara",
    "Yusuf", "Zoe"
]  # fmt: skip
LAST_NAMES = [
    "Andersen", "Bauer", "Becker", "Berg", "Brown", "Campbell", "Chen", "Clarke", "Costa",
    "Davies", "Dubois", "Eriksson", "Evans", "Fischer", "Fernandez", "Garcia", "Gruber", "Hansen",
    "Hartmann", "Hoffmann", "Huber", "Ito", "Jansen", "Jensen", "Johansson", "Johnson", "Keller",
    "Kim", "Klein", "Koch", "Kowalski", "Kumar", "Larsen", "Laine", "Lee", "Lindqvist", "Lopez",
    "Martin", "Meyer", "Miller", "Moore", "Muller", "Murphy", "Nakamura", "Nguyen", "Nielsen",
    "Novak", "O'Brien", "Olsen", "Park", "Patel", "Peters", "Petersen", "Quinn", "Ramos", "Reddy",
    "Richter", "Rossi", "Ruiz", "Sato", "Schmid", "Schneider", "Schulz", "Shah", "Silva", "Singh",
    "Smith", "Sousa", "Steiner", "Suzuki", "Svensson", "Tanaka", "Taylor", "Thomas", "Turner",
    "Virtanen", "Wagner", "Walker", "Walsh", "Weber", "Williams", "Wilson", "Wolf", "Wong",
    "Wright", "Yamamoto", "Young", "Zimmermann"
]  # fmt: skip
# A company deals name pairs to its leads in this stride: coprime with the number of pairs,
# it visits every pair once before any repeats, so no two leads share an address.
NAME_STRIDE = 7919
TITLES = [
    ("Marketing Manager", 8),
    ("Demand Generation Manager", 6),
    ("Head of Marketing", 5),
    ("VP Marketing", 3),
    ("CMO", 1),
    ("Marketing Operations Specialist", 5),
    ("Sales Director", 4),
    ("Head of Sales", 3),
    ("VP Sales", 2),
    ("Revenue Operations Manager", 5),
    ("CRM Administrator", 3),
    ("Business Analyst", 4),
    ("IT Manager", 3),
    ("CTO", 1),
    ("CEO", 2),
    ("Founder", 1),
    ("Operations Manager", 3),
    ("Consultant", 3),
    ("Student", 1),
]
# word in the company name → industry
COMPANY_CORES = {
    "Analytics": "Software",
    "Software": "Software",
    "Cloud": "Software",
    "Labs": "Software",
    "Systems": "Information Technology",
    "Networks": "Telecommunications",
    "Security": "Cybersecurity",
    "Health": "Healthcare",
    "Bio": "Biotechnology",
    "Pharma": "Pharmaceuticals",
    "Capital": "Financial Services",
    "Insurance": "Insurance",
    "Logistics": "Logistics",
    "Freight": "Logistics",
    "Retail": "Retail",
    "Foods": "Food & Beverage",
    "Energy": "Energy",
    "Solar": "Energy",
    "Robotics": "Manufacturing",
    "Materials": "Manufacturing",
    "Works": "Manufacturing",
    "Dynamics": "Industrial Automation",
    "Media": "Media",
    "Learning": "Education",
    "Consulting": "Professional Services",
    "Partners": "Professional Services",
    "Mobility": "Automotive",
    "Homes": "Real Estate",
}
COMPANY_PREFIXES = [
    "Acorn", "Alder", "Alpine", "Amber", "Apex", "Arbor", "Atlas", "Aurora", "Beacon", "Birch",
    "Blue", "Bright", "Cascade", "Cedar", "Cobalt", "Comet", "Copper", "Coral", "Crest", "Delta",
    "Ember", "Evergreen", "Falcon", "Fern", "Fjord", "Granite", "Harbor", "Helix", "Horizon",
    "Indigo", "Iron", "Juniper", "Keystone", "Kite", "Lantern", "Linden", "Lumen", "Maple",
    "Meridian", "Nimbus", "North", "Oak", "Onyx", "Orbit", "Pine", "Prism", "Quartz", "Raven",
    "Ridge", "River", "Sage", "Silver", "Spruce", "Summit", "Tidal", "Vertex", "Willow", "Zenith"
]  # fmt: skip
EMPLOYEES = [8, 25, 60, 140, 320, 750, 1800, 4500, 12000, 40000]

# ISO code: weight, phone prefix, domain ending, legal form, (city, region) pairs
COUNTRIES = {
    "US": (30, "+1", ".com", "Inc.", [
        ("New York", "New York"), ("San Francisco", "California"), ("Austin", "Texas"),
        ("Chicago", "Illinois"), ("Boston", "Massachusetts"), ("Seattle", "Washington"),
        ("Denver", "Colorado"), ("Atlanta", "Georgia"),
    ]),
    "CA": (5, "+1", ".ca", "Inc.", [
        ("Toronto", "Ontario"), ("Vancouver", "British Columbia"), ("Montreal", "Quebec"),
    ]),
    "DE": (12, "+49", ".de", "GmbH", [
        ("Berlin", "Berlin"), ("Munich", "Bavaria"), ("Hamburg", "Hamburg"),
        ("Frankfurt", "Hesse"), ("Cologne", "North Rhine-Westphalia"),
        ("Stuttgart", "Baden-Württemberg"),
    ]),
    "AT": (2, "+43", ".at", "GmbH", [
        ("Vienna", "Vienna"), ("Graz", "Styria"), ("Linz", "Upper Austria"),
    ]),
    "CH": (3, "+41", ".ch", "AG", [
        ("Zurich", "Zurich"), ("Geneva", "Geneva"), ("Basel", "Basel-Stadt"),
    ]),
    "GB": (12, "+44", ".co.uk", "Ltd", [
        ("London", "England"), ("Manchester", "England"), ("Bristol", "England"),
        ("Edinburgh", "Scotland"), ("Cardiff", "Wales"),
    ]),
    "IE": (2, "+353", ".ie", "Ltd", [
        ("Dublin", "Leinster"), ("Cork", "Munster"), ("Galway", "Connacht"),
    ]),
    "SE": (3, "+46", ".se", "AB", [
        ("Stockholm", "Stockholm County"), ("Gothenburg", "Västra Götaland"), ("Malmö", "Skåne"),
    ]),
    "NO": (1.5, "+47", ".no", "AS", [("Oslo", "Oslo"), ("Bergen", "Vestland")]),
    "DK": (1.5, "+45", ".dk", "A/S", [
        ("Copenhagen", "Capital Region"), ("Aarhus", "Central Jutland"),
    ]),
    "FI": (1, "+358", ".fi", "Oy", [("Helsinki", "Uusimaa"), ("Tampere", "Pirkanmaa")]),
    "IS": (0.3, "+354", ".is", "ehf.", [("Reykjavik", "Capital Region")]),
    "AU": (4, "+61", ".com.au", "Pty Ltd", [
        ("Sydney", "New South Wales"), ("Melbourne", "Victoria"), ("Brisbane", "Queensland"),
    ]),
    "NZ": (1, "+64", ".co.nz", "Ltd", [("Auckland", "Auckland"), ("Wellington", "Wellington")]),
    "SG": (2, "+65", ".sg", "Pte Ltd", [("Singapore", "Singapore")]),
    "JP": (2, "+81", ".co.jp", "K.K.", [("Tokyo", "Tokyo"), ("Osaka", "Osaka")]),
    "IN": (3, "+91", ".in", "Pvt Ltd", [
        ("Bengaluru", "Karnataka"), ("Mumbai", "Maharashtra"), ("Pune", "Maharashtra"),
    ]),
    "FR": (4, "+33", ".fr", "SAS", [("Paris", "Île-de-France"), ("Lyon", "Auvergne-Rhône-Alpes")]),
    "NL": (3, "+31", ".nl", "B.V.", [
        ("Amsterdam", "North Holland"), ("Rotterdam", "South Holland"),
    ]),
    "ES": (2, "+34", ".es", "S.L.", [("Madrid", "Madrid"), ("Barcelona", "Catalonia")]),
    "BR": (1, "+55", ".com.br", "Ltda.", [
        ("São Paulo", "São Paulo"), ("Rio de Janeiro", "Rio de Janeiro"),
    ]),
}  # fmt: skip

# channel: (campaigns per week of the period, days each runs, cost range, topics)
CAMPAIGN_PLANS = {
    Campaign.Channel.WEBINAR: (0.3, 21, (2_000, 6_000), [
        "Funnel metrics that matter", "SLAs for SDR teams", "Lead scoring without guesswork",
        "From MQL to revenue", "Running a handoff review", "Forecasting from funnel data",
        "Nurture programs that convert", "Recycling leads the right way",
    ]),
    Campaign.Channel.EVENT: (0.12, 4, (15_000, 60_000), [
        "RevOps Summit", "B2B Marketing Expo", "Demand Gen Forum", "Nordic Sales Days",
        "DACH Marketing Forum", "London Growth Meetup",
    ]),
    Campaign.Channel.CONTENT: (0.15, 56, (3_000, 9_000), [
        "Ebook: The lead lifecycle playbook", "Report: Funnel benchmarks",
        "Checklist: Handoff SLAs", "Guide: Scoring models",
    ]),
    Campaign.Channel.SOCIAL: (0.08, 28, (5_000, 15_000), [
        "LinkedIn: Lifecycle playbook", "LinkedIn: Benchmark report",
    ]),
    Campaign.Channel.EMAIL: (0.08, 3, (300, 1_500), ["Product launch", "Re-engagement"]),
}  # fmt: skip
# Running for the whole period: name, channel, cost per week
ALWAYS_ON = [
    ("Search ads: funnel analytics", Campaign.Channel.PAID_SEARCH, 1_500),
    ("Monthly newsletter", Campaign.Channel.EMAIL, 100),
    ("Customer referral program", Campaign.Channel.REFERRAL, 250),
]
NO_CAMPAIGN_SHARE = 0.2  # leads from the website with no campaign: source "organic"
EXTERNAL_ID_SHARE = 0.95  # the rest were entered by hand, with no id in the MAP

LEAD_FIELDS = [
    "email", "first_name", "last_name", "phone", "company", "title", "country", "region",
    "city", "industry", "employees", "source", "campaign_id", "external_id", "crm_id", "score",
    "stage_id", "stage_entered_at", "owner_id", "team_id", "recycle_count", "attributes",
    "created_at", "updated_at",
]  # fmt: skip
MOVE_FIELDS = [
    "from_stage_id", "to_stage_id", "at", "actor_id", "actor_label", "handoff_id", "reason_id",
    "note",
]  # fmt: skip


class DemoRefused(Exception):
    """seed_demo cannot run on this database; nothing was written."""


class LeadsExist(DemoRefused):
    """The database has leads already: demo data never mixes with them."""


@dataclass
class SeedResult:
    seed: int
    leads: int
    transitions: int
    stages: dict[str, int]  # current stage key → leads, in funnel order
    handoff_rows: dict[str, int] = field(default_factory=dict)  # offers, touches, … → rows
    logins: dict[str, dict[str, int]] = field(default_factory=dict)  # login → stage → leads
    reports: list[str] = field(default_factory=list)  # ISO weeks of the reports built


@dataclass
class _Batch:
    """One round of leads: rows in LEAD_FIELDS order, moves as (lead's position, *MOVE_FIELDS)."""

    leads: list[tuple] = field(default_factory=list)
    moves: list[tuple] = field(default_factory=list)
    handoff: handoff_demo.HandoffRows = field(default_factory=handoff_demo.HandoffRows)


class _Deck:
    """Outcomes dealt from a shuffled deck of twenty, so even a small run shows its ratio.

    Independent draws would put a few hundred demo leads several points off the ratio.
    """

    SIZE = 20

    def __init__(self, rng: random.Random, rate: float):
        self.rng = rng
        hits = round(rate * self.SIZE)
        self.full = [True] * hits + [False] * (self.SIZE - hits)
        self.cards: list[bool] = []

    def draw(self) -> bool:
        if not self.cards:
            self.cards = self.full[:]
            self.rng.shuffle(self.cards)
        return self.cards.pop()


@dataclass
class _Company:
    name: str
    domain: str
    country: str
    industry: str
    employees: int
    name_offset: int
    leads: int = 0  # leads made so far: picks the next name pair


@dataclass
class _World:
    """Ids of what the leads refer to, looked up once."""

    start: datetime.datetime
    span: int  # seconds from `start` to now
    stage_ids: dict[str, int]
    stage_teams: dict[str, int]
    reasons: dict[str, list[int]]
    handoffs: dict[str, int]  # accepted stage → handoff
    marketers: list[int]
    inside: list[int]
    reps_by_country: dict[str, list[int]]
    reps: list[int]
    campaigns: list[tuple[int, str]]  # (id, source)
    day_campaigns: list[list[int]]  # day of the period → indexes into campaigns
    companies: list[_Company]


def demo_seed(
    *,
    leads: int = 5000,
    weeks: int = 26,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    now: datetime.datetime | None = None,
    reports: int = demo_work.REPORT_WEEKS,
) -> SeedResult:
    """Fill an empty funnel with staff, territories, campaigns and `leads` leads with histories.

    All or nothing: one transaction, refused if any lead exists. `now` (default: the moment of
    the run) ends the period; the same seed and `now` give the same rows. The demo logins that
    exist get work waiting (demo.work), in the same transaction; after it, the weekly reports
    of the last `reports` complete weeks are built.
    """
    # Whole seconds, so every demo time is a whole number of seconds from the period's start.
    now = (now or timezone.now()).replace(microsecond=0)
    with transaction.atomic():
        postgres = connection.vendor == "postgresql"
        if postgres:
            with connection.cursor() as cursor:
                # Check foreign keys as each COPY ends, not at commit: a million leads would
                # otherwise queue tens of millions of deferred checks in server memory.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        count = Lead.objects.count()
        if count:
            raise LeadsExist(LEADS_EXIST.format(count=count))
        funnel_setup_defaults()
        handoff_setup_defaults()  # agreements and routing rules, as setup_funnel installs them
        world = _world_build(now=now, weeks=weeks, seed=seed, leads=leads)
        rng = random.Random(f"{seed}:leads")
        handoffs = handoff_demo.HandoffDemo(
            timing_rng=rng,
            rng=random.Random(f"{seed}:handoffs"),
            start=world.start,
            span=world.span,
            inside=world.inside,
            reps=world.reps,
            reps_by_country=world.reps_by_country,
        )
        maker = _LeadMaker(world, rng, handoffs)
        arrivals = _arrival_times(rng, leads, world.span)
        ids = _Ids(postgres)
        done = transitions = 0
        rows = dict.fromkeys(["offers", "touches", "dispositions", "activities"], 0)
        while done < leads:
            size = min(BATCH_SIZE, leads - done)
            batch = _Batch()
            for i in range(size):
                maker.make(done + i + 1, next(arrivals), batch)
            if postgres:
                _batch_copy(batch, ids)
            else:
                _batch_orm(batch, ids)
            transitions += len(batch.moves)
            for table, count in handoff_demo.rows_count(batch.handoff).items():
                rows[table] += count
            done += size
            if progress:
                progress(done, leads)
        if postgres:
            tables = ", ".join(
                model._meta.db_table
                for model in (Lead, StageTransition, Offer, Touch, Disposition, Activity)
            )
            with connection.cursor() as cursor:
                # Until autovacuum gets round to it, the planner would take the tables as empty.
                cursor.execute(f"ANALYZE {tables}")
        logins = demo_work.demo_logins_work(now=now)
    built = demo_work.demo_weekly_reports(now=now, start=world.start, weeks=reports)
    stages = dict(
        Lead.objects.values_list("stage__key")
        .annotate(n=Count("id"))
        .order_by("stage__position", "stage__key")
    )
    return SeedResult(
        seed=seed,
        leads=leads,
        transitions=transitions,
        stages=stages,
        handoff_rows=rows,
        logins=logins,
        reports=built,
    )


def _world_build(*, now: datetime.datetime, weeks: int, seed: int, leads: int) -> _World:
    stages = {
        stage.key: stage for stage in Stage.objects.filter(active=True, key__in=_stage_keys())
    }
    handoffs = dict(
        HandoffPair.objects.filter(accepted_stage__key__in=["qia", "sal"]).values_list(
            "accepted_stage__key", "id"
        )
    )
    reasons: dict[str, list[int]] = {purpose: [] for purpose in P.values}
    for purpose, reason_id in ReasonCode.objects.filter(active=True).values_list("purpose", "id"):
        reasons[purpose].append(reason_id)
    reasons = handoff_demo.human_reasons(reasons)
    missing = sorted(set(_stage_keys()) - set(stages))
    missing += [f"{key} handoff" for key in ("qia", "sal") if key not in handoffs]
    missing += [f"{purpose} reasons" for purpose, ids in reasons.items() if not ids]
    if missing:
        raise DemoRefused(FUNNEL_INCOMPLETE.format(missing=", ".join(missing)))

    start = now - datetime.timedelta(weeks=weeks)
    # One roster whatever the seed: re-seeding after wiping the leads reuses the same people.
    staff = _staff_ensure(random.Random("staff"))
    campaigns, day_campaigns = _campaigns_ensure(
        random.Random(f"{seed}:campaigns"), start=start, days=weeks * 7
    )
    # A lead from a country in a territory goes to that territory's reps, others to anyone.
    reps_by_country: dict[str, list[int]] = {}
    for territory in Territory.objects.filter(pk__in=set(staff["territory"].values())):
        members = [rep for rep, where in staff["territory"].items() if where == territory.pk]
        for country in territory.countries:
            reps_by_country.setdefault(country, []).extend(members)
    return _World(
        start=start,
        span=int((now - start).total_seconds()),
        stage_ids={key: stage.pk for key, stage in stages.items()},
        stage_teams={key: stage.team_id for key, stage in stages.items()},
        reasons=reasons,
        handoffs=handoffs,
        marketers=staff[Role.MARKETING],
        inside=staff[Role.INSIDE],
        reps_by_country=reps_by_country,
        reps=staff[Role.SALES],
        campaigns=campaigns,
        day_campaigns=day_campaigns,
        companies=_companies_make(random.Random(f"{seed}:companies"), leads),
    )


def _stage_keys() -> list[str]:
    return [*FUNNEL_ORDER, "lost", "recycle", "disqualified"]


def _staff_ensure(rng: random.Random) -> dict:
    """Managers, marketers, inside qualifiers and sales reps; existing usernames are kept as is.

    Returns user ids by role, and each sales rep's territory under "territory".
    """
    teams = {
        team.key: team for team in Team.objects.filter(key__in=["marketing", "inside", "sales"])
    }
    territories = {}
    for key, name, countries, _ in TERRITORIES:
        territories[key], _ = Territory.objects.get_or_create(
            key=key, defaults={"name": name, "countries": countries}
        )
    plan = [
        (Role.MANAGER, "marketing", None),
        (Role.MANAGER, "inside", None),
        (Role.MANAGER, "sales", None),
        *[(Role.MARKETING, "marketing", None)] * MARKETERS,
        *[(Role.INSIDE, "inside", None)] * INSIDE_QUALIFIERS,
        *[(Role.SALES, "sales", key) for key, *_, reps in TERRITORIES for _ in range(reps)],
    ]
    names = rng.sample([(first, last) for first in FIRST_NAMES for last in LAST_NAMES], len(plan))
    staff: dict = {Role.MARKETING: [], Role.INSIDE: [], Role.SALES: [], "territory": {}}
    unusable = make_password(None)  # demo staff sign in only after an admin sets a password
    for (role, team_key, territory_key), (first, last) in zip(plan, names, strict=True):
        username = f"{first}.{last}".lower().replace("'", "")
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@{STAFF_EMAIL_DOMAIN}",
                "password": unusable,
                "role": role,
                "team": teams[team_key],
                "territory": territories[territory_key] if territory_key else None,
            },
        )
        if role == Role.MANAGER:
            Team.objects.filter(key=team_key, manager__isnull=True).update(manager=user)
            continue
        staff[role].append(user.pk)
        if role == Role.SALES:
            staff["territory"][user.pk] = user.territory_id
    # People already in the teams (the `demo_users` logins, say) work leads too.
    others = User.objects.filter(
        is_active=True, team__isnull=False, role__in=[Role.MARKETING, Role.INSIDE, Role.SALES]
    ).exclude(
        pk__in=[pk for role in (Role.MARKETING, Role.INSIDE, Role.SALES) for pk in staff[role]]
    )
    for user in others.order_by("pk"):
        staff[user.role].append(user.pk)
        if user.role == Role.SALES:
            staff["territory"][user.pk] = user.territory_id
    return staff


def _campaigns_ensure(
    rng: random.Random, *, start: datetime.datetime, days: int
) -> tuple[list[tuple[int, str]], list[list[int]]]:
    """Campaigns over the period; each day's list says which a new lead may come from.

    Campaigns that already exist under the same name are reused unchanged.
    """
    plans = []  # (name, channel, first day, last day, cost)
    names = set()
    weeks = days / 7
    for name, channel, weekly_cost in ALWAYS_ON:
        plans.append((name, channel, 0, days - 1, weekly_cost * round(weeks)))
    for channel, (per_week, length, (low, high), topics) in CAMPAIGN_PLANS.items():
        for number in range(max(1, round(per_week * weeks))):
            first = rng.randrange(days)
            last = min(days - 1, first + length - 1)
            month = (start + datetime.timedelta(days=first)).strftime("%b %Y")
            topic = topics[number % len(topics)]
            name = f"{Campaign.Channel(channel).label}: {topic} ({month})"
            if name in names:  # the same topic twice in a month, in a long period
                name = f"{name} #{number + 1}"
            names.add(name)
            plans.append((name, channel, first, last, rng.randrange(low, high, 50)))
    campaigns = []
    day_campaigns: list[list[int]] = [[] for _ in range(days)]
    for index, (name, channel, first, last, cost) in enumerate(plans):
        campaign, _ = Campaign.objects.get_or_create(
            name=name,
            defaults={
                "channel": channel,
                "start": (start + datetime.timedelta(days=first)).date(),
                "end": (start + datetime.timedelta(days=last)).date(),
                "cost": cost,
            },
        )
        campaigns.append((campaign.pk, str(channel)))
        # A running campaign draws three times the leads of an always-on one.
        weight = 1 if index < len(ALWAYS_ON) else 3
        for day in range(first, last + 1):
            day_campaigns[day].extend([index] * weight)
    return campaigns, day_campaigns


def _companies_make(rng: random.Random, leads: int) -> list[_Company]:
    """Accounts the leads work at: about eight leads each, up to every name combination."""
    pairs = [(prefix, core) for prefix in COMPANY_PREFIXES for core in COMPANY_CORES]
    pairs = rng.sample(pairs, min(len(pairs), max(50, leads // 8)))
    codes = list(COUNTRIES)
    weights = [COUNTRIES[code][0] for code in codes]
    companies = []
    for prefix, core in pairs:
        country = rng.choices(codes, weights)[0]
        _, _, tld, legal, _ = COUNTRIES[country]
        tld = ".com" if rng.random() < 0.4 else tld
        companies.append(
            _Company(
                name=f"{prefix} {core} {legal}",
                domain=f"{prefix}{core}{tld}".lower(),
                country=country,
                industry=COMPANY_CORES[core],
                employees=int(rng.choice(EMPLOYEES) * rng.uniform(0.7, 1.4)),
                name_offset=rng.randrange(len(FIRST_NAMES) * len(LAST_NAMES)),
            )
        )
    return companies


def _arrival_times(rng: random.Random, count: int, span: int) -> Iterator[int]:
    """Creation times, in seconds after the period's start, ascending, with volume growing.

    Ascending, so ids and external ids follow creation order. Each order statistic of uniform
    draws follows from the one above it, so no list of `count` times is held and sorted.
    """
    growth = VOLUME_GROWTH
    top = 1.0
    for remaining in range(count, 0, -1):
        top *= rng.random() ** (1.0 / remaining)
        share = 1.0 - top
        # Inverse of the distribution whose density rises linearly by `growth` over the period.
        position = (math.sqrt(1.0 + growth * (2.0 + growth) * share) - 1.0) / growth
        yield min(int(position * span), span - 1)


class _LeadMaker:
    """Makes one lead's row, its stage history and (through demo.handoffs) its handoff rows."""

    def __init__(self, world: _World, rng: random.Random, handoffs: handoff_demo.HandoffDemo):
        self.world = world
        self.rng = rng
        self.handoffs = handoffs
        self.offered = handoffs.offered_stages()
        self.decks = {stage: _Deck(rng, step.rate) for stage, step in STEPS.items()}
        self.demo_requests = _Deck(rng, DEMO_REQUEST_SHARE)
        self.reentries = _Deck(rng, RECYCLE_REENTRY)
        self.titles = [title for title, weight in TITLES for _ in range(weight)]
        self.name_pairs = len(FIRST_NAMES) * len(LAST_NAMES)
        if math.gcd(NAME_STRIDE, self.name_pairs) != 1:
            raise ValueError("NAME_STRIDE must be coprime with the number of name pairs.")

    def make(self, number: int, created: int, batch: _Batch) -> None:
        """Add one lead, its stage history and its handoff rows to `batch`."""
        rng, world = self.rng, self.world
        company = world.companies[int(rng.random() * len(world.companies))]
        first, last, email = self._person(company)
        country = company.country
        _, phone_prefix, _, _, cities = COUNTRIES[country]
        city, region = cities[int(rng.random() * len(cities))]
        demo_request = self.demo_requests.draw()
        path, routed, stage, owner, recycles, furthest = self._history(
            created, demo_request, country
        )
        campaign_id, source = self._campaign(created)
        lead_index, first_move = len(batch.leads), len(batch.moves)
        ids, start = world.stage_ids, world.start
        for src, dst, t, actor, label, handoff, reason in path:
            batch.moves.append(
                (
                    lead_index,
                    ids[src] if src else None,
                    ids[dst],
                    start + handoff_demo.SECOND * t,
                    actor,
                    label,
                    handoff,
                    reason,
                    "",
                )
            )
        entered = batch.moves[-1][3]
        batch.leads.append(
            (
                email,
                first,
                last,
                f"{phone_prefix} {rng.randrange(100, 1000)} {rng.randrange(1_000_000, 10_000_000)}"
                if rng.random() < 0.7
                else "",
                company.name,
                self.titles[int(rng.random() * len(self.titles))],
                country,
                region,
                city,
                company.industry,
                company.employees,
                source,
                campaign_id,
                f"MKTO-{number:06d}" if rng.random() < EXTERNAL_ID_SHARE else None,
                f"00Q{number:012d}" if FUNNEL_ORDER.index(furthest) >= 4 else "",
                min(100, SCORE_BASE[furthest] + int(rng.random() * 30)),
                world.stage_ids[stage],
                entered,
                owner,
                world.stage_teams[stage],
                recycles,
                '{"form": "demo_request"}' if demo_request else "{}",
                batch.moves[first_move][3],
                entered,
            )
        )
        facts = handoff_demo.LeadFacts(
            index=lead_index,
            first_move=first_move,
            country=country,
            employees=company.employees,
            source=source,
            campaign_id=campaign_id,
            demo_request=demo_request,
        )
        self.handoffs.follow(batch.handoff, facts, path, routed)

    def _person(self, company: _Company) -> tuple[str, str, str]:
        """The company's next name pair: distinct pairs give distinct addresses at one domain."""
        dealt, company.leads = company.leads, company.leads + 1
        pair = (company.name_offset + dealt * NAME_STRIDE) % self.name_pairs
        first = FIRST_NAMES[pair % len(FIRST_NAMES)]
        last = LAST_NAMES[pair // len(FIRST_NAMES)]
        repeat = dealt // self.name_pairs  # only past every pair, at a huge company
        local = f"{first}.{last}{repeat or ''}".lower().replace("'", "")
        return first, last, f"{local}@{company.domain}"

    def _campaign(self, created: int) -> tuple[int | None, str]:
        rng, world = self.rng, self.world
        if rng.random() < NO_CAMPAIGN_SHARE:
            return None, "organic"
        today = world.day_campaigns[created // 86_400]
        return world.campaigns[today[int(rng.random() * len(today))]]

    def _dwell(self, median_hours: float) -> int:
        seconds = self.rng.lognormvariate(math.log(median_hours * 3600), DWELL_SIGMA)
        return max(60, int(seconds))

    def _history(self, t: int, demo_request: bool, country: str):
        """Walk the lead through the funnel until it closes or drops out, then cut it at now.

        Returns its moves as handoff_demo.Move tuples (times in seconds after the period's
        start), by move position when each entry into an offered stage was routed, and the
        lead's stage, owner, recycle count and furthest stage at now.

        The whole walk is drawn before the cut, so the draws never depend on the times: the
        receiving side answers on its working clock, whose hours fall elsewhere relative to
        the period's start at another moment of the run, and this keeps the same seed making
        the same leads and moves then (only their answer times, and where now cuts, move).
        """
        rng, world = self.rng, self.world
        stage = "mql" if demo_request else "inquiry"
        # A demo request is routed straight to an inside qualifier.
        owner = rng.choice(world.inside) if demo_request else None
        path: list[handoff_demo.Move] = [(None, stage, t, None, MAP_LABEL, None, None)]
        routed: dict[int, int] = {}
        recycles = 0
        furthest = stage
        states = [(stage, owner, recycles, furthest)]  # after each move
        while stage not in ("won", "lost", "disqualified"):
            step = STEPS.get(stage)
            # When a lead moves is drawn apart from where it goes, so the leads the cut at
            # now leaves waiting are a fair sample and do not skew the observed ratios.
            if stage in self.offered:
                routed[len(path) - 1], t = self.handoffs.decision(stage, t)
            else:
                t += self._dwell(step.median_hours if step else RECYCLE_MEDIAN_HOURS)
            handoff = reason = None
            actor, label = None, MAP_LABEL
            if step is None:  # recycle
                if recycles > MAX_RECYCLES or not self.reentries.draw():
                    break
                to = "qi"
            elif self.decks[stage].draw():
                to = step.advance
            else:
                to, purpose = self._fail_route(step)
                reasons = world.reasons[purpose]
                reason = reasons[int(rng.random() * len(reasons))]
                if purpose == P.REJECT and stage in self.offered:
                    # offer_reject moves the lead under the offer's handoff.
                    handoff = self.handoffs.handoff_of(stage)
            if stage == "inquiry" and to == "disqualified":
                actor, label = rng.choice(world.marketers), ""
            elif stage == "qi":
                actor, label = rng.choice(world.inside), ""
            elif stage == "mql":
                reps = world.reps_by_country.get(country) or world.reps
                actor, label = rng.choice(reps), ""
            elif stage in ("qia", "sal", "sql"):
                actor, label = owner, ""
            if to in ("qia", "sal"):
                handoff, owner = world.handoffs[to], actor
            elif to in ("inquiry", "qi", "recycle", "disqualified"):
                owner = None  # back with marketing
            if to == "recycle":
                recycles += 1
            path.append((stage, to, t, actor, label, handoff, reason))
            stage = to
            if to in SCORE_BASE and FUNNEL_ORDER.index(to) > FUNNEL_ORDER.index(furthest):
                furthest = to
            states.append((stage, owner, recycles, furthest))
        kept = next((i for i, move in enumerate(path) if move[2] >= world.span), len(path))
        routed = {i: at for i, at in routed.items() if i < kept}
        return path[:kept], routed, *states[kept - 1]

    def _fail_route(self, step: Step) -> tuple[str, str]:
        pick = self.rng.random()
        for to, share, purpose in step.fails:
            pick -= share
            if pick < 0:
                return to, purpose
        return step.fails[-1][0], step.fails[-1][2]


class _Ids:
    """Ids reserved before writing, so rows can refer to the leads, moves and offers of a batch."""

    def __init__(self, postgres: bool):
        self.postgres = postgres
        self.next: dict[type[Model], int] = {}

    def reserve(self, model: type[Model], count: int) -> list[int]:
        if not count:
            return []
        if self.postgres:
            # From the sequence: nothing else inserting meanwhile can collide with them.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [model._meta.db_table, count],
                )
                return sorted(row[0] for row in cursor.fetchall())
        # SQLite: the seed's transaction holds the database's write lock (IMMEDIATE mode).
        if model not in self.next:
            self.next[model] = (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        first = self.next[model]
        self.next[model] = first + count
        return list(range(first, first + count))


def _batch_ids(batch: _Batch, ids: _Ids) -> dict[str, list[int]]:
    return {
        "lead_ids": ids.reserve(Lead, len(batch.leads)),
        "move_ids": ids.reserve(StageTransition, len(batch.moves)),
        "offer_ids": ids.reserve(Offer, len(batch.handoff.offers)),
    }


def _batch_copy(batch: _Batch, ids: _Ids) -> None:
    """Write a batch with PostgreSQL COPY, each table after the ones its rows refer to."""
    reserved = _batch_ids(batch, ids)
    lead_ids, move_ids = reserved["lead_ids"], reserved["move_ids"]
    lead_columns = ", ".join(["id", *(Lead._meta.get_field(f).column for f in LEAD_FIELDS)])
    move_columns = ", ".join(["id", "lead_id", *MOVE_FIELDS])
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {Lead._meta.db_table} ({lead_columns}) FROM STDIN") as copy:
            for lead_id, row in zip(lead_ids, batch.leads, strict=True):
                copy.write_row((lead_id, *row))
        table = StageTransition._meta.db_table
        with cursor.copy(f"COPY {table} ({move_columns}) FROM STDIN") as copy:
            for move_id, (lead, *move) in zip(move_ids, batch.moves, strict=True):
                copy.write_row((move_id, lead_ids[lead], *move))
        handoff_demo.rows_copy(cursor, batch.handoff, **reserved)


def _batch_orm(batch: _Batch, ids: _Ids) -> None:
    """Write a batch with bulk_create, for databases without COPY (SQLite)."""
    reserved = _batch_ids(batch, ids)
    lead_ids, move_ids = reserved["lead_ids"], reserved["move_ids"]
    leads = []
    for lead_id, row in zip(lead_ids, batch.leads, strict=True):
        fields = dict(zip(LEAD_FIELDS, row, strict=True))
        fields["attributes"] = json.loads(fields["attributes"])
        leads.append(Lead(id=lead_id, **fields))
    # updated_at is auto_now: bulk_create stamps it with the time of the run.
    Lead.objects.bulk_create(leads, batch_size=2_000)
    StageTransition.objects.bulk_create(
        (
            StageTransition(
                id=move_id, lead_id=lead_ids[lead], **dict(zip(MOVE_FIELDS, move, strict=True))
            )
            for move_id, (lead, *move) in zip(move_ids, batch.moves, strict=True)
        ),
        batch_size=5_000,
    )
    handoff_demo.rows_create(batch.handoff, **reserved)
