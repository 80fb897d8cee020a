"""Leads and their history, the event outbox, webhooks and the idempotency store left the funnel
app for handoff, integrations and leadflow. The tables and their rows stay; the funnel only
forgets the models, and their content types (so their permissions and admin history) follow
them to their new apps."""

import pgtrigger.migrations
from django.db import migrations

MOVED = {
    "lead": "handoff",
    "stagetransition": "handoff",
    "event": "integrations",
    "webhooksubscription": "integrations",
    "webhookdelivery": "integrations",
    "webhookattempt": "integrations",
    "idempotencyrecord": "leadflow",
}


def content_types_follow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app in MOVED.items():
        if not ContentType.objects.filter(app_label=app, model=model).exists():
            ContentType.objects.filter(app_label="funnel", model=model).update(app_label=app)


def content_types_return(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app in MOVED.items():
        if not ContentType.objects.filter(app_label="funnel", model=model).exists():
            ContentType.objects.filter(app_label=app, model=model).update(app_label="funnel")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("funnel", "0004_integrations"),
        ("handoff", "0004_lead_and_history"),
        ("integrations", "0001_initial"),
        ("leadflow", "0001_initial"),
    ]

    operations = [
        # The append-only trigger under its old name; handoff 0004 made it under the new one.
        pgtrigger.migrations.RemoveTrigger(
            model_name="stagetransition",
            name="stage_transition_append_only",
        ),
        migrations.RunPython(content_types_follow, content_types_return),
        # State only: the tables now belong to the models in their new apps.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='WebhookAttempt',
                ),
                migrations.DeleteModel(
                    name='WebhookDelivery',
                ),
                migrations.DeleteModel(
                    name='WebhookSubscription',
                ),
                migrations.DeleteModel(
                    name='Event',
                ),
                migrations.DeleteModel(
                    name='IdempotencyRecord',
                ),
                migrations.DeleteModel(
                    name='StageTransition',
                ),
                migrations.DeleteModel(
                    name='Lead',
                ),
            ],
        ),
    ]
