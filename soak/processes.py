"""The soak's own servers, on loopback ports of their own, so that it may kill and restart them:
a PostgreSQL cluster in the work directory, a Redis, gunicorn, a Celery worker and beat."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def wait_port(port: int, *, up: bool = True, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            if up:
                return
        except OSError:
            if not up:
                return
        time.sleep(0.1)
    raise RuntimeError(f"port {port} did not come {'up' if up else 'down'} within {limit:.0f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throwaway cluster (trust on loopback: it listens on 127.0.0.1 only, for this run)."""

    def __init__(self, work: Path, port: int):
        self.data, self.port, self.log = work / "pg", port, work / "postgres.log"
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            raise RuntimeError("PostgreSQL's server is not installed (/usr/lib/postgresql)")
        self.bin = Path(found[-1]).parent
        # initdb refuses root: run the server as the postgres user when we are root.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *cmd: str) -> None:
        subprocess.run([*self.as_user, *cmd], check=True, stdout=subprocess.DEVNULL)

    def create(self) -> None:
        self.data.mkdir(parents=True)
        for path in (self.data, self.log.parent):
            if self.as_user:
                shutil.chown(path, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--no-sync")  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='' "
            "-c max_connections=200 -c shared_buffers=256MB -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c jit=off"
        )
        (self.data / "soak.opts").write_text(options)
        self.start()

    def start(self) -> None:
        options = (self.data / "soak.opts").read_text()
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-o", options, "-w", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"


class Redis:
    """No persistence: a restart loses every message it held, as a crash would."""

    def __init__(self, work: Path, port: int):
        self.port, self.log, self.proc = port, work / "redis.log", None

    def start(self) -> None:
        cmd = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
               "--appendonly", "no"]  # fmt: skip
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        wait_port(self.port)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        wait_port(self.port, up=False)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class App:
    """gunicorn, a Celery worker and beat, each in its own process group so a SIGKILL takes
    the whole of it (a worker's pool children included)."""

    def __init__(self, work: Path, env: dict, port: int):
        self.work, self.env, self.port = work, env, port
        self.procs: dict[str, subprocess.Popen] = {}
        self.starts: dict[str, callable] = {}
        # What a process supervisor (systemd's Restart=always) does in production: a worker or
        # beat that exits by itself is started again, and counted, so the summary can say so.
        self.exits: Counter[str] = Counter()
        self.lock = threading.RLock()
        threading.Thread(target=self._supervise, daemon=True).start()

    def _supervise(self) -> None:
        while True:
            time.sleep(1)
            with self.lock:
                for name, proc in list(self.procs.items()):
                    if name != "web" and proc.poll() is not None:
                        self.exits[f"{name} exited {proc.returncode}"] += 1
                        self.starts[name]()

    def manage(self, *args: str) -> str:
        done = subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def _start(self, name: str, cmd: list[str]) -> None:
        with self.lock, open(self.work / f"{name}.log", "a") as log:
            self.procs[name] = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def start_web(self) -> None:
        self._start("web", [str(BIN / "gunicorn"), "leadflow.wsgi", "-c", "gunicorn.conf.py",
                            "--bind", f"127.0.0.1:{self.port}"])  # fmt: skip
        wait_port(self.port, limit=90)

    def start_worker(self) -> None:
        self.starts["worker"] = self.start_worker
        self._start("worker", [str(BIN / "celery"), "-A", "leadflow", "worker", "-l", "warning",
                               "-c", "2", "-n", f"soak{time.monotonic_ns()}@%h"])  # fmt: skip

    def start_beat(self) -> None:
        self.starts["beat"] = self.start_beat
        self._start("beat", [str(BIN / "celery"), "-A", "leadflow", "beat", "-l", "warning",
                             "-s", str(self.work / "beat-schedule")])  # fmt: skip

    def kill(self, name: str) -> None:
        with self.lock:
            proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.kill(name)
