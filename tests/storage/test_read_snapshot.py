"""Ending the plain-read snapshot when the server went away: the edges' DBAPIError, not the driver's."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from storage.db import end_read_snapshot, start_plain_reads
from storage.fastsql import driver_execute
from tests.conftest import PG_URL


# Only a server can go away between the read and its end (SQLite is a file in this process).
@pytest.mark.skipif(PG_URL is None, reason="no PostgreSQL answers (TIPLINE_TEST_DATABASE_URL)")
@pytest.mark.parametrize("backend", ["postgres"])
def test_a_server_gone_since_the_read_is_a_dbapi_error(engine: Engine) -> None:
    with engine.connect() as conn:
        start_plain_reads(conn)
        driver_execute(conn, "SELECT 1")  # psycopg begins the read snapshot here
        pid = driver_execute(conn, "SELECT pg_backend_pid()").fetchone()[0]
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            other.commit()
        # The webhooks catch DBAPIError and spool the message; the driver's own error was a 500.
        with pytest.raises(DBAPIError):
            end_read_snapshot(conn)
        conn.invalidate()


def test_after_ending_a_snapshot_the_connection_opens_a_transaction(engine: Engine) -> None:
    with engine.connect() as conn:
        start_plain_reads(conn)
        assert driver_execute(conn, "SELECT 1").fetchone()[0] == 1
        end_read_snapshot(conn)
        with conn.begin():
            assert conn.execute(text("SELECT 2")).scalar_one() == 2
