"""The default funnel that `setup_funnel` installs. Users edit all of it afterwards.

Names are data once installed, so they are installed in one language: `setup_funnel --language
ru` installs them in Russian (their translations are in the catalogue, context "default funnel").
"""

from django.utils.translation import pgettext_lazy

from .models import ReasonPurpose as P
from .models import Role as R
from .models import StageKind as K

TEAMS = [
    ("marketing", pgettext_lazy("default funnel", "Marketing")),
    ("inside", pgettext_lazy("default funnel", "Inside sales (qualification)")),
    ("sales", pgettext_lazy("default funnel", "Sales")),
]

# key, name, owning team, position, kind, entry criteria
STAGES = [
    (
        "inquiry",
        pgettext_lazy("default funnel", "Inquiry"),
        "marketing",
        10,
        K.OPEN,
        pgettext_lazy(
            "default funnel", "Responded to a campaign: form fill, download, event scan or sign-up."
        ),
    ),
    (
        "qi",
        pgettext_lazy("default funnel", "Qualified Inquiry"),
        "marketing",
        20,
        K.OPEN,
        pgettext_lazy(
            "default funnel",
            "Scored above the QI threshold on fit and engagement; offered to the inside team.",
        ),
    ),
    (
        "qia",
        pgettext_lazy("default funnel", "Qualified Inquiry Accepted"),
        "inside",
        30,
        K.OPEN,
        pgettext_lazy("default funnel", "Taken by an inside qualifier for a qualification call."),
    ),
    (
        "mql",
        pgettext_lazy("default funnel", "Marketing Qualified Lead"),
        "inside",
        40,
        K.OPEN,
        pgettext_lazy(
            "default funnel",
            "Interest, budget and authority confirmed on a call; offered to sales.",
        ),
    ),
    (
        "sal",
        pgettext_lazy("default funnel", "Sales Accepted Lead"),
        "sales",
        50,
        K.OPEN,
        pgettext_lazy("default funnel", "Accepted by a sales rep, who owns the follow-up."),
    ),
    (
        "sql",
        pgettext_lazy("default funnel", "Sales Qualified Lead"),
        "sales",
        60,
        K.OPEN,
        pgettext_lazy(
            "default funnel",
            "An opportunity is open: need, budget, authority and timing confirmed.",
        ),
    ),
    (
        "won",
        pgettext_lazy("default funnel", "Won"),
        "sales",
        70,
        K.WON,
        pgettext_lazy("default funnel", "Closed won."),
    ),
    (
        "lost",
        pgettext_lazy("default funnel", "Lost"),
        "sales",
        80,
        K.LOST,
        pgettext_lazy("default funnel", "Closed lost, with a reason."),
    ),
    (
        "recycle",
        pgettext_lazy("default funnel", "Recycle (nurture)"),
        "marketing",
        90,
        K.RECYCLE,
        pgettext_lazy(
            "default funnel", "Back to marketing for nurturing; may re-enter the funnel later."
        ),
    ),
    (
        "disqualified",
        pgettext_lazy("default funnel", "Disqualified"),
        "marketing",
        100,
        K.DISQUALIFIED,
        pgettext_lazy(
            "default funnel", "Junk: will never buy (spam, student, competitor, no fit)."
        ),
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
    (
        "qi_qia",
        pgettext_lazy("default funnel", "Marketing → Inside (QI → QIA)"),
        "qi",
        "qia",
        "recycle",
        "marketing",
        "inside",
    ),
    (
        "mql_sal",
        pgettext_lazy("default funnel", "Inside → Sales (MQL → SAL)"),
        "mql",
        "sal",
        "recycle",
        "inside",
        "sales",
    ),
]

REASONS = {
    P.REJECT: [
        ("not_icp", pgettext_lazy("default funnel", "Not our ideal customer profile")),
        ("no_budget", pgettext_lazy("default funnel", "No budget")),
        ("no_authority", pgettext_lazy("default funnel", "Wrong contact, no authority")),
        ("not_ready", pgettext_lazy("default funnel", "Not ready to buy")),
        ("bad_data", pgettext_lazy("default funnel", "Bad contact data")),
        ("duplicate", pgettext_lazy("default funnel", "Duplicate of another lead")),
    ],
    P.DISQUALIFY: [
        ("spam", pgettext_lazy("default funnel", "Spam or fake")),
        ("student", pgettext_lazy("default funnel", "Student or job seeker")),
        ("competitor", pgettext_lazy("default funnel", "Competitor")),
        ("out_of_market", pgettext_lazy("default funnel", "Outside our markets")),
        ("no_fit", pgettext_lazy("default funnel", "No fit, never will be")),
    ],
    P.RECYCLE: [
        ("not_now", pgettext_lazy("default funnel", "Interested, not now")),
        ("unable_to_reach", pgettext_lazy("default funnel", "Unable to reach")),
        ("sla_expired", pgettext_lazy("default funnel", "SLA expired")),
        ("nurture", pgettext_lazy("default funnel", "Needs more nurturing")),
    ],
    P.LOST: [
        ("price", pgettext_lazy("default funnel", "Price")),
        ("competitor", pgettext_lazy("default funnel", "Chose a competitor")),
        ("no_decision", pgettext_lazy("default funnel", "No decision")),
        ("timing", pgettext_lazy("default funnel", "Timing")),
        ("features", pgettext_lazy("default funnel", "Missing features")),
    ],
}
