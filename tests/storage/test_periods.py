from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from storage.db import make_engine
from storage.schema import upgrade
from sqlalchemy import Connection, Engine, select

from storage import periods
from storage.crypto import ServerSecrets
from storage.epochs import EpochKeys, peek
from storage.purposes import Purpose
from tests.storage.conftest import Clock
from storage.periods import AddressTamperedError, period_bounds, period_of
from storage.tables import PeriodKey
from tests.factories import table_of

DAY = 86400.0
NOW = 1_795_000_000.0  # 2026-11-18 (UTC)
_pk = table_of(PeriodKey)


def opened(conn: Connection, secrets: ServerSecrets, epochs: EpochKeys, **kw: Any) -> str | None:
    return periods.open_address(conn, secrets=secrets, epochs=epochs, **kw)


def legacy_seal(conn: Connection, *, secrets: ServerSecrets, address: str, channel: str, now: float,
                followup_days: int) -> tuple[bytes, str]:
    """An address as the line sealed it before the ratchet: under a period key wrapped in the database."""
    period = period_of(now)
    box = periods.address_box(conn, secrets=secrets, period=period, now=now, followup_days=followup_days)
    assert box is not None
    return box.encrypt(channel.encode() + b"\x00" + address.encode(), aad=f"tipline-address:{period}".encode()), period


def test_period_names() -> None:
    assert period_of(0.0) == "1970-01-01"
    assert period_of(NOW) == "2026-11-18"
    assert period_of(NOW - (NOW % DAY)) == "2026-11-18"
    assert period_of(NOW - (NOW % DAY) - 0.001) == "2026-11-17"
    start, end = period_bounds("2026-11-18")
    assert start <= NOW < end and end - start == DAY
    three = period_of(NOW, days=3)
    assert three.endswith("+3")
    s3, e3 = period_bounds(three)
    assert s3 <= NOW < e3 and e3 - s3 == 3 * DAY
    with pytest.raises(periods.BadPeriodError):
        period_bounds("yesterday")


def test_a_period_key_from_before_the_ratchet_still_opens_until_destroyed(
    engine: Engine, server_secrets: ServerSecrets, epochs: EpochKeys
) -> None:
    with engine.begin() as conn:
        blob, period = legacy_seal(conn, secrets=server_secrets, address="+15550001111", channel="sms",
                                            now=NOW, followup_days=7)
        blob2, period2 = legacy_seal(conn, secrets=server_secrets, address="12345", channel="telegram",
                                              now=NOW + 60, followup_days=7)
        assert period == period2 == "2026-11-18"
        assert b"15550001111" not in blob
    _, end = period_bounds(period)
    destroy_after = end + 7 * DAY
    with engine.begin() as conn:
        assert opened(conn, server_secrets, epochs, blob=blob, period=period) == "+15550001111"
        assert opened(conn, server_secrets, epochs, blob=blob, period=period, now=NOW,
                                    channel="sms") == "+15550001111"
        assert opened(conn, server_secrets, epochs, blob=blob2, period=period, now=NOW) == "12345"
        with pytest.raises(AddressTamperedError):
            opened(conn, server_secrets, epochs, blob=blob2, period=period, now=NOW, channel="sms")
        with pytest.raises(AddressTamperedError):
            opened(conn, server_secrets, epochs, blob=blob[:-1] + bytes([blob[-1] ^ 1]), period=period,
                                 now=NOW)
        # the cached key is not served at or after destroy_after, even before destruction
        assert opened(conn, server_secrets, epochs, blob=blob, period=period, now=destroy_after) is None
        assert periods.address_box(conn, secrets=server_secrets, period=period, now=destroy_after,
                                   followup_days=7) is None
        assert periods.destroy_expired(conn, now=destroy_after - 1) == 0
    with engine.begin() as conn:
        assert periods.destroy_expired(conn, now=destroy_after) == 1
        assert periods.destroy_expired(conn, now=destroy_after) == 0
        row = conn.execute(select(_pk).where(_pk.c.period == period)).one()
        assert row.wrapped is None and row.destroyed_at == destroy_after
    with engine.begin() as conn:
        assert opened(conn, server_secrets, epochs, blob=blob, period=period) is None
        assert opened(conn, server_secrets, epochs, blob=blob, period=period, now=NOW) is None
        assert periods.address_box(conn, secrets=server_secrets, period=period, now=NOW, followup_days=7) is None
        # a period that never had a key, asked for without create
        assert periods.address_box(conn, secrets=server_secrets, period="2026-11-19", now=NOW, followup_days=7,
                                   create=False) is None


def test_other_server_secret_reads_nothing(engine: Engine, server_secrets: ServerSecrets, epochs: EpochKeys) -> None:
    with engine.begin() as conn:
        blob, period = legacy_seal(conn, secrets=server_secrets, address="+15550001111", channel="sms",
                                            now=NOW, followup_days=7)
    with engine.begin() as conn:
        with pytest.raises(periods.PeriodKeyTamperedError):
            opened(conn, ServerSecrets(b"\x02" * 32), epochs, blob=blob, period=period, now=NOW)


