"""The machine under the benchmark: its load, its description, and the processes the harness
starts (each in its own session, stopped by its id)."""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import subprocess
import threading
import time
from pathlib import Path


class LoadSampler(threading.Thread):
    """The 1-minute load average, every second, for the load during each scenario."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float]] = []
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            load = float(Path("/proc/loadavg").read_text().split()[0])
            self.samples.append((time.monotonic(), load))
            self.stopped.wait(1.0)

    def between(self, start: float, end: float) -> tuple[float, float] | None:
        loads = [load for at, load in self.samples if start - 1 <= at <= end + 1]
        return (min(loads), max(loads)) if loads else None


def meminfo() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    return "?"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def git(tree: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "--no-optional-locks", "-C", str(tree), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip()


def vm_kb(pid: int, field_name: str) -> int | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return None


def children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


# --- processes ----------------------------------------------------------------------------


class Processes:
    """What the harness starts, each in its own session, stopped by its id."""

    def __init__(self):
        self.running: list[subprocess.Popen] = []

    def start(self, cmd: list[str], *, env: dict, cwd: Path, log: Path) -> subprocess.Popen:
        out = log.open("ab")
        proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()
        self.running.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc in self.running:
            self.running.remove(proc)

    def stop_all(self) -> None:
        for proc in list(reversed(self.running)):
            self.stop(proc)

    def measured(self, cmd: list[str], *, env: dict, cwd: Path, log: Path) -> dict:
        """Run to the end; wall time, CPU and peak RSS of the process (not its children)."""
        started = time.perf_counter()
        proc = self.start(cmd, env=env, cwd=cwd, log=log)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        self.running.remove(proc)
        if proc.returncode:
            raise RuntimeError(f"{' '.join(cmd[1:3])} exited {proc.returncode}; see {log}")
        return {
            "seconds": time.perf_counter() - started,
            "cpu": usage.ru_utime + usage.ru_stime,
            "max_rss_kb": usage.ru_maxrss,
        }
