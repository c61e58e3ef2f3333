"""Shared fixtures: a fresh database per test, on SQLite and on PostgreSQL.

PostgreSQL runs where ``TIPLINE_TEST_DATABASE_URL`` is set or a server answers on
127.0.0.1:5432 (trust auth, database ``test``).  Each test gets its own schema,
dropped afterwards, so tests never share rows.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from storage.crypto import KdfParams
from storage.db import make_engine
from storage.schema import upgrade
from tipline.runtime import Runtime
from tipline.settings import Settings, load_settings

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pytest_configure(config: pytest.Config) -> None:
    from tests.factories import SHARED

    if not (SHARED / "data" / "samples").is_dir():
        raise pytest.UsageError(
            f"the tests read real provider payloads from {SHARED}/data/samples: put the shared/ folder "
            "beside this clone, or set TIPLINE_SHARED_DIR to it"
        )

# Cheap but real Argon2id: tests lower the cost, they never turn it off.
CHEAP_KDF = KdfParams(time_cost=1, memory_cost_kib=1024, parallelism=1)


def _postgres_url() -> str | None:
    url = os.environ.get("TIPLINE_TEST_DATABASE_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return DEFAULT_PG
    except OSError:
        return None


PG_URL = _postgres_url()
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'tipline.sqlite3'}"
        return
    assert PG_URL is not None
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    base = load_settings(
        {
            "TIPLINE_DATA_DIR": str(tmp_path),
            "TIPLINE_SECRETS_DIR": str(tmp_path / "secrets"),
            "TIPLINE_DATABASE_URL": database_url,
            # An English-only line: these tests count replies and read English words.  The
            # default (every complete locale) and language choice have tests of their own
            # (tests/bot/test_language_wiring.py, tests/tipline/test_locales.py).
            "TIPLINE_LOCALES": "en",
            # Scripted reporters type faster than people: the abuse limits have tests of their
            # own (tests/triage/test_limits.py), which turn them on.
            "TIPLINE_RATE_PER_MINUTE": "0",
        }
    )
    # The test-only switch goes with the cheap costs: 'tipline serve' and 'worker' refuse it.
    return base.with_(test_only_cheap_kdf=True, code_kdf=CHEAP_KDF, staff_kdf=CHEAP_KDF)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def rt(settings: Settings) -> Iterator["Runtime"]:
    """An initialised tip line (what 'tipline init' leaves) on this test's database."""
    from tests.factories import initialised_runtime

    runtime = initialised_runtime(settings)
    yield runtime
    runtime.db.dispose()