def test_rolled_back_key_is_never_cached(engine: Engine, server_secrets: ServerSecrets, epochs: EpochKeys) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with engine.begin() as conn:
            legacy_seal(conn, secrets=server_secrets, address="a", channel="sms", now=NOW, followup_days=7)
            raise Boom
    with engine.begin() as conn:
        assert conn.execute(select(_pk)).first() is None
        blob, period = legacy_seal(conn, secrets=server_secrets, address="b", channel="sms", now=NOW,
                                            followup_days=7)
    with engine.begin() as conn:  # the DB path (no cache) opens what the hot path sealed
        assert opened(conn, server_secrets, epochs, blob=blob, period=period) == "b"
        blob3, _ = legacy_seal(conn, secrets=server_secrets, address="c", channel="sms", now=NOW + 1,
                                        followup_days=7)
        assert opened(conn, server_secrets, epochs, blob=blob3, period=period) == "c"


def test_destroyed_key_leaves_no_bytes_in_sqlite_file(
    tmp_path: Path, server_secrets: ServerSecrets, epochs: EpochKeys
) -> None:
    # A file-level check, so it runs on SQLite only (PostgreSQL files are not ours to read).
    engine = make_engine(f"sqlite:///{tmp_path / 'db' / 'erasure.sqlite3'}")
    upgrade(engine)
    with engine.begin() as conn:
        blob, period = legacy_seal(conn, secrets=server_secrets, address="+15557654321", channel="sms",
                                            now=NOW, followup_days=7)
        wrapped = conn.execute(select(_pk.c.wrapped).where(_pk.c.period == period)).scalar_one()
    path = Path(engine.url.database or "")

    def checkpoint() -> None:
        raw = sqlite3.connect(str(path), isolation_level=None)
        try:
            busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            assert busy == 0
        finally:
            raw.close()

    def file_bytes() -> bytes:
        data = b""
        for suffix in ("", "-wal", "-journal"):
            p = Path(str(path) + suffix)
            if p.exists():
                data += p.read_bytes()
        return data

    checkpoint()
    assert wrapped in file_bytes()  # the planted key really is on disk before
    assert blob not in file_bytes()  # (the address blob itself was never stored here)
    _, end = period_bounds(period)
    with engine.begin() as conn:
        assert periods.destroy_expired(conn, now=end + 7 * DAY) == 1
    checkpoint()
    data = file_bytes()
    assert wrapped not in data
    assert wrapped[13:29] not in data  # not even a fragment of the ciphertext
    with engine.begin() as conn:
        assert opened(conn, server_secrets, epochs, blob=blob, period=period) is None


def test_cache_serves_committed_keys(engine: Engine, server_secrets: ServerSecrets) -> None:
    with engine.begin() as conn:
        legacy_seal(conn, secrets=server_secrets, address="a", channel="sms", now=NOW, followup_days=7)
        assert periods._cached(conn, (periods._fingerprint(server_secrets), period_of(NOW)), NOW) is None
    with engine.begin() as conn:
        box = periods._cached(conn, (periods._fingerprint(server_secrets), period_of(NOW)), NOW)
        assert box is not None
        assert periods.address_box(conn, secrets=server_secrets, period=period_of(NOW), now=NOW, followup_days=7) is box
        # another server secret never gets this engine's cached key
        assert periods._cached(conn, (periods._fingerprint(ServerSecrets(b"\x03" * 32)), period_of(NOW)), NOW) is None


def test_a_new_address_is_sealed_under_the_day_epoch_key_and_dies_with_it(
    engine: Engine, server_secrets: ServerSecrets, epochs: EpochKeys, epoch_clock: Clock,
) -> None:
    blob, period = periods.seal_address(epochs, address="+15550001111", channel="sms")
    sealed = peek(blob)
    assert period == period_of(epoch_clock.now) and sealed is not None and sealed.purpose is Purpose.ADDRESS
    with engine.begin() as conn:
        assert conn.execute(select(_pk)).first() is None  # no key stored in the database any more
        assert opened(conn, server_secrets, epochs, blob=blob, period=period,
                                    now=epoch_clock.now, channel="sms") == "+15550001111"
        with pytest.raises(AddressTamperedError):
            opened(conn, server_secrets, epochs, blob=blob, period="2026-11-17")
        with pytest.raises(AddressTamperedError):
            opened(conn, server_secrets, epochs, blob=blob, period=period, channel="whatsapp")
    epoch_clock.now += 8 * DAY  # the follow-up window (7 days) and the day itself: still open
    with engine.begin() as conn:
        assert opened(conn, server_secrets, epochs, blob=blob, period=period) == "+15550001111"
    epoch_clock.now += DAY
    epochs.advance()
    with engine.begin() as conn:
        assert opened(conn, server_secrets, epochs, blob=blob, period=period) is None
