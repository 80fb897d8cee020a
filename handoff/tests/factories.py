import factory
from django.utils import timezone

from funnel.models import HandoffPair, Stage
from funnel.tests.factories import UserFactory
from handoff.models import Lead, RepProfile, RoutingRule, RoutingStrategy


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    """A rule of the MQL → SAL handoff: by default, round-robin over its receiving team."""

    class Meta:
        model = RoutingRule

    handoff = factory.LazyFunction(lambda: HandoffPair.objects.get(key="mql_sal"))
    position = 10
    name = factory.Sequence(lambda n: f"rule-{n}")
    strategy = RoutingStrategy.WEIGHTED
    target_team = factory.LazyAttribute(
        lambda o: None if o.strategy == RoutingStrategy.USER else o.handoff.receiving_team
    )


class RepProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RepProfile
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)
    weight = 1


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
