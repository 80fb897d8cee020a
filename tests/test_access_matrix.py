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

from funnel.models import HandoffPair, Role, Stage, Team
from funnel.setup import defaults_install
from funnel.tests.factories import UserFactory
from handoff.models import Notification, Offer, RoutingRule, RoutingStrategy, SlaAgreement
from handoff.services.leads import lead_create
from handoff.services.offers import offer_route
from handoff.tests.conftest import sla_enqueues  # noqa: F401  (enqueues recorded, not sent)
from handoff.tests.factories import LeadFactory
from integrations.models import WebhookDelivery
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


MATRIX: dict[str, Row] = {
    # The browser's pages.
    "/": Row("get", answers(302, anonymous=302)),
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
