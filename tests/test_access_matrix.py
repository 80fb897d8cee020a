"""Who may open which page and call which endpoint: a matrix over every route of the URLconf.

Each route of `django.urls.get_resolver()` (walked through every include) has a row in MATRIX:
the request made (a GET; a POST with an empty body for routes that only take POST) and the
status each role of `funnel.models.Role` and an anonymous visitor get; a route that also takes
writes (a list that creates, a resource that is edited or deleted) lists them in `writes`, each
tried with an empty body too. Routes with a path
parameter are given an object the roles below admin may not reach (a lead owned by another
team's rep, an offer to someone else, another user's notification, another integration's
webhook and delivery, the agreement of a handoff the manager's team is not part of), so their
row is the object-level check by id; the roles that see everything (admin; marketing and
integration for leads) reach it, and their row says what that answer is.

`test_every_route_has_a_row` fails, naming the route, when the URLconf has a route missing from
MATRIX: a new page or endpoint cannot ship without saying who may use it.

Not in the matrix, and why:

- `admin:` routes other than `admin:index`: Django's admin, guarded by `is_staff` and model
  permissions, not by role; its pages are checked in each app's `tests/test_admin.py`.
- `^admin/funnel/(lead|stagetransition|webhooksubscription|webhookdelivery)/…`: a permanent
  redirect to the moved admin page, which makes the access decision
  (tests/test_moved_admin.py).
- Static and media files (`STATIC_URL`, `MEDIA_URL`): served by WhiteNoise or the web server,
  not by a view; none is in the URLconf under the test settings.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from funnel.models import (
    Campaign,
    HandoffPair,
    ReasonCode,
    Role,
    Stage,
    StageMove,
    Team,
    Territory,
    User,
)
from funnel.setup import defaults_install
from funnel.tests.factories import UserFactory
from handoff.models import (
    LeadImport,
    Notification,
    Offer,
    RoutingRule,
    RoutingStrategy,
    SavedLeadView,
    ScoringRule,
    SlaAgreement,
)
from handoff.services.leads import lead_create
from handoff.services.offers import offer_route
from handoff.tests.conftest import sla_enqueues  # noqa: F401  (enqueues recorded, not sent)
from handoff.tests.factories import LeadFactory
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.tests.factories import EventFactory, WebhookSubscriptionFactory
from reporting.weekly.data import weekly_report_build

pytestmark = pytest.mark.usefixtures("sla_enqueues")

ANONYMOUS = "anonymous"
WHO = (*Role.values, ANONYMOUS)

# --- the routes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # the namespaced name; an unnamed route by its path, "/…"
    pattern: str


def _skipped(namespace: str, name: str | None, pattern: str) -> bool:
    if namespace.split(":")[0] == "admin":
        return name != "index"
    if pattern.lstrip("^").startswith("admin/funnel/"):
        return True
    assets = [settings.STATIC_URL, getattr(settings, "MEDIA_URL", "")]
    return any(prefix and pattern.startswith(prefix.strip("/") + "/") for prefix in assets)


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern).lstrip("^") if prefix else str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, pattern, inner)
        elif isinstance(entry, URLPattern):
            name = entry.name
            if _skipped(namespace, name, pattern):
                continue
            yield Route(key=f"{namespace}{name}" if name else f"/{pattern}", pattern=pattern)


def routes() -> list[Route]:
    """Every route of the URLconf the matrix covers."""
    return list(_walk(get_resolver()))


# --- the matrix -------------------------------------------------------------------------------


def answers(signed_in: int | None = None, /, **by_who: int) -> dict[str, int]:
    """The status for each of WHO: `signed_in` for every role, then the exceptions by name."""
    table = {role: signed_in for role in Role.values} | by_who
    return {who: table.get(who) for who in WHO}


@dataclass(frozen=True)
class Row:
    method: str  # "get", or "post" (an empty body) for routes that take only POST
    answers: dict[str, int]
    kwargs: Callable[[SimpleNamespace], dict] = lambda world: {}
    query: dict[str, str] = field(default_factory=dict)  # a GET's query string
    # The route's writes beside its GET, each with an empty body: method -> answers.
    writes: dict[str, dict[str, int]] = field(default_factory=dict)
    # By "method:who". A defect the matrix finds is marked, not fixed here: a `# DEFECT:` comment
    # and pytest.mark.xfail(strict=True, reason=...), so that the fix has to remove it.
    marks: dict[str, pytest.MarkDecorator] = field(default_factory=dict)

    def requests(self):
        yield self.method, self.answers
        yield from self.writes.items()


# Who reads reports: the pages (staff and these roles) and the API (ReportReaders) differ on
# integrations, which read the figures by API but have no pages.
REPORT_API = answers(200, inside=403, sales=403, anonymous=401)
# The reports' required period, so that a reader gets the report rather than a 400.
_TODAY = datetime.date.today()
PERIOD = {"start": str(_TODAY - datetime.timedelta(days=28)), "end": str(_TODAY)}
SIGNED_IN_API = answers(200, anonymous=401)
WEBHOOKS = answers(403, admin=200, integration=404, anonymous=401)
PAGE = answers(200, anonymous=302)  # a page of one's own: to the login page when signed out
# The lead API on a lead owned by another team's rep: 404 for who may not see it; those who
# see every lead (admin, marketing, integration) reach it and get the answer to their request.
LEAD_HIDDEN = {"inside": 404, "sales": 404, "manager": 404, "anonymous": 401}


def lead_api(reached: int, **by_who: int) -> dict[str, int]:
    return answers(reached, **LEAD_HIDDEN, **by_who)


def _lead(world):
    return {"pk": world.lead}


# The funnel's settings pages (issue 12, part "cfgfunnel"): readers and editors by part
# (configuration/parts.py). An empty post to a form is re-shown with errors (400); retire,
# reactivate and remove act (302). By id, objects from the default funnel; the manager (of
# sales) reads other teams' settings but may not change them, and cannot reach the people of
# another team (404).
FUNNEL_EDIT = {"admin": None, "marketing": None}
FUNNEL_READ = {**FUNNEL_EDIT, "manager": None}
ADMIN_EDIT = {"admin": None}
ADMIN_READ = {**ADMIN_EDIT, "manager": None}


def settings_page(who: dict, status: int = 200) -> dict[str, int]:
    """`status` for the roles in `who`, 403 for the other roles, the sign-in page for anonymous."""
    return answers(403, anonymous=302, **dict.fromkeys(who, status))


def _pk(model, **lookup):
    return lambda w: {"pk": model.objects.get_or_create(**lookup)[0].pk}


_stage = _pk(Stage, key="inquiry")


def _move(world):
    return {"pk": StageMove.objects.get(from_stage__key="inquiry", to_stage__key="qi").pk}


_reason = _pk(ReasonCode, purpose="lost", code="price")
_campaign = _pk(Campaign, name="ACL campaign")
_territory = _pk(Territory, key="acl-territory", defaults={"name": "ACL", "countries": ["DE"]})
_foreign_team = _pk(Team, key="inside")
_foreign_person = _pk(User, username="acl_other_inside")


# The CSV import of leads (part "imports"): an import of another user's, made for each test.
LEAD_IMPORT = answers(403, admin=200, marketing=404, integration=404, anonymous=302)


def _lead_import(world):
    made = LeadImport.objects.create(
        created_by=User.objects.get(username="acl_other_integration"),
        file_name="acl.csv",
        content="email\nacl-import@acme.io\n",
        columns=["email"],
        mapping={"0": "email"},
        total_rows=1,
    )
    return {"import_id": made.pk}


# The settings of handoffs, scoring, routing, tokens and webhooks (issue 12, part "cfghandoff").
# By id: a routing rule of the handoff Inside receives (the manager manages sales: 404), the
# token of another integration user (only an admin manages it), another integration's webhook.
HANDOFF_EDIT = {"admin": None, "marketing": None}
ROUTING_EDIT = {"admin": None, "manager": None}
ROUTING_READ = {**ROUTING_EDIT, "marketing": None}
HOOKS = {"admin": None, "integration": None}
_scoring_rule = _pk(ScoringRule, name="ACL rule", kind="form", points=1)


def _foreign_rule(world):
    return {"pk": RoutingRule.objects.filter(handoff__key=world.foreign_handoff).first().pk}


def _foreign_holder(world):
    return {"user_id": WebhookSubscription.objects.get(pk=world.webhook).owner_id}


def by_id(admin: int, *, mine: str, status: int = 404, **others: int) -> dict[str, int]:
    """An object out of reach by id: `admin` for the admin, `status` for the role `mine` that
    uses the page but may not reach this one, 403 for the rest."""
    return answers(403, admin=admin, anonymous=302, **{mine: status}, **others)


MATRIX: dict[str, Row] = {
    # The browser's pages.
    # dashboard: "/" sends marketing to the dashboard, other roles to their queue (redirects),
    # and the dashboard is for the roles that read reports in the browser.
    "reporting:home": Row("get", answers(302, anonymous=302)),
    "reporting:dashboard": Row(
        "get", answers(200, inside=403, sales=403, integration=403, anonymous=302)
    ),
    "handoff:queue": Row("get", PAGE),
    "handoff:pipeline": Row("get", PAGE),
    "handoff:hot-leads": Row("get", PAGE),
    "handoff:notifications": Row("get", PAGE),
    "handoff:preferences": Row("get", PAGE, writes={"post": answers(200, anonymous=302)}),
    "handoff:offer-action": Row(
        "post",
        # Whoever reaches the offer posts an empty reject: refused on the page, redirected back.
        answers(404, admin=302, integration=302, anonymous=302),
        lambda w: {"offer_id": w.offer, "action": "reject"},
    ),
    "handoff:lead": Row(
        "get",
        answers(200, inside=404, sales=404, manager=404, anonymous=302),
        lambda w: {"lead_id": w.lead},
    ),
    "handoff:lead-action": Row(
        "post",
        answers(302, inside=404, sales=404, manager=404, anonymous=302),
        lambda w: {"lead_id": w.lead, "action": "reject"},
    ),
    # The leads list (issue 12, part "leads"): every signed-in role but integration; what each
    # sees is lead_visible's. An empty bulk post is a form with errors (400); a saved view of
    # someone else is a 404.
    "handoff:lead-list": Row("get", answers(200, integration=403, anonymous=302)),
    "handoff:lead-export": Row("get", answers(200, integration=403, anonymous=302)),
    "handoff:lead-bulk": Row("post", answers(400, integration=403, anonymous=302)),
    "handoff:lead-view-save": Row("post", answers(400, integration=403, anonymous=302)),
    "handoff:lead-view-delete": Row(
        "post",
        answers(404, admin=302, integration=403, anonymous=302),
        lambda w: {
            "view_id": SavedLeadView.objects.create(user=w.people[Role.ADMIN], name="Mine").pk
        },
    ),
    # The CSV import of leads (issue 12, part "imports"): the roles the bulk API lets ingest.
    # An empty upload is a form with errors (400). By id, an import another integration
    # uploaded: a 404 for who may import but not see it; admins see every import (an empty post
    # to one waiting for its mapping re-shows the mapping and its preview, 200).
    "handoff:lead-import": Row(
        "get",
        answers(403, admin=200, marketing=200, integration=200, anonymous=302),
        writes={"post": answers(403, admin=400, marketing=400, integration=400, anonymous=302)},
    ),
    "handoff:lead-import-detail": Row(
        "get", LEAD_IMPORT, _lead_import, writes={"post": LEAD_IMPORT}
    ),
    "handoff:lead-import-progress": Row("get", LEAD_IMPORT, _lead_import),
    "handoff:lead-import-errors": Row("get", LEAD_IMPORT, _lead_import),
    "handoff:notification-read": Row(
        "post", answers(404, anonymous=302), lambda w: {"notification_id": w.notification}
    ),
    "handoff:notifications-read-all": Row("post", answers(302, anonymous=302)),
    "reporting:weekly-list": Row(
        "get", answers(200, inside=403, sales=403, integration=403, anonymous=302)
    ),
    "reporting:weekly-detail": Row(
        "get",
        answers(200, inside=403, sales=403, integration=403, anonymous=302),
        lambda w: {"pk": w.report},
    ),
    "reporting:weekly-csv": Row(
        "get",
        answers(200, inside=403, sales=403, integration=403, anonymous=302),
        lambda w: {"pk": w.report},
    ),
    "reporting:weekly-email": Row(
        "post",
        answers(403, admin=302, manager=302, anonymous=302),
        lambda w: {"pk": w.report},
    ),
    "web:team": Row("get", answers(403, admin=200, manager=200, anonymous=302)),
    "web:team-reassign": Row("post", answers(403, admin=400, manager=400, anonymous=302)),
    # An admin's console opens every team, first Inside (by name), which that handoff is part of.
    "web:agreement-propose": Row(
        "get",
        answers(403, admin=200, manager=404, anonymous=302),
        lambda w: {"handoff_key": w.foreign_handoff},
        writes={"post": answers(403, admin=400, manager=404, anonymous=302)},
    ),
    "web:agreement-sign-off": Row(
        "post",
        answers(403, admin=302, manager=404, anonymous=302),
        lambda w: {"agreement_id": w.foreign_agreement},
    ),
    # The settings (cfgfunnel): the index lists what the role reads; every role reads a part.
    "configuration:index": Row("get", answers(200, anonymous=302)),
    "configuration:stages": Row("get", settings_page(FUNNEL_READ)),
    "configuration:stage-add": Row(
        "get", settings_page(FUNNEL_EDIT), writes={"post": settings_page(FUNNEL_EDIT, 400)}
    ),
    "configuration:stage-edit": Row(
        "get", settings_page(FUNNEL_READ), _stage, writes={"post": settings_page(FUNNEL_EDIT, 400)}
    ),
    "configuration:stage-reorder": Row("post", settings_page(FUNNEL_EDIT, 400), _stage),
    "configuration:stage-retire": Row("post", settings_page(FUNNEL_EDIT, 302), _stage),
    "configuration:stage-reactivate": Row("post", settings_page(FUNNEL_EDIT, 302), _stage),
    "configuration:moves": Row("get", settings_page(FUNNEL_EDIT)),
    "configuration:move-add": Row(
        "get", settings_page(FUNNEL_EDIT), writes={"post": settings_page(FUNNEL_EDIT, 400)}
    ),
    # An empty post is a valid edit: nobody but the system may make the move.
    "configuration:move-edit": Row(
        "get", settings_page(FUNNEL_EDIT), _move, writes={"post": settings_page(FUNNEL_EDIT, 302)}
    ),
    "configuration:move-remove": Row("post", settings_page(FUNNEL_EDIT, 302), _move),
    "configuration:reasons": Row("get", settings_page(FUNNEL_READ)),
    "configuration:reason-add": Row(
        "get", settings_page(FUNNEL_EDIT), writes={"post": settings_page(FUNNEL_EDIT, 400)}
    ),
    "configuration:reason-edit": Row(
        "get", settings_page(FUNNEL_READ), _reason, writes={"post": settings_page(FUNNEL_EDIT, 400)}
    ),
    "configuration:campaigns": Row("get", settings_page(FUNNEL_EDIT)),
    "configuration:campaign-add": Row(
        "get", settings_page(FUNNEL_EDIT), writes={"post": settings_page(FUNNEL_EDIT, 400)}
    ),
    "configuration:campaign-edit": Row(
        "get",
        settings_page(FUNNEL_EDIT),
        _campaign,
        writes={"post": settings_page(FUNNEL_EDIT, 400)},
    ),
    "configuration:teams": Row("get", settings_page(ADMIN_READ)),
    "configuration:team-add": Row(
        "get", settings_page(ADMIN_EDIT), writes={"post": settings_page(ADMIN_EDIT, 400)}
    ),
    "configuration:team-edit": Row(
        "get",
        settings_page(ADMIN_READ),
        _foreign_team,
        writes={"post": settings_page(ADMIN_EDIT, 400)},
    ),
    "configuration:territories": Row("get", settings_page(ADMIN_READ)),
    "configuration:territory-add": Row(
        "get", settings_page(ADMIN_EDIT), writes={"post": settings_page(ADMIN_EDIT, 400)}
    ),
    "configuration:territory-edit": Row(
        "get",
        settings_page(ADMIN_READ),
        _territory,
        writes={"post": settings_page(ADMIN_EDIT, 400)},
    ),
    "configuration:users": Row("get", settings_page(ADMIN_READ)),
    "configuration:user-add": Row(
        "get", settings_page(ADMIN_EDIT), writes={"post": settings_page(ADMIN_EDIT, 400)}
    ),
    "configuration:user-edit": Row(
        "get",
        answers(403, admin=200, manager=404, anonymous=302),
        _foreign_person,
        writes={"post": answers(403, admin=400, manager=404, anonymous=302)},
    ),
    # Signing in and out, passwords: Django's own views.
    "login": Row("get", answers(200, anonymous=200)),
    "logout": Row("post", answers(302, anonymous=302)),
    "password_change": Row("get", PAGE),
    "password_change_done": Row("get", PAGE),
    "password_reset": Row("get", answers(200, anonymous=200)),
    "password_reset_done": Row("get", answers(200, anonymous=200)),
    "password_reset_confirm": Row(
        "get",
        answers(200, anonymous=200),  # a made-up link: the "invalid link" page
        lambda w: {"uidb64": "MQ", "token": "set-password"},
    ),
    "password_reset_complete": Row("get", answers(200, anonymous=200)),
    # Staff only, whatever the role: everyone here (no one is staff) goes to the admin's login.
    "admin:index": Row("get", answers(302, anonymous=302)),
    # The API.
    "auth-token": Row("post", answers(400, anonymous=400)),
    "user-list": Row("get", SIGNED_IN_API, writes={"post": answers(403, admin=400, anonymous=401)}),
    "team-list": Row("get", SIGNED_IN_API),
    "stage-list": Row("get", SIGNED_IN_API),
    "reasoncode-list": Row("get", SIGNED_IN_API),
    "campaign-list": Row(
        "get",
        SIGNED_IN_API,
        writes={"post": answers(403, admin=400, marketing=400, integration=400, anonymous=401)},
    ),
    "webhook-list": Row(
        "get",
        answers(403, admin=200, integration=200, anonymous=401),
        writes={"post": answers(403, admin=400, integration=400, anonymous=401)},
    ),
    "webhook-detail": Row(
        "get",
        WEBHOOKS,
        lambda w: {"pk": w.webhook},
        writes={
            "patch": WEBHOOKS,
            "delete": answers(403, admin=204, integration=404, anonymous=401),
        },
    ),
    "webhook-rotate-secret": Row("post", WEBHOOKS, lambda w: {"pk": w.webhook}),
    "webhook-deliveries": Row("get", WEBHOOKS, lambda w: {"pk": w.webhook}),
    # The admin reaches it; a delivery still pending is not redelivered (409).
    "webhook-delivery-redeliver": Row(
        "post",
        answers(403, admin=409, integration=404, anonymous=401),
        lambda w: {"pk": w.delivery},
    ),
    "event-list": Row(
        "get", answers(403, admin=200, marketing=200, integration=200, anonymous=401)
    ),
    "lead-list": Row(
        "get",
        SIGNED_IN_API,
        writes={"post": answers(403, admin=400, marketing=400, integration=400, anonymous=401)},
    ),
    "lead-bulk": Row(
        "post", answers(403, admin=400, marketing=400, integration=400, anonymous=401)
    ),
    "lead-detail": Row("get", lead_api(200), _lead, writes={"patch": lead_api(200)}),
    "lead-merge": Row(
        "post",
        answers(403, admin=400, marketing=400, integration=400, manager=404, anonymous=401),
        _lead,
    ),
    "lead-transition": Row("post", lead_api(400), _lead),
    "lead-accept": Row("post", lead_api(409), _lead),  # the lead has no open offer
    "lead-reject": Row("post", lead_api(400), _lead),
    "lead-claim": Row("post", lead_api(409), _lead),
    "lead-assign": Row("post", lead_api(400), _lead),
    "lead-disposition": Row("post", lead_api(400), _lead),
    "lead-touches": Row("post", lead_api(400), _lead),
    "lead-history": Row("get", lead_api(200), _lead),
    "activity-bulk": Row(
        "post", answers(403, admin=400, marketing=400, integration=400, anonymous=401)
    ),
    "handoff-list": Row("get", SIGNED_IN_API),
    "handoff-detail": Row(
        "get",
        SIGNED_IN_API,
        lambda w: {"key": w.foreign_handoff},
        writes={"patch": answers(403, admin=200, marketing=200, anonymous=401)},
    ),
    "routing-simulate": Row(
        "post", answers(403, admin=400, marketing=400, manager=400, anonymous=401)
    ),
    "report-handoffs": Row("get", REPORT_API, query=PERIOD),
    "report-alerts": Row("get", REPORT_API),
    "report-weekly-list": Row("get", REPORT_API),
    "report-weekly-detail": Row("get", REPORT_API, lambda w: {"pk": w.report}),
    "report-black-hole": Row("get", REPORT_API),
    "report-reasons": Row("get", REPORT_API, query=PERIOD),
    "report-hidden-gems": Row("get", REPORT_API, query=PERIOD),
    "report-plan": Row(
        "get", REPORT_API, query={"end": PERIOD["end"], "revenue_goal": "100000", "weeks": "13"}
    ),
    "report-funnel": Row("get", REPORT_API, query=PERIOD),
    "report-velocity": Row("get", REPORT_API, query=PERIOD),
    "report-qualifiers": Row("get", REPORT_API, query=PERIOD),
    # The settings of handoffs, scoring, routing, tokens and webhooks (cfghandoff).
    "configuration:handoffs": Row("get", settings_page({**HANDOFF_EDIT, "manager": None})),
    "configuration:handoff-target": Row(
        "post", settings_page(HANDOFF_EDIT, 400), lambda w: {"key": w.foreign_handoff}
    ),
    "configuration:scoring": Row(
        "get", settings_page(HANDOFF_EDIT), writes={"post": settings_page(HANDOFF_EDIT, 400)}
    ),
    "configuration:scoring-rule": Row(
        "get",
        settings_page(HANDOFF_EDIT),
        _scoring_rule,
        writes={"post": settings_page(HANDOFF_EDIT, 400)},
    ),
    "configuration:scoring-rule-delete": Row(
        "post", settings_page(HANDOFF_EDIT, 302), _scoring_rule
    ),
    "configuration:routing": Row("get", settings_page(ROUTING_READ)),
    "configuration:routing-try": Row("get", settings_page(ROUTING_READ)),
    "configuration:routing-rule-new": Row(
        "get", settings_page(ROUTING_EDIT), writes={"post": settings_page(ROUTING_EDIT, 400)}
    ),
    "configuration:routing-rule": Row(
        "get",
        by_id(200, mine="manager"),
        _foreign_rule,
        writes={"post": by_id(400, mine="manager")},
    ),
    "configuration:routing-rule-move": Row("post", by_id(302, mine="manager"), _foreign_rule),
    "configuration:tokens": Row("get", PAGE),
    # Another integration user's token: each role manages its own only; the admin makes one.
    "configuration:token-create": Row(
        "post", answers(404, admin=201, anonymous=302), _foreign_holder
    ),
    "configuration:token-revoke": Row(
        "post", answers(404, admin=302, anonymous=302), _foreign_holder
    ),
    "configuration:webhooks": Row(
        "get", settings_page(HOOKS), writes={"post": settings_page(HOOKS, 400)}
    ),
    "configuration:webhook": Row(
        "get",
        by_id(200, mine="integration"),
        lambda w: {"pk": w.webhook},
        writes={"post": by_id(400, mine="integration")},
    ),
    "configuration:webhook-rotate": Row(
        "post", by_id(200, mine="integration"), lambda w: {"pk": w.webhook}
    ),
    "configuration:webhook-delete": Row(
        "post", by_id(302, mine="integration"), lambda w: {"pk": w.webhook}
    ),
    # The contract is public.
    "schema": Row("get", answers(200, anonymous=200)),
    "api-docs": Row("get", answers(200, anonymous=200)),
}


# --- the people and objects, once per module ---------------------------------------------------


def _world_build() -> SimpleNamespace:
    """A user of each role (the manager manages sales) and, out of their reach, objects of
    others: an inside rep's lead, a Marketing → Inside offer to that rep, a sales rep's
    notification, another integration's webhook and delivery, a weekly report, the agreement of
    the handoff sales is not part of."""
    defaults_install()
    teams = {team.key: team for team in Team.objects.all()}
    people = {
        Role.ADMIN: UserFactory(username="acl_admin", role=Role.ADMIN),
        Role.MARKETING: UserFactory(
            username="acl_marketing", role=Role.MARKETING, team=teams["marketing"]
        ),
        Role.INSIDE: UserFactory(username="acl_inside", role=Role.INSIDE, team=teams["inside"]),
        Role.SALES: UserFactory(username="acl_sales", role=Role.SALES, team=teams["sales"]),
        Role.MANAGER: UserFactory(username="acl_manager", role=Role.MANAGER, team=teams["sales"]),
        Role.INTEGRATION: UserFactory(username="acl_integration", role=Role.INTEGRATION),
    }
    teams["sales"].manager = people[Role.MANAGER]
    teams["sales"].save(update_fields=["manager"])
    other_inside = UserFactory(username="acl_other_inside", role=Role.INSIDE, team=teams["inside"])
    other_rep = UserFactory(username="acl_other_rep", role=Role.SALES, team=teams["sales"])
    other_integration = UserFactory(username="acl_other_integration", role=Role.INTEGRATION)

    lead = LeadFactory(stage=Stage.objects.get(key="qia"), owner=other_inside)

    RoutingRule.objects.filter(handoff__key="qi_qia").update(
        strategy=RoutingStrategy.USER, target_user=other_inside, target_team=None
    )
    offered = lead_create(actor=None, stage="qi", email="offered@acme.com", company="Acme")
    offer = offer_route(offer_id=Offer.objects.get(lead=offered).pk)
    assert offer.assignee == other_inside

    notification = Notification.objects.create(
        user=other_rep, kind=Notification.Kind.ASSIGNED, subject="Yours", body=""
    )
    webhook = WebhookSubscriptionFactory(owner=other_integration)
    delivery = WebhookDelivery.objects.create(subscription=webhook, event=EventFactory())
    today = timezone.localdate()
    report, _ = weekly_report_build(week=today - datetime.timedelta(days=today.weekday() + 14))
    foreign = HandoffPair.objects.get(key="qi_qia")
    return SimpleNamespace(
        people=people,
        lead=lead.pk,
        offer=offer.pk,
        notification=notification.pk,
        webhook=webhook.pk,
        delivery=delivery.pk,
        report=report.pk,
        foreign_handoff=foreign.key,
        foreign_agreement=SlaAgreement.objects.filter(handoff=foreign).latest("version").pk,
    )


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker):
    """Built once, in a transaction rolled back after the module; each test rolls back its own
    changes (accepting, redelivering…) in a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = _world_build()
        yield world
        transaction.set_rollback(True)


