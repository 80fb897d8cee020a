"""handoff 0010: the one email_digest switch becomes a delivery for each kind."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from handoff.models import Notification as CurrentNotification

BEFORE = [("handoff", "0009_offer_running_and_assigned")]
AFTER = [("handoff", "0010_notification_preferences")]


@pytest.fixture
def migrator(transactional_db):
    """Migrate to a node and get its models; back to the latest schema afterwards."""

    def migrate(nodes):
        executor = MigrationExecutor(connection)
        executor.migrate(nodes)
        executor.loader.build_graph()
        return executor.loader.project_state(nodes).apps

    yield migrate
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_digest_users_take_the_digest_for_every_kind_and_keep_what_waits(migrator):
    # Given a digest user with a notification waiting, and one emailed each
    old = migrator(BEFORE)
    User = old.get_model("funnel", "User")
    RepProfile = old.get_model("handoff", "RepProfile")
    Notification = old.get_model("handoff", "Notification")
    digest = User.objects.create(username="dora", email="dora@example.com")
    single = User.objects.create(username="sam", email="sam@example.com")
    RepProfile.objects.create(user=digest, email_digest=True)
    RepProfile.objects.create(user=single, email_digest=False)
    for user in (digest, single):
        Notification.objects.create(user=user, kind="assigned", subject="Waiting", body="...")

    # When the migration runs
    new = migrator(AFTER)

    # Then the digest user has the digest for every kind, the other no row (email each), and
    # what waited goes in the next digest
    prefs = new.get_model("handoff", "NotificationPreference").objects
    assert dict(prefs.filter(user_id=digest.pk).values_list("kind", "delivery")) == dict.fromkeys(
        CurrentNotification.Kind.values, "digest"
    )
    assert not prefs.filter(user_id=single.pk).exists()
    waiting = new.get_model("handoff", "Notification").objects
    assert dict(waiting.values_list("user_id", "delivery")) == {
        digest.pk: "digest",
        single.pk: "email",
    }
    field_names = {f.name for f in new.get_model("handoff", "RepProfile")._meta.get_fields()}
    assert "email_digest" not in field_names


def test_it_reverses_to_the_one_switch(migrator):
    migrator(BEFORE)
    new = migrator(AFTER)
    User = new.get_model("funnel", "User")
    user = User.objects.create(username="rita")
    new.get_model("handoff", "RepProfile").objects.create(user=user)
    new.get_model("handoff", "NotificationPreference").objects.create(
        user=user, kind="queued", delivery="digest"
    )

    old = migrator(BEFORE)

    assert old.get_model("handoff", "RepProfile").objects.get(user_id=user.pk).email_digest
