"""The servers under test (gunicorn, 2 workers x 4 threads, the tip line's gthread worker class) and
what /proc says of them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tipline.gunicorn_worker import WORKER_CLASS

ROOT = Path(__file__).resolve().parent.parent
WORKERS, THREADS = 2, 4
# The options tipline/server.py gives gunicorn, for the baselines too: its worker class is gthread
# taking a new connection only with a thread free (tipline/gunicorn_worker.py); with gunicorn's stock
# gthread, one worker took 5 to 8 of wrk's 8 connections, which cost the tip line 7-18% and sometimes
# half, and the durable baseline nothing (bench/RESULTS.md, issue 11).
WORKER_CLASS_NAME = "gthread taking connections only with a thread free: tipline/gunicorn_worker.py"
GUNICORN_ARGS = ["--workers", str(WORKERS), "--threads", str(THREADS), "--worker-class", WORKER_CLASS,
                 "--timeout", "30", "--log-level", "warning"]


def gunicorn_args(workers: int = WORKERS) -> list[str]:
    """GUNICORN_ARGS with another number of worker processes (bench/scale.py)."""
    return ["--workers", str(workers), *GUNICORN_ARGS[2:]]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    url: str
    ready_seconds: float  # process start to the first 200 on /healthz

    def workers(self) -> list[int]:
        """The gunicorn worker pids: the children of the master (this process)."""
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                # Fields after the ")" that ends the command name: state, ppid, ...
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    children.append(int(entry.name))
        return sorted(children)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the workers so far."""
        total = 0
        for pid in self.workers():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / CLOCK_TICKS

    def memory_mib(self, key: str, source: str) -> list[float]:
        """Each worker's ``key`` line of /proc/<pid>/<source>: VmRSS of status, Pss of smaps_rollup."""
        out = []
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
                if line.startswith(key + ":"):
                    out.append(int(line.split()[1]) / 1024)
        return out

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(name: str, cmd: list[str], port: int, env: dict[str, str]) -> Server:
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    with httpx.Client(timeout=2) as client:
        while time.monotonic() - started < 60:
            if proc.poll() is not None:
                raise RuntimeError(f"the {name} server exited with status {proc.returncode}")
            try:
                if client.get(url + "/healthz").status_code == 200:
                    return Server(name, proc, url, time.monotonic() - started)
            except httpx.HTTPError:
                pass
            time.sleep(0.005)
    proc.kill()
    raise RuntimeError(f"the {name} server did not answer /healthz within 60 s")


def start_tipline(env: dict[str, str], *, jobs: bool = False, workers: int = WORKERS) -> Server:
    """``tipline serve`` itself; ``--no-jobs`` unless asked (the sender runs in 'tipline worker')."""
    port = free_port()
    cmd = [str(Path(sys.executable).parent / "tipline"), "serve", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--threads", str(THREADS), *([] if jobs else ["--no-jobs"])]
    return _start("tipline" if not jobs else "tipline (jobs)", cmd, port, env)


def start_baseline(name: str, scratch: Path, *, workers: int = WORKERS, env: dict[str, str] | None = None) -> Server:
    """``durable``, ``durable_pg`` or ``bare`` from bench/baselines.py under gunicorn."""
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", *gunicorn_args(workers), "--bind", f"127.0.0.1:{port}",
           f"bench.baselines:{name}_app()"]
    return _start(name, cmd, port, {"BENCH_DURABLE_DB": str(scratch / "durable.sqlite3"), **(env or {})})
