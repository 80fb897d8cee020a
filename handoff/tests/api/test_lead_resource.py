import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from funnel.models import Role
from funnel.services import funnel_setup_defaults
from handoff.models import Lead, StageTransition
from handoff.services.leads import lead_create
from handoff.services.setup import handoff_setup_defaults


@pytest.fixture
def funnel_ready(db):
    funnel_setup_defaults()
    handoff_setup_defaults()


@pytest.fixture
def marketer(api_as, funnel_ready):
    return api_as(Role.MARKETING)


def test_a_token_signs_in(funnel_ready):
    from funnel.tests.factories import UserFactory

    UserFactory(username="mapi", role=Role.INTEGRATION, password="s3cret-Pass!")
    client = APIClient()

    token = client.post("/api/v1/auth/token/", {"username": "mapi", "password": "s3cret-Pass!"})
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    assert client.get("/api/v1/leads/").status_code == 200
    assert Token.objects.get(user__username="mapi").key == token.json()["token"]


def test_a_wrong_password_gets_the_one_error_shape(funnel_ready):
    response = APIClient().post("/api/v1/auth/token/", {"username": "x", "password": "y"})

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "code", "errors"}


def test_creating_a_lead_normalises_it_and_opens_its_offer(marketer):
    response = marketer.post(
        "/api/v1/leads/", {"email": " Ann@Acme.COM ", "country": "de", "stage": "mql"}
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["country"], body["stage"]) == ("ann@acme.com", "DE", "mql")
    assert body["current_offer"]["handoff"] == "mql_sal"


def test_bad_rows_name_every_bad_field_and_write_nothing(marketer):
    response = marketer.post("/api/v1/leads/", {"email": "nope", "colour": "blue", "employees": -1})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "colour", "employees"}
    assert not Lead.objects.exists()


def test_a_nul_character_is_refused_not_a_server_error(marketer):
    response = marketer.post(
        "/api/v1/leads/", {"email": "a@b.com", "attributes": {"note": "bad\x00byte"}}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"attributes": ["Contains a NUL character."]}


def test_filters_and_search(marketer):
    lead_create(actor=None, email="ann@acme.com", company="Acme", country="DE", score=40)
    lead_create(actor=None, email="bob@other.io", company="Other", country="US", score=5)

    def emails(query):
        response = marketer.get("/api/v1/leads/", query)
        assert response.status_code == 200
        return sorted(r["email"] for r in response.json()["results"])

    assert emails({"country": "de"}) == ["ann@acme.com"]
    assert emails({"score_min": 10}) == ["ann@acme.com"]
    assert emails({"q": "other"}) == ["bob@other.io"]
    assert emails({"stage": "inquiry", "ordering": "-score"}) == ["ann@acme.com", "bob@other.io"]


def test_a_timestamp_with_an_unusual_offset_is_compared_in_utc(marketer):
    lead_create(actor=None, email="ann@acme.com")

    response = marketer.get("/api/v1/leads/", {"created_after": "2000-01-01T00:00:00+17:40"})

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_page_size_is_capped(marketer):
    response = marketer.get("/api/v1/leads/", {"page_size": 5000})

    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}


def test_patch_changes_contact_fields_only(marketer):
    lead = lead_create(actor=None, email="ann@acme.com")

    ok = marketer.patch(f"/api/v1/leads/{lead.pk}/", {"company": "Acme GmbH"})
    refused = marketer.patch(f"/api/v1/leads/{lead.pk}/", {"stage": "won", "score": 99})

    assert ok.status_code == 200 and ok.json()["company"] == "Acme GmbH"
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"stage", "score"}
    lead.refresh_from_db()
    assert (lead.stage.key, lead.score) == ("inquiry", 0)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"to": "qi"}, 200, None),
        ({"to": "won"}, 409, "move_not_allowed"),
        ({"to": "nowhere"}, 400, "stage_unknown"),
        ({"to": "disqualified"}, 400, "reason_required"),
        ({"to": "disqualified", "reason": "made_up"}, 400, "invalid"),
        ({}, 400, "invalid"),
    ],
)
def test_transition_answers(marketer, body, status, code):
    lead = lead_create(actor=None, email="ann@acme.com")

    response = marketer.post(f"/api/v1/leads/{lead.pk}/transition/", body, format="json")

    assert response.status_code == status, response.json()
    if code:
        assert response.json()["code"] == code
        assert StageTransition.objects.filter(lead=lead).count() == 1


def test_a_lead_you_may_not_see_is_not_found(api_as, funnel_ready):
    lead = lead_create(actor=None, email="ann@acme.com")
    rep = api_as(Role.SALES)

    assert rep.get(f"/api/v1/leads/{lead.pk}/").status_code == 404
    assert rep.post(f"/api/v1/leads/{lead.pk}/transition/", {"to": "qi"}).status_code == 404
    assert rep.get("/api/v1/leads/").json()["count"] == 0


def test_too_many_requests_are_throttled_per_token(funnel_ready, monkeypatch):
    from django.core.cache import cache

    from funnel.tests.factories import UserFactory
    from leadflow.api.throttling import TokenRateThrottle

    cache.clear()
    # DRF reads the rates into the class when it is imported: set them there.
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/min"})
    user = UserFactory(role=Role.INTEGRATION)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    statuses = [client.get("/api/v1/leads/").status_code for _ in range(4)]
    refused = client.get("/api/v1/leads/")

    assert statuses == [200, 200, 200, 429]
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["code"] == "throttled"
