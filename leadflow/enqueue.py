"""Enqueueing after commit, when the broker may be down.

Every task of the project is a `Task` (leadflow.celery sets it as the app's task class), so
`some_task.delay_on_commit(...)` sends the message once the transaction commits, as Celery's
own does, with one difference: a broker that cannot take the message (Redis restarted or
away) is logged, not raised. The change has committed by then, so an exception would turn it
into a 500 that a client retries into a refusal. The database is the source of truth and the
broker only a doorbell: the periodic safety nets (handoff.tasks, integrations.tasks) find
from the database what was never sent and do it.
"""

from __future__ import annotations

import functools
import logging

import redis.exceptions
from celery.contrib.django.task import DjangoTask
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# What publishing raises when the broker is away: kombu re-raises connection errors as its
# OperationalError; redis errors are listed in case one comes through as itself.
BROKER_ERRORS = (OperationalError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class Task(DjangoTask):
    def delay_on_commit(self, *args, **kwargs) -> None:
        """`delay(*args, **kwargs)` after commit; a broker failure is logged, not raised."""
        transaction.on_commit(functools.partial(self._after_commit, self.delay, *args, **kwargs))

    def apply_async_on_commit(self, *args, **kwargs) -> None:
        """`apply_async(*args, **kwargs)` after commit; a broker failure is logged, not raised."""
        transaction.on_commit(
            functools.partial(self._after_commit, self.apply_async, *args, **kwargs)
        )

    def _after_commit(self, send, *args, **kwargs) -> None:
        try:
            send(*args, **kwargs)
        except BROKER_ERRORS:
            logger.exception(
                "Could not enqueue %s %r after commit: left to its safety net", self.name, args
            )
