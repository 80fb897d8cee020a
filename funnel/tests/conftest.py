import pytest

from funnel.services import funnel_setup_defaults


@pytest.fixture
def funnel(db):
    """The default funnel, as setup_funnel installs it."""
    funnel_setup_defaults()
