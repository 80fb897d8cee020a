"""gunicorn's settings for Leadflow (read from the working directory: `make run`, the bench, and
`gunicorn leadflow.wsgi` in production alike). Environment variables override each."""

import os

# Threads, so that a rep's accept is not queued behind a worker busy with a bulk import: a
# thread is free while others wait on the database, and short requests interleave with long.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
# Longer than the slowest legitimate request (a 1,000-row bulk import under load), shorter
# than a client's patience.
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))
graceful_timeout = 10


def post_worker_init(worker):
    """A thread that waited on the database gets the interpreter back after 1 ms rather than
    Python's default 5 ms: an accept's thirty queries then do not each wait out a bulk import's
    time slice in the same process."""
    import sys

    sys.setswitchinterval(0.001)
