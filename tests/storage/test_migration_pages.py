"""Revision 0012 (fewer pages per message): an existing line upgrades with its rows, and back."""

from __future__ import annotations

from typing import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from storage import inbound, reply_windows, schema, throttle
from storage.db import make_engine
from storage.epochs import EpochKeys

BEFORE = "0011_alert_failure"
REPLIES = [{"text": "Thank you. Are you safe right now?"}]


def _migrate(engine: Engine, target: str, *, down: bool = False) -> None:
    cfg = schema._config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, target)
        conn.commit()


@pytest.fixture
def old_engine(database_url: str) -> Iterator[Engine]:
    """A line still at the revision before 0012."""
    eng = make_engine(database_url)
    _migrate(eng, BEFORE)
    yield eng
    eng.dispose()


def _fill(engine: Engine, epochs: EpochKeys, now: float) -> list[bytes]:
    keys = inbound.inbound_keys(epochs, "sms", "SM1")
    with engine.begin() as conn:
        sealed = inbound.seal_response(epochs, "sms", "SM1", keys[0], REPLIES)
        assert inbound.claim(conn, keys=keys, now=now, response=sealed)
        throttle.count(conn, key=b"r" * 32, window_seconds=60, now=now)
        reply_windows.open(conn, conversation_id="c" * 32, now=now)
    return keys


def _still_there(engine: Engine, epochs: EpochKeys, keys: list[bytes], now: float, hits: int) -> None:
    with engine.begin() as conn:
        assert not inbound.claim(conn, keys=keys, now=now)  # a redelivery is still recognised
        assert inbound.stored_response(conn, keys=epochs, channel="sms", provider_id="SM1",
                                       lookups=keys) == (keys[0], REPLIES)
        assert throttle.count(conn, key=b"r" * 32, window_seconds=60, now=now) == hits  # counting goes on
        assert reply_windows.is_open(conn, conversation_id="c" * 32, now=now)


def _sqlite_tables(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL"))
        return {str(name): str(sql) for name, sql in rows}


def test_an_existing_line_upgrades_with_its_rows_and_downgrades_again(
    old_engine: Engine, epochs: EpochKeys, backend: str,
) -> None:
    now = epochs.clock()
    keys = _fill(old_engine, epochs, now)
    schema.upgrade(old_engine)
    assert schema.is_current(old_engine)
    _still_there(old_engine, epochs, keys, now + 1, hits=2)
    indexes = {ix["name"] for ix in inspect(old_engine).get_indexes("inbound")}
    if backend == "sqlite":
        tables = _sqlite_tables(old_engine)
        assert "WITHOUT ROWID" in tables["throttle"] and "WITHOUT ROWID" in tables["channel_window"]
        assert "WITHOUT ROWID" not in tables["inbound"] and "ix_inbound_received_at" not in indexes
        assert "ix_channel_window_last_inbound_at" in tables
    else:  # PostgreSQL keeps its schema
        assert "ix_inbound_received_at" in indexes
    _migrate(old_engine, BEFORE, down=True)
    _still_there(old_engine, epochs, keys, now + 2, hits=3)
    if backend == "sqlite":
        assert not any("WITHOUT ROWID" in sql for sql in _sqlite_tables(old_engine).values())
    assert "ix_inbound_received_at" in {ix["name"] for ix in inspect(old_engine).get_indexes("inbound")}


def test_the_purge_never_forgets_an_id_received_after_the_cutoff(engine: Engine, epochs: EpochKeys) -> None:
    """Two writers racing can insert a later-stamped id first; SQLite purges in arrival order."""
    now = epochs.clock()
    late, early = inbound.inbound_keys(epochs, "sms", "SMlate"), inbound.inbound_keys(epochs, "sms", "SMearly")
    with engine.begin() as conn:
        inbound.claim(conn, keys=inbound.inbound_keys(epochs, "sms", "SMold"), now=now - 100)
        inbound.claim(conn, keys=late, now=now + 100)
        inbound.claim(conn, keys=early, now=now)
    with engine.begin() as conn:
        assert inbound.purge(conn, before=now + 50) >= 1  # the old one at least
    with engine.begin() as conn:
        assert not inbound.claim(conn, keys=late, now=now + 200)  # received after the cutoff: kept
        assert inbound.claim(conn, keys=inbound.inbound_keys(epochs, "sms", "SMold"), now=now + 200)
    with engine.begin() as conn:
        assert inbound.purge(conn, before=now + 150) >= 1  # the late one (and the early one, if still kept)
    with engine.begin() as conn:
        assert inbound.claim(conn, keys=late, now=now + 300) and inbound.claim(conn, keys=early, now=now + 300)
