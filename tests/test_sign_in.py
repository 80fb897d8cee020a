"""Sign-ins are slowed, then locked out (django-axes); API tokens can be revoked and expire."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from funnel.models import Role
from funnel.tests.factories import UserFactory
from leadflow.api.authentication import TOKEN_EXPIRED

PASSWORD = "a long passphrase 1"
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def rep(db):
    user = UserFactory(username="signin_rep", role=Role.SALES)
    user.set_password(PASSWORD)
    user.save()
    return user


def _token(client, username, password, ip="10.0.0.1"):
    return client.post(
        TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )


def test_the_token_endpoint_locks_out_after_five_failures_even_the_right_password(rep, settings):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _token(client, rep.username, "wrong").status_code == 400

    fifth = _token(client, rep.username, "wrong")
    right = _token(client, rep.username, PASSWORD)

    assert fifth.status_code == 429 and fifth.json()["code"] == "locked_out"
    assert right.status_code == 429 and right.json()["code"] == "locked_out"
    assert int(right["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert not Token.objects.filter(user=rep).exists()
    # Another address is not locked out (per user and address), nor another user.
    assert _token(client, rep.username, PASSWORD, ip="10.0.0.2").status_code == 200


def test_a_success_before_the_limit_starts_the_count_again(rep, settings):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _token(client, rep.username, "wrong")
    assert _token(client, rep.username, PASSWORD).status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _token(client, rep.username, "wrong")
    assert _token(client, rep.username, PASSWORD).status_code == 200


def test_the_token_endpoint_slows_a_burst_from_one_address(rep, settings):
    client = APIClient()
    answers = [_token(client, f"nobody{n}", "wrong").status_code for n in range(12)]

    assert answers[:10] == [400] * 10
    assert answers[10:] == [429, 429]
    throttled = _token(client, rep.username, PASSWORD)
    assert throttled.json()["code"] == "throttled" and int(throttled["Retry-After"]) > 0


def test_the_login_page_locks_out_with_the_apps_page(rep, settings):
    client = Client()
    login = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page = client.post(login, {"username": rep.username, "password": "wrong"})
    assert page.status_code == 429

    page = client.post(login, {"username": rep.username, "password": PASSWORD})

    assert page.status_code == 429 and int(page["Retry-After"]) == 15 * 60
    assert "Signing in is paused" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_login_page_slows_a_burst_from_one_address(rep):
    client = Client()
    codes = [
        client.post(reverse("login"), {"username": f"x{n}", "password": "y"}).status_code
        for n in range(11)
    ]
    assert codes == [200] * 10 + [429]


def test_the_login_page_still_signs_in(rep):
    client = Client()
    page = client.post(reverse("login"), {"username": rep.username, "password": PASSWORD})
    assert page.status_code == 302 and client.session["_auth_user_id"] == str(rep.pk)


def test_a_revoked_token_stops_working_at_once(rep):
    key = _token(APIClient(), rep.username, PASSWORD).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/stages/").status_code == 200

    assert client.delete(TOKEN_URL).status_code == 204

    answer = client.get("/api/v1/stages/")
    assert answer.status_code == 401 and not Token.objects.filter(key=key).exists()
    fresh = _token(APIClient(), rep.username, PASSWORD).json()["token"]
    assert fresh != key


def test_revoking_needs_a_signed_in_caller(db):
    assert APIClient().delete(TOKEN_URL).status_code == 401


def test_tokens_may_expire(rep, settings, time_machine):
    settings.API_TOKEN_TTL_HOURS = 24
    time_machine.move_to("2026-12-01 09:00Z", tick=False)
    first = _token(APIClient(), rep.username, PASSWORD).json()
    assert first["expires_at"].startswith("2026-12-02T09:00")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first['token']}")
    assert client.get("/api/v1/stages/").status_code == 200

    time_machine.shift(timedelta(hours=24))
    expired = client.get("/api/v1/stages/")

    assert expired.status_code == 401
    assert expired.json() == {"detail": TOKEN_EXPIRED, "code": "token_expired"}
    second = _token(APIClient(), rep.username, PASSWORD).json()
    assert second["token"] != first["token"]
    assert second["expires_at"].startswith("2026-12-03T09:00")


def test_tokens_do_not_expire_by_default(rep, time_machine):
    time_machine.move_to("2026-12-01 09:00Z", tick=False)
    answer = _token(APIClient(), rep.username, PASSWORD).json()
    time_machine.shift(timedelta(days=400))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {answer['token']}")
    assert answer["expires_at"] is None and client.get("/api/v1/stages/").status_code == 200
