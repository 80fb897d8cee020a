"""The default funnel that `setup_funnel` installs. Users edit all of it afterwards."""

from .models import ReasonPurpose as P
from .models import Role as R
from .models import StageKind as K

TEAMS = [
    ("marketing", "Marketing"),
    ("inside", "Inside sales (qualification)"),
    ("sales", "Sales"),
]

# key, name, owning team, position, kind, entry criteria
STAGES = [
    (
        "inquiry",
        "Inquiry",
        "marketing",
        10,
        K.OPEN,
        "Responded to a campaign: form fill, download, event scan or sign-up.",
    ),
    (
        "qi",
        "Qualified Inquiry",
        "marketing",
        20,
        K.OPEN,
        "Scored above the QI threshold on fit and engagement; offered to the inside team.",
    ),
    (
        "qia",
        "Qualified Inquiry Accepted",
        "inside",
        30,
        K.OPEN,
        "Taken by an inside qualifier for a qualification call.",
    ),
    (
        "mql",
        "Marketing Qualified Lead",
        "inside",
        40,
        K.OPEN,
        "Interest, budget and authority confirmed on a call; offered to sales.",
    ),
    (
        "sal",
        "Sales Accepted Lead",
        "sales",
        50,
        K.OPEN,
        "Accepted by a sales rep, who owns the follow-up.",
    ),
    (
        "sql",
        "Sales Qualified Lead",
        "sales",
        60,
        K.OPEN,
        "An opportunity is open: need, budget, authority and timing confirmed.",
    ),
    ("won", "Won", "sales", 70, K.WON, "Closed won."),
    ("lost", "Lost", "sales", 80, K.LOST, "Closed lost, with a reason."),
    (
        "recycle",
        "Recycle (nurture)",
        "marketing",
        90,
        K.RECYCLE,
        "Back to marketing for nurturing; may re-enter the funnel later.",
    ),
    (
        "disqualified",
        "Disqualified",
        "marketing",
        100,
        K.DISQUALIFIED,
        "Junk: will never buy (spam, student, competitor, no fit).",
    ),
]

_MKT = [R.MARKETING, R.ADMIN, R.INTEGRATION]
_INSIDE = [R.INSIDE, R.MANAGER, R.ADMIN]
_SALES = [R.SALES, R.MANAGER, R.ADMIN]
_SALES_CRM = [R.SALES, R.MANAGER, R.ADMIN, R.INTEGRATION]

# from (None: a new lead enters here), to, roles, reason purposes required
MOVES = [
    (None, "inquiry", _MKT, []),
    (None, "qi", _MKT, []),
    (None, "mql", _MKT, []),  # a demo request goes straight to MQL
    ("inquiry", "qi", _MKT, []),
    ("inquiry", "mql", _MKT, []),
    ("inquiry", "recycle", _MKT, [P.RECYCLE]),
    ("inquiry", "disqualified", _MKT, [P.DISQUALIFY]),
    ("qi", "qia", _INSIDE, []),  # only by accepting the qi_qia handoff
    ("qi", "mql", _MKT, []),
    ("qi", "recycle", [*_INSIDE, R.MARKETING], [P.REJECT, P.RECYCLE]),
    ("qi", "disqualified", [*_INSIDE, R.MARKETING], [P.REJECT, P.DISQUALIFY]),
    ("qia", "mql", _INSIDE, []),
    ("qia", "recycle", _INSIDE, [P.RECYCLE, P.REJECT]),
    ("qia", "disqualified", _INSIDE, [P.DISQUALIFY]),
    ("mql", "sal", _SALES, []),  # only by accepting the mql_sal handoff
    ("mql", "recycle", _SALES, [P.REJECT, P.RECYCLE]),
    ("mql", "disqualified", _SALES, [P.REJECT, P.DISQUALIFY]),
    ("sal", "sql", _SALES_CRM, []),
    ("sal", "recycle", _SALES_CRM, [P.RECYCLE]),
    ("sal", "disqualified", _SALES_CRM, [P.DISQUALIFY]),
    ("sql", "won", _SALES_CRM, []),
    ("sql", "lost", _SALES_CRM, [P.LOST]),
    ("recycle", "qi", _MKT, []),
    ("recycle", "mql", _MKT, []),
    ("recycle", "disqualified", [R.MARKETING, R.ADMIN], [P.DISQUALIFY]),
    ("lost", "recycle", _MKT, [P.RECYCLE]),
    ("disqualified", "recycle", [R.MARKETING, R.ADMIN], [P.RECYCLE]),  # a hidden gem
]

# key, name, offered stage, accepted stage, reject stage, sending team, receiving team
HANDOFFS = [
    ("qi_qia", "Marketing → Inside (QI → QIA)", "qi", "qia", "recycle", "marketing", "inside"),
    ("mql_sal", "Inside → Sales (MQL → SAL)", "mql", "sal", "recycle", "inside", "sales"),
]

REASONS = {
    P.REJECT: [
        ("not_icp", "Not our ideal customer profile"),
        ("no_budget", "No budget"),
        ("no_authority", "Wrong contact, no authority"),
        ("not_ready", "Not ready to buy"),
        ("bad_data", "Bad contact data"),
        ("duplicate", "Duplicate of another lead"),
    ],
    P.DISQUALIFY: [
        ("spam", "Spam or fake"),
        ("student", "Student or job seeker"),
        ("competitor", "Competitor"),
        ("out_of_market", "Outside our markets"),
        ("no_fit", "No fit, never will be"),
    ],
    P.RECYCLE: [
        ("not_now", "Interested, not now"),
        ("unable_to_reach", "Unable to reach"),
        ("sla_expired", "SLA expired"),
        ("nurture", "Needs more nurturing"),
    ],
    P.LOST: [
        ("price", "Price"),
        ("competitor", "Chose a competitor"),
        ("no_decision", "No decision"),
        ("timing", "Timing"),
        ("features", "Missing features"),
    ],
}
