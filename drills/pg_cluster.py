"""A throwaway PostgreSQL cluster the drills start, stop and start again, with Debian's binaries.

The machine's own PostgreSQL is never touched (other people use it): ``initdb`` makes a new
cluster in a temporary folder, trust authentication on 127.0.0.1 and a free port, and
``pg_ctl stop -m fast`` really stops that server (every connection cut, new ones refused)
until ``start``.  As root the binaries run as the ``postgres`` OS user (``runuser``), since
PostgreSQL refuses to run as root; as anyone else, as that user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

OS_USER = "postgres"


def find_bin() -> Path | None:
    """The newest installed server's bin folder holding initdb and pg_ctl, or None."""
    found = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if (Path(p) / "initdb").is_file()]
    if not found:
        on_path = shutil.which("initdb")
        return Path(on_path).parent if on_path else None
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


def missing_reason() -> str | None:
    """Why a cluster cannot be made here (None when it can)."""
    if find_bin() is None:
        return "initdb is not installed (Debian: apt-get install postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to become the postgres user"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    def __init__(self) -> None:
        bin_dir = find_bin()
        if bin_dir is None:
            raise RuntimeError(missing_reason() or "initdb is not installed")
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="tipline-drill-pg-"))
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.port = _free_port()
        self.running = False
        if os.geteuid() == 0:  # the folder belongs to the server's user, as its data must
            shutil.chown(self.root, OS_USER, OS_USER)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        as_user = ["runuser", "-u", OS_USER, "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*as_user, str(self.bin / tool), *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()[-500:]}")

    def create(self) -> "PgCluster":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync",
                  "--encoding=UTF8", "--locale=C")
        return self.start()

    def start(self) -> "PgCluster":
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start")
        self.running = True
        return self

    def stop(self) -> None:
        """``pg_ctl stop -m fast``: every session ends now, the server is down until ``start``."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
        self.running = False

    def destroy(self) -> None:
        if self.running:
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except RuntimeError:
                pass
            self.running = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PgCluster":
        return self.create()

    def __exit__(self, *exc: object) -> None:
        self.destroy()
