"""Events are numbered after commit, in commit order, and writers wait for no one to write them."""

import threading

import pytest
from django.db import connection, transaction

from integrations.events import event_record, events_sequence
from integrations.models import Event, EventType
from integrations.webhooks import event_list


def _record(n: int) -> Event:
    return event_record(type=EventType.LEAD_CREATED, data={"lead": {"id": n}})


def _held_open(n: int) -> tuple[threading.Thread, threading.Event]:
    """A change in another connection that records event `n`, then waits to commit until the
    returned Event is set."""
    recorded, commit = threading.Event(), threading.Event()

    def change() -> None:
        try:
            with transaction.atomic():
                _record(n)
                recorded.set()
                commit.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=change)
    thread.start()
    assert recorded.wait(timeout=10)
    return thread, commit


@pytest.fixture
def no_dispatch(monkeypatch):
    from integrations.tasks import webhook_dispatch_task

    monkeypatch.setattr(webhook_dispatch_task, "delay", lambda *args, **kwargs: None)


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_late_comes_after_what_readers_already_saw(no_dispatch):
    # Given a change that records its event first, then takes its time to commit
    slow, commit = _held_open(1)
    # When a later change commits first and a reader reads the feed
    with transaction.atomic():
        quick = _record(2)
    seen = [event.position for event in event_list()]
    commit.set()
    slow.join(timeout=30)

    # Then the late event is numbered after everything the reader saw: nothing appears behind
    assert seen == [Event.objects.get(pk=quick.pk).position]
    later = [event.position for event in event_list(after=seen[-1])]
    late = Event.objects.get(data__lead__id=1)
    assert late.pk < quick.pk
    assert later == [late.position]
    assert late.position > seen[-1]


@pytest.mark.django_db(transaction=True)
def test_recording_an_event_waits_for_no_other_open_transaction(no_dispatch):
    # Given a long transaction (a bulk import) that has recorded events and not committed
    long_one, commit = _held_open(1)

    # When another change records its event and commits meanwhile
    def accept() -> None:
        try:
            with transaction.atomic():
                _record(2)
        finally:
            connection.close()

    quick = threading.Thread(target=accept)
    quick.start()
    quick.join(timeout=5)

    # Then it did not wait for the long one
    finished = not quick.is_alive()
    commit.set()
    long_one.join(timeout=30)
    quick.join(timeout=30)
    assert finished


def test_numbering_keeps_ids_while_one_writer_at_a_time(db, no_dispatch):
    events = [_record(n) for n in range(3)]

    assert events_sequence() == 3
    assert [e.position for e in Event.objects.order_by("id")] == [e.pk for e in events]
    assert events_sequence() == 0
