"""`make run`: prepare the database, then run web, Celery worker and beat until Ctrl-C.

Each process is a normal, separately scalable program; this only starts them together.
"""

import os
import signal
import socket
import subprocess
import sys
import time

PYTHON = sys.executable
BIN = os.path.dirname(PYTHON)
# After the web server answers, how long the worker and beat get to print their banners before
# the logins are printed below them; and how long to wait for the web server at most.
BANNERS_SECONDS = 4.0
WEB_START_SECONDS = 60.0


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], check=True)


def prepare() -> str:
    """Migrate, install the funnel, the demo logins and data; returns the logins' table."""
    manage("migrate", "--noinput", "-v", "1")
    # FUNNEL_LANGUAGE=ru make run: the default funnel's names in Russian (first install only).
    manage("setup_funnel", "--language", os.environ.get("FUNNEL_LANGUAGE", "en"))
    # Logins first, so the demo data gives them leads; their passwords are printed last.
    subprocess.run([PYTHON, "manage.py", "demo_users"], check=True, stdout=subprocess.DEVNULL)
    manage("seed_demo", "--if-empty")  # the first run only: never adds to real data
    manage("collectstatic", "--noinput", "-v", "0")
    logins = subprocess.run(
        [PYTHON, "manage.py", "demo_users"], check=True, stdout=subprocess.PIPE, text=True
    )
    return logins.stdout


def _answers(port: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=0.2):
            return True
    except OSError:
        return False


def serve(port: str, logins: str = "") -> int:
    commands = {
        "web": [os.path.join(BIN, "gunicorn"), "leadflow.wsgi", "--bind", f"127.0.0.1:{port}",
                "--workers", "2", "--access-logfile", "-"],
        "worker": [os.path.join(BIN, "celery"), "-A", "leadflow", "worker", "-l", "info",
                   "--concurrency", "2"],
        "beat": [os.path.join(BIN, "celery"), "-A", "leadflow", "beat", "-l", "info"],
    }  # fmt: skip
    procs = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
    started = time.monotonic()
    up_at = None  # when the web server first answered
    announced = False
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}; stopping the others.")
                exit_code, stopping = proc.returncode or 1, True
        if not announced and not stopping:
            now = time.monotonic()
            if up_at is None and (_answers(port) or now - started > WEB_START_SECONDS):
                up_at = now
            # Last, below the servers' start-up banners, so the logins do not scroll away.
            if up_at is not None and now - up_at >= BANNERS_SECONDS:
                _announce(port, logins)
                announced = True
        time.sleep(0.5)
    for proc in procs.values():
        if proc.poll() is None:
            proc.terminate()
    for proc in procs.values():
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return exit_code


def _announce(port: str, logins: str) -> None:
    print(
        f"\nLeadflow is serving on http://127.0.0.1:{port}/ (Ctrl-C stops web, worker and beat)\n"
        f"{logins}",
        flush=True,
    )


if __name__ == "__main__":
    logins = prepare()
    sys.exit(serve(os.environ.get("PORT", "8000"), logins))
