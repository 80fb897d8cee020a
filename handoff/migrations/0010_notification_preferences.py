# A delivery for each kind of notification (email each, daily digest, in the app only) replaces
# RepProfile.email_digest: who took the digest now takes it for every kind.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DELIVERIES = [('email', 'Email each'), ('digest', 'Daily digest'), ('none', 'In the app only')]
# Notification.Kind as of this migration, frozen here.
KINDS = [
    ('assigned', 'New lead assigned'),
    ('queued', 'New lead in your queue'),
    ('sla_warning', 'SLA warning'),
    ('sla_breach', 'SLA breached'),
    ('escalation', 'Escalation'),
    ('rerouted', 'Lead re-routed'),
    ('recycled', 'Lead recycled'),
]


def digest_to_preferences(apps, schema_editor):
    RepProfile = apps.get_model('handoff', 'RepProfile')
    Notification = apps.get_model('handoff', 'Notification')
    NotificationPreference = apps.get_model('handoff', 'NotificationPreference')
    users = list(RepProfile.objects.filter(email_digest=True).values_list('user_id', flat=True))
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(user_id=user_id, kind=kind, delivery='digest')
            for user_id in users
            for kind, _ in KINDS
        ],
        batch_size=1000,
    )
    # What they have waiting goes in their next digest, as it would have.
    Notification.objects.filter(user_id__in=users, emailed_at__isnull=True).update(
        delivery='digest'
    )


def preferences_to_digest(apps, schema_editor):
    # Back to one switch: a digest for any kind means the digest (for users with a profile).
    RepProfile = apps.get_model('handoff', 'RepProfile')
    NotificationPreference = apps.get_model('handoff', 'NotificationPreference')
    users = NotificationPreference.objects.filter(delivery='digest').values('user_id')
    RepProfile.objects.filter(user_id__in=users).update(email_digest=True)


class Migration(migrations.Migration):

    dependencies = [
        ('handoff', '0009_offer_running_and_assigned'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # Every change to a table comes before the rows written in it: PostgreSQL refuses to alter
    # (or index) a table with deferred foreign-key checks pending in the same transaction.
    operations = [
        migrations.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=KINDS, max_length=20)),
                ('delivery', models.CharField(choices=DELIVERIES, max_length=10)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notification_preferences', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.AddConstraint(
            model_name='notificationpreference',
            constraint=models.UniqueConstraint(fields=('user', 'kind'), name='notificationpreference_once'),
        ),
        migrations.AddField(
            model_name='notification',
            name='delivery',
            field=models.CharField(choices=DELIVERIES, default='email', max_length=10),
        ),
        migrations.RemoveIndex(
            model_name='notification',
            name='notification_unsent',
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(fields=['user', '-created_at'], name='notification_user_newest'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(condition=models.Q(('delivery', 'digest'), ('emailed_at__isnull', True)), fields=['user', 'created_at'], name='notification_digest_waiting'),
        ),
        migrations.RunPython(digest_to_preferences, preferences_to_digest),
        migrations.RemoveField(
            model_name='repprofile',
            name='email_digest',
        ),
    ]
