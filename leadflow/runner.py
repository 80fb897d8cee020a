"""`make run`: prepare the database, then run web, Celery worker and beat until Ctrl-C.

Each process is a normal, separately scalable program; this only starts them together.
"""

import os
import signal
import subprocess
import sys
import time

PYTHON = sys.executable
BIN = os.path.dirname(PYTHON)


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], check=True)


def prepare() -> None:
    manage("migrate", "--noinput", "-v", "1")
    manage("setup_funnel")
    # Logins first, so the demo data gives them leads; their passwords are printed last.
    subprocess.run([PYTHON, "manage.py", "demo_users"], check=True, stdout=subprocess.DEVNULL)
    manage("seed_demo", "--if-empty")  # the first run only: never adds to real data
    manage("collectstatic", "--noinput", "-v", "0")
    manage("demo_users")


def serve(port: str) -> int:
    commands = {
        "web": [os.path.join(BIN, "gunicorn"), "leadflow.wsgi", "--bind", f"127.0.0.1:{port}",
                "--workers", "2", "--access-logfile", "-"],
        "worker": [os.path.join(BIN, "celery"), "-A", "leadflow", "worker", "-l", "info",
                   "--concurrency", "2"],
        "beat": [os.path.join(BIN, "celery"), "-A", "leadflow", "beat", "-l", "info"],
    }  # fmt: skip
    procs = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
    print(
        f"\nLeadflow is serving on http://127.0.0.1:{port}/ (Ctrl-C stops web, worker and beat)\n"
    )
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


if __name__ == "__main__":
    prepare()
    sys.exit(serve(os.environ.get("PORT", "8000")))
