"""Connection pools sized per process, and one operator line when PostgreSQL refuses a connection
(a role at its CONNECTION LIMIT, a closed port, an unknown role): at serve, console and worker
start-up and at /readyz, never a traceback (issue 13)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from storage.db import make_engine, ping
from storage.db_errors import operator_line, refusal
from storage.health import readiness_problem
from tests.conftest import PG_URL
from tipline.runtime import Runtime
from tipline.settings import Settings, SettingsError, load_settings

TIPLINE = str(Path(sys.executable).with_name("tipline"))
CLOSED = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
needs_pg = pytest.mark.skipif(PG_URL is None, reason="needs the PostgreSQL on 127.0.0.1:5432")


@pytest.fixture
def limited_url() -> Iterator[str]:
    """A login role allowed one connection (CONNECTION LIMIT 1), dropped afterwards."""
    assert PG_URL is not None
    role = "tl_limit_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 1'))
    yield make_url(PG_URL).set(username=role).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"), {"r": role})
        conn.execute(text(f'DROP OWNED BY "{role}"'))  # the grants of a test that let it use a schema
        conn.execute(text(f'DROP ROLE "{role}"'))
    admin.dispose()


@needs_pg
def test_a_role_at_its_connection_limit_is_named_with_the_fix(limited_url: str, rt: Runtime) -> None:
    first = make_engine(limited_url, pool_size=1, max_overflow=0)
    second = make_engine(limited_url, pool_size=1, max_overflow=0)
    try:
        with first.connect():  # the role's one connection, held
            with pytest.raises(OperationalError) as refused:
                ping(second)
            line = operator_line(refused.value)
            assert line is not None and line.startswith(
                "PostgreSQL refused the connection: too many connections for the database role.")
            assert "TIPLINE_DB_POOL_SIZE" in line and "CONNECTION LIMIT" in line
            assert "tl_limit_" not in line  # the driver's words (role, host) are never repeated
            reason = readiness_problem(second, rt.secrets)
            assert reason == "database unreachable: too many connections for the database role"
        first.dispose()  # its pool closes the connection: the role's slot is free again
        ping(second)  # and the refused engine recovers without a restart
    finally:
        first.dispose()
        second.dispose()


@needs_pg
def test_a_process_never_holds_more_than_its_pool() -> None:
    assert PG_URL is not None
    engine = make_engine(PG_URL, pool_size=1, max_overflow=1, pool_timeout=0.5)
    try:
        with engine.connect(), engine.connect():
            with pytest.raises(PoolTimeout) as exhausted:
                engine.connect()
        found = refusal(exhausted.value)
        assert found is not None and "TIPLINE_DB_POOL_SIZE" in found.fix
    finally:
        engine.dispose()


def test_an_unknown_role_and_a_closed_port(tmp_path: Path) -> None:
    closed = make_engine(CLOSED)
    with pytest.raises(OperationalError) as down:
        ping(closed)
    assert operator_line(down.value) == (
        "PostgreSQL did not answer. Fix: nothing answers at TIPLINE_DATABASE_URL's host and port: start "
        "PostgreSQL, or fix the host/port")
    closed.dispose()
    if PG_URL is not None:
        stranger = make_engine(make_url(PG_URL).set(username="no_such_role_x").render_as_string(hide_password=False))
        with pytest.raises(OperationalError) as auth:
            ping(stranger)
        found = refusal(auth.value)
        assert found is not None and found.reason == "authentication failed"
        stranger.dispose()


def test_pool_sizes_follow_the_threads_unless_set(settings: Settings) -> None:
    assert settings.pool_for(8) == (10, 2)  # serve's default threads: one each, two for its own loops, two spare
    assert settings.pool_for(1) == (3, 2)
    assert settings.with_(db_pool_size=4, db_max_overflow=0).pool_for(8) == (4, 0)
    env = {"TIPLINE_DATA_DIR": str(settings.data_dir), "TIPLINE_LOCALES": "en"}
    assert load_settings({**env, "TIPLINE_DB_POOL_SIZE": "6", "TIPLINE_DB_MAX_OVERFLOW": "0"}).pool_for(8) == (6, 0)
    with pytest.raises(SettingsError, match="TIPLINE_DB_POOL_SIZE must be positive"):
        load_settings({**env, "TIPLINE_DB_POOL_SIZE": "0"})
    if not settings.is_sqlite:
        engine = Runtime(settings, threads=8).db
        assert (engine.pool.size(), engine.pool._max_overflow) == (10, 2)  # type: ignore[attr-defined]
        engine.dispose()


# -- the commands, in real processes ------------------------------------------------------------


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    values = dict(os.environ)
    values.update({"TIPLINE_DATA_DIR": str(tmp_path / "var"), "TIPLINE_SECRETS_DIR": str(tmp_path / "secrets"),
                   "TIPLINE_DATABASE_URL": url, "TIPLINE_LOCALES": "en"})
    for cheap in ("TIPLINE_TEST_ONLY_CHEAP_KDF", "TIPLINE_STAFF_KDF_TIME", "TIPLINE_STAFF_KDF_MEMORY_KIB",
                  "TIPLINE_CODE_KDF_TIME", "TIPLINE_CODE_KDF_MEMORY_KIB", "TIPLINE_INTAKE_PASSPHRASE"):
        values.pop(cheap, None)
    return values


def _initialised(tmp_path: Path, url: str) -> None:
    env = _env(tmp_path, url) | {"TIPLINE_TEST_ONLY_CHEAP_KDF": "1", "TIPLINE_STAFF_KDF_TIME": "1",
                                 "TIPLINE_STAFF_KDF_MEMORY_KIB": "1024",
                                 "TIPLINE_ADMIN_PASSPHRASE": "a-long-passphrase"}
    done = subprocess.run([TIPLINE, "init"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _refused(env: dict[str, str], *command: str) -> str:
    done = subprocess.run([TIPLINE, *command], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr  # one line an operator can act on
    return lines[0]


def test_serve_console_and_worker_say_the_database_does_not_answer(tmp_path: Path, database_url: str) -> None:
    _initialised(tmp_path, database_url)
    env = _env(tmp_path, CLOSED)
    for command in (("serve", "--port", "0"), ("console", "--port", "0"), ("worker", "--once")):
        line = _refused(env, *command)
        assert line == ("Error: PostgreSQL did not answer. Fix: nothing answers at TIPLINE_DATABASE_URL's host "
                        "and port: start PostgreSQL, or fix the host/port"), (command, line)


@needs_pg
def test_a_worker_refused_by_its_role_limit_says_what_to_lower(tmp_path: Path, database_url: str,
                                                               limited_url: str) -> None:
    _initialised(tmp_path, database_url)
    holder = make_engine(limited_url, pool_size=1, max_overflow=0)
    try:
        with holder.connect():
            line = _refused(_env(tmp_path, limited_url), "worker", "--once")
    finally:
        holder.dispose()
    assert line.startswith("Error: PostgreSQL refused the connection: too many connections for the database role.")
    assert "TIPLINE_DB_POOL_SIZE" in line


@needs_pg
def test_a_gunicorn_worker_refused_at_boot_stops_the_server_with_one_line(tmp_path: Path, database_url: str,
                                                                          limited_url: str) -> None:
    """Two workers and a role allowed one connection: the pre-fork check passes, the second worker's
    pool is refused, and the server stops with the operator's line instead of a traceback."""
    if "search_path" not in database_url:
        pytest.skip("runs on the PostgreSQL schema of the postgres backend")
    _initialised(tmp_path, database_url)
    schema = database_url.rsplit("search_path%3D", 1)[1]
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    role = make_url(limited_url).username
    with admin.connect() as conn:
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"'))
    admin.dispose()
    url = make_url(limited_url).set(query=make_url(database_url).query).render_as_string(hide_password=False)
    env = _env(tmp_path, url)
    done = subprocess.run([TIPLINE, "serve", "--port", "0", "--workers", "2", "--threads", "2", "--no-jobs"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    assert "PostgreSQL refused the connection: too many connections for the database role." in done.stderr
