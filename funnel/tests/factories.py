import factory
from django.utils import timezone

from funnel.models import Lead, Role, Stage, Team, User


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"team-{n}")
    name = factory.LazyAttribute(lambda o: o.key.title())


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    role = Role.SALES
    password = factory.django.Password("pw-for-tests")


class LeadFactory(factory.django.DjangoModelFactory):
    """A lead placed straight into a stage, for setting up a test; real code uses lead_create."""

    class Meta:
        model = Lead

    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    first_name = "Dana"
    last_name = "Lee"
    stage = factory.LazyFunction(lambda: Stage.objects.get(key="inquiry"))
    stage_entered_at = factory.LazyFunction(timezone.now)
    team = factory.LazyAttribute(lambda o: o.stage.team)
