"""Fixtures every app's tests may use: the default funnel, API clients signed in by role."""

import pytest
from rest_framework.test import APIClient

from funnel.models import Role, Team, User
from funnel.services import funnel_setup_defaults
from funnel.setup import defaults_install
from funnel.tests.factories import UserFactory


@pytest.fixture
def funnel(db):
    """The default funnel, as setup_funnel installs it."""
    funnel_setup_defaults()


@pytest.fixture
def api_as(db):
    """`api_as(role, **user_fields)`: an APIClient signed in as a new user of that role; the user
    is `client.user`."""

    def make(role: str = Role.ADMIN, **fields) -> APIClient:
        client = APIClient()
        client.user = UserFactory(role=role, **fields)
        client.force_authenticate(client.user)
        return client

    return make


@pytest.fixture
def directory(db):
    """The default funnel with every app's defaults (SLA agreements...); a sales manager, a rep."""
    defaults_install()
    sales = Team.objects.get(key="sales")
    sales.manager = UserFactory(username="dir_manager", role=Role.MANAGER, team=sales)
    sales.save()
    UserFactory(username="dir_rep", role=Role.SALES, team=sales)
    UserFactory(username="dir_gone", role=Role.SALES, team=sales, is_active=False)


@pytest.fixture
def as_role(directory):
    """`as_role(role)`: an APIClient signed in as a new user of that role ("superuser": a
    superuser whose stored role is sales; None: anonymous)."""

    def make(role: str | None) -> APIClient:
        client = APIClient()
        if role == "superuser":
            client.force_authenticate(
                UserFactory(username="dir_root", role=Role.SALES, is_superuser=True)
            )
        elif role is not None:
            client.force_authenticate(UserFactory(username=f"dir_{role}", role=role))
        return client

    return make


@pytest.fixture
def staff_client(client):
    """Signed in as staff with no permissions: the admin must refuse every page."""
    user = User.objects.create_user(username="intern", password="pw", is_staff=True)
    client.force_login(user)
    return client