@pytest.fixture
def world(_world, db):
    """The module's people and objects (throttles start afresh: the suite's conftest)."""
    return _world


# --- the tests --------------------------------------------------------------------------------


def test_every_route_has_a_row():
    """A route of the URLconf with no row in MATRIX fails, named with its path."""
    missing = [r for r in routes() if r.key not in MATRIX]
    assert not missing, (
        "Routes with no row in MATRIX (tests/test_access_matrix.py): "
        + "; ".join(f"{r.key} (/{r.pattern})" for r in missing)
        + ". Add a row with the answer each role and an anonymous visitor must get."
    )


def test_every_row_is_a_route_and_says_who_gets_what():
    """No row outlives its route; each row names a status for every role and anonymous."""
    keys = {r.key for r in routes()}
    assert sorted(set(MATRIX) - keys) == []
    incomplete = [
        f"{key} {method}"
        for key, row in MATRIX.items()
        for method, by_who in row.requests()
        if None in by_who.values()
    ]
    assert incomplete == []
    assert {row.method for row in MATRIX.values()} <= {"get", "post"}


def _cases():
    for key, row in MATRIX.items():
        for method, _ in row.requests():
            for who in WHO:
                mark = row.marks.get(f"{method}:{who}")
                yield pytest.param(
                    key, method, who, id=f"{key}-{method}-{who}", marks=[mark] if mark else []
                )


@pytest.mark.parametrize(("key", "method", "who"), list(_cases()))
def test_access(world, key, method, who):
    """Each role, and an anonymous visitor, gets the row's answer: never a 500, never a 2xx
    where the role has no right."""
    row = MATRIX[key]
    url = key if key.startswith("/") else reverse(key, kwargs=row.kwargs(world))
    client = Client(raise_request_exception=False)
    if who != ANONYMOUS:
        client.force_login(world.people[who])
    if method == "get":
        response = client.get(url, row.query)
    else:
        response = client.generic(
            method.upper(), url, b"", content_type="application/x-www-form-urlencoded"
        )

    expected = dict(row.requests())[method][who]
    assert response.status_code == expected, (
        f"{method.upper()} {url} ({key}) as {who}: expected {expected}, got {response.status_code}"
    )
