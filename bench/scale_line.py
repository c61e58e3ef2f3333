"""The lines bench/scale.py runs: one install per database, its processes, its fake providers.

An install is initialised once (``bench.common.fresh_runtime``) on SQLite or in a PostgreSQL
schema of its own; then any number of ``tipline serve`` / ``tipline worker`` / ``tipline oncall
run`` processes share it, as a deployment's would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, text

from bench import mixes, servers, telegram_path
from bench.baselines import PG_TABLE
from bench.common import fresh_runtime
from bench.theft_postgres import own_schema
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from triage import oncall_rota

ONCALL_PHONE = "+15550009001"  # the one person on the rota: the fake Twilio records the alerts to it
TIPLINE = str(Path(sys.executable).parent / "tipline")


@dataclass
class Line:
    """One initialised install: its settings as environment, and its durable baseline's settings."""

    name: str  # "SQLite" or "PostgreSQL"
    env: dict[str, str]
    baseline: str  # the durable app in bench/baselines.py for this database
    baseline_env: dict[str, str] = field(default_factory=dict)


def line_env(database_url: str | None, telegram: FakeTelegram, twilio: FakeTwilio) -> dict[str, str]:
    """A fresh install (both channels on, the fake providers, one SMS person on the rota)."""
    env = {"TIPLINE_PUBLIC_BASE_URL": mixes.BASE_URL, "TIPLINE_TWILIO_ACCOUNT_SID": mixes.TW_SID,
           "TIPLINE_TWILIO_AUTH_TOKEN": mixes.TW_TOKEN, "TIPLINE_TWILIO_FROM": mixes.LINE,
           "TIPLINE_TWILIO_API_BASE": twilio.url, "TIPLINE_TELEGRAM_BOT_TOKEN": telegram_path.TG_TOKEN,
           "TIPLINE_TELEGRAM_WEBHOOK_SECRET": telegram_path.TG_SECRET, "TIPLINE_TELEGRAM_API_BASE": telegram.base_url,
           # Synthetic reporters type far faster than people: the limits' checks run (and are
           # measured) but never trip, or the figures would be of held messages.
           "TIPLINE_RATE_PER_MINUTE": "1000000", "TIPLINE_FLOOD_PER_SECOND": "1000000"}
    if database_url:
        env["TIPLINE_DATABASE_URL"] = database_url
    rt = fresh_runtime(database_url, **env)
    with rt.db.begin() as conn:
        oncall_rota.add_member(conn, name="desk", channel="sms", address=ONCALL_PHONE, locale="en",
                               locales=("en",), now=time.time())
    env["TIPLINE_DATA_DIR"] = str(rt.settings.data_dir)
    env["TIPLINE_SECRETS_DIR"] = str(rt.settings.secrets_dir)
    rt.db.dispose()
    return env


def libpq_uri(sqlalchemy_url: str) -> str:
    """postgresql+psycopg://... (SQLAlchemy's form) as libpq takes it."""
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def lines(postgres: str | None, telegram: FakeTelegram, twilio: FakeTwilio) -> Iterator[list[Line]]:
    """The SQLite line, and the PostgreSQL one (in schemas dropped afterwards) when ``postgres`` is set."""
    with ExitStack() as stack:
        out = [Line("SQLite", line_env(None, telegram, twilio), "durable")]
        if postgres:
            url = stack.enter_context(own_schema(postgres))
            base_url = stack.enter_context(own_schema(postgres))
            engine = create_engine(base_url)
            with engine.begin() as conn:
                conn.execute(text(PG_TABLE))
            engine.dispose()
            out.append(Line("PostgreSQL", line_env(url, telegram, twilio), "durable_pg",
                            {"BENCH_DURABLE_PG": libpq_uri(base_url)}))
        yield out


class Processes:
    """``tipline worker`` and ``tipline oncall run`` processes of a line, stopped together."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = {**os.environ, **env}
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([TIPLINE, *args], cwd=servers.ROOT, env=self.env, stdout=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def workers(self, n: int, interval: float) -> list[subprocess.Popen[bytes]]:
        return [self.start("worker", "--interval", f"{interval:g}") for _ in range(n)]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)  # a stopped process would not see the SIGTERM
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wait_idle(procs: list[subprocess.Popen[bytes]], *, timeout: float = 120.0) -> None:
    """Until every process has started and sits idle (no CPU used for half a second)."""
    deadline = time.monotonic() + timeout
    time.sleep(1.0)
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"a tipline process exited with status {proc.returncode}")
        before = [cpu_ticks(p.pid) for p in procs]
        time.sleep(0.5)
        if [cpu_ticks(p.pid) for p in procs] == before:
            return
    raise RuntimeError(f"the tipline processes were still busy after {timeout:.0f} s")
