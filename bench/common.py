"""Shared set-up for the benchmarks: a fresh, initialised tip line in a temporary folder."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from pathlib import Path

from storage.crypto import KdfParams
from tipline.install import add_first_admin, prepare
from tipline.runtime import Runtime
from tipline.settings import Settings, load_settings


def fresh_runtime(database_url: str | None = None, **env: str) -> Runtime:
    """An initialised install (secrets, schema, queues, one admin) in a new temporary folder."""
    root = Path(tempfile.mkdtemp(prefix="tipline-bench-"))
    # The secrets apart from the data folder, as a production install keeps them (a served app
    # refuses secrets inside the data folder outside a demo install).
    values = {"TIPLINE_DATA_DIR": str(root / "data"), "TIPLINE_SECRETS_DIR": str(root / "secrets"), **env}
    if database_url:
        values["TIPLINE_DATABASE_URL"] = database_url
    settings: Settings = load_settings(values)
    # Staff passphrase cost does not touch the measured paths; keep set-up quick.
    settings = settings.with_(staff_kdf=KdfParams(time_cost=1, memory_cost_kib=8192))
    rt, _ = prepare(settings)
    add_first_admin(rt, username="admin", passphrase="bench passphrase 1")
    return rt


def bare_sqlite_rate(path: Path, n: int, payload_bytes: int = 200) -> float:
    """Inserts+commits per second of one row each, same pragmas as the tip line's SQLite."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, k BLOB UNIQUE, v BLOB)")
    blob = os.urandom(payload_bytes)
    start = time.perf_counter()
    for _ in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (k, v) VALUES (?, ?)", (os.urandom(16), blob))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


