"""A lead search: every word in the email, a name or the company, any case; on PostgreSQL from
the trigram index on the text it matches."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from handoff.models import Lead
from handoff.selectors import lead_search
from handoff.tests.factories import LeadFactory

pytestmark = pytest.mark.usefixtures("handoffs")


def _found(value: str) -> set[int]:
    return set(lead_search(Lead.objects.all(), value).values_list("pk", flat=True))


@pytest.mark.both_databases
def test_every_word_is_found_in_some_field_in_any_case():
    ada = LeadFactory(
        email="ada@analytical.example", first_name="Ada", last_name="Lovelace", company="Engines"
    )
    grace = LeadFactory(
        email="grace@navy.example", first_name="Grace", last_name="Hopper", company="Navy Labs"
    )
    assert _found("LOVELACE") == {ada.pk}
    assert _found("ada engines") == {ada.pk}  # one word in a name, one in the company
    assert _found("navy") == {grace.pk}  # the email and the company
    assert _found("labs hopper") == {grace.pk}
    assert _found("ada hopper") == set()  # every word, not any
    # A word never spans two fields: the last name ends where the company begins.
    assert _found("lovelaceengines") == set()
    assert _found("hoppernavy") == set()
    assert _found("   ") == _found("") == {ada.pk, grace.pk}
    assert _found("50%") == set() and _found("a_a") == set()  # LIKE's wildcards are letters


def test_postgresql_answers_a_search_from_the_trigram_index():
    """The index's expression (migration 0017) is the one the search writes: with scans of the
    whole table made unattractive, the plan reads the index, or the two have drifted apart."""
    assert connection.vendor == "postgresql"
    LeadFactory(email="ada@analytical.example", company="Engines")
    search = lead_search(Lead.objects.all(), "analytical")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = search.explain()
    assert "lead_search_trgm" in plan
