import pytest
from rest_framework.test import APIClient

from funnel.models import Role
from funnel.tests.factories import UserFactory


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
