import factory

from funnel.models import Role, Team, User


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
