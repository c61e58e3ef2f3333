"""Per-period address keys: crypto-shredding of reporters' addresses.

Addresses (phone numbers, chat ids) are sealed under the key of the period (UTC days) in
which the reply was queued: the ``Purpose.ADDRESS`` day-epoch key of the ratchet
(``storage.epochs``; a period is a UTC day, and so is an ADDRESS epoch), which lives in the
secrets folder and dies with the follow-up window.  Deleted rows survive in free pages, WAL
files and backups; a destroyed key makes every copy of those addresses unreadable.

Before the ratchet, each period key was a random key stored wrapped in ``PeriodKey.wrapped``
and "destroyed" by an UPDATE, whose old value old WAL frames and dead rows still held (issue 9,
finding 1).  Those keys are no longer made; addresses sealed under them still open during the
transition (an outbox item queued before the upgrade is delivered), and ``destroy_expired``
still NULLs them when their time comes.  The rest of this module is that transition.

Period names: ``"YYYY-MM-DD"`` for one-day periods (the default), or
``"YYYY-MM-DD+N"`` for N-day periods starting on that UTC day.

``open_address`` returns None for an erased address (key destroyed or past its
``destroy_after``); it raises ``AddressTamperedError`` for an altered blob.

Period keys are cached per process, per engine and per server secret.  Only keys
seen in a transaction that committed enter the cache (a key created in a
transaction that rolled back never does), and a cached key is never served at or
after its ``destroy_after``.
"""

from __future__ import annotations

import os
import threading
import weakref
from datetime import datetime, timedelta, timezone
from hashlib import sha256

from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.crypto import Box, DecryptionFailed, ServerSecrets
from storage.epochs import EpochDestroyed, EpochKeys, peek
from storage.tables import PeriodKey
from storage.purposes import Purpose

_period_t = PeriodKey.__table__  # type: ignore[attr-defined]
_DAY = 86400.0
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class PeriodError(Exception):
    """Base class for the errors of this module."""


class BadPeriodError(PeriodError):
    """Not a period name."""


class PeriodKeyTamperedError(PeriodError):
    """A stored period key does not unwrap under the server secret."""


class AddressTamperedError(PeriodError):
    """A sealed address does not open under its period key: altered or moved."""


# --- periods -------------------------------------------------------------------------


def period_of(now: float, *, days: int = 1) -> str:
    """The period containing ``now``: UTC days, grouped by ``days`` since the epoch."""
    if days < 1:
        raise BadPeriodError("a period is at least one day")
    day = int(now // _DAY)
    start = (day // days) * days
    name = (_EPOCH + timedelta(days=start)).strftime("%Y-%m-%d")
    return name if days == 1 else f"{name}+{days}"


def period_bounds(period: str) -> tuple[float, float]:
    """(start, end) of a period in epoch seconds."""
    date, _, length = period.partition("+")
    try:
        start = datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp()
        days = int(length) if length else 1
    except ValueError:
        raise BadPeriodError(f"not a period: {period!r}") from None
    if days < 1:
        raise BadPeriodError(f"not a period: {period!r}")
    return start, start + days * _DAY


# --- the cache -----------------------------------------------------------------------

_CacheKey = tuple[bytes, str]  # (secret fingerprint, period)
_cache: "weakref.WeakKeyDictionary[Engine, dict[_CacheKey, tuple[Box, float]]]" = weakref.WeakKeyDictionary()
_hooked: "weakref.WeakSet[Engine]" = weakref.WeakSet()
_lock = threading.Lock()
_PENDING = "tipline_period_keys_pending"


def _fingerprint(secrets: ServerSecrets) -> bytes:
    return sha256(b"period-cache:" + secrets.subkey(Purpose.PERIOD_WRAP)).digest()[:16]


def _hook(engine: Engine) -> None:
    with _lock:
        if engine in _hooked:
            return

        @event.listens_for(engine, "commit")
        def _on_commit(conn: Connection) -> None:
            pending = conn.info.pop(_PENDING, None)
            if pending:
                with _lock:
                    _cache.setdefault(conn.engine, {}).update(pending)

        @event.listens_for(engine, "rollback")
        def _on_rollback(conn: Connection) -> None:
            conn.info.pop(_PENDING, None)

        _hooked.add(engine)


def _remember(conn: Connection, key: _CacheKey, box: Box, destroy_after: float) -> None:
    _hook(conn.engine)
    conn.info.setdefault(_PENDING, {})[key] = (box, destroy_after)


def _cached(conn: Connection, key: _CacheKey, now: float) -> Box | None:
    with _lock:
        entry = _cache.get(conn.engine, {}).get(key)
    if entry is None:
        return None
    box, destroy_after = entry
    if now >= destroy_after:
        return None
    return box


# --- keys ----------------------------------------------------------------------------


def _aad(period: str) -> bytes:
    return f"tipline-period-key:{period}".encode()


def _insert_ignore(conn: Connection, values: dict[str, object]) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(_period_t).values(**values).on_conflict_do_nothing(index_elements=["period"]))
    else:
        conn.execute(sqlite.insert(_period_t).values(**values).on_conflict_do_nothing(index_elements=["period"]))


def address_box(
    conn: Connection, *, secrets: ServerSecrets, period: str, now: float, followup_days: int, create: bool = True
) -> Box | None:
    """A Box under ``period``'s key; None if that key is destroyed or expired, or
    missing and ``create`` is False (or the period would already be expired)."""
    cache_key = (_fingerprint(secrets), period)
    box = _cached(conn, cache_key, now)
    if box is not None:
        return box
    row = conn.execute(select(_period_t).where(_period_t.c.period == period)).first()
    if row is None:
        _, end = period_bounds(period)
        destroy_after = end + followup_days * _DAY
        if not create or now >= destroy_after:
            return None
        wrapped = secrets.box(Purpose.PERIOD_WRAP).encrypt(os.urandom(32), aad=_aad(period))
        _insert_ignore(conn, {"period": period, "wrapped": wrapped, "created_at": now, "destroy_after": destroy_after})
        row = conn.execute(select(_period_t).where(_period_t.c.period == period)).first()
        if row is None:  # pragma: no cover - the insert above or a concurrent one made it
            return None
    if row.wrapped is None or now >= row.destroy_after:
        return None
    try:
        key = secrets.box(Purpose.PERIOD_WRAP).decrypt(row.wrapped, aad=_aad(period))
    except DecryptionFailed:
        raise PeriodKeyTamperedError(
            f"period key {period} does not unwrap (altered, or another server secret)"
        ) from None
    box = Box(key)
    _remember(conn, cache_key, box, float(row.destroy_after))
    return box


def _address_aad(period: str) -> bytes:
    return f"tipline-address:{period}".encode()


def seal_address(epochs: EpochKeys, *, address: str, channel: str) -> tuple[bytes, str]:
    """Seal an address under the current period's (ADDRESS epoch's) key; returns (ciphertext, period)."""
    period = period_of(epochs.clock())
    plaintext = channel.encode() + b"\x00" + address.encode()
    return epochs.box(Purpose.ADDRESS).encrypt(plaintext, aad=_address_aad(period)), period


def _open_epoch_blob(epochs: EpochKeys, blob: bytes, period: str) -> bytes | None:
    try:
        return epochs.box(Purpose.ADDRESS).decrypt(blob, aad=_address_aad(period))
    except EpochDestroyed:
        return None
    except DecryptionFailed:
        raise AddressTamperedError(f"a sealed address of period {period} does not open") from None


def open_address(
    conn: Connection,
    *,
    secrets: ServerSecrets,
    epochs: EpochKeys,
    blob: bytes,
    period: str,
    now: float | None = None,
    channel: str | None = None,
) -> str | None:
    """The address sealed in ``blob``, or None when it is erased (its epoch or period key
    destroyed, or with ``now`` given, past its ``destroy_after``).  With ``channel`` given, an
    address sealed for another channel raises ``AddressTamperedError``."""
    if peek(blob) is not None:
        return _address_of(_open_epoch_blob(epochs, blob, period), channel)
    if now is None:
        row = conn.execute(select(_period_t.c.wrapped).where(_period_t.c.period == period)).first()
        if row is None or row.wrapped is None:
            return None
        try:
            box: Box | None = Box(secrets.box(Purpose.PERIOD_WRAP).decrypt(row.wrapped, aad=_aad(period)))
        except DecryptionFailed:
            raise PeriodKeyTamperedError(f"period key {period} does not unwrap") from None
    else:
        box = address_box(conn, secrets=secrets, period=period, now=now, followup_days=0, create=False)
    if box is None:
        return None
    try:
        plaintext = box.decrypt(blob, aad=_address_aad(period))
    except DecryptionFailed:
        raise AddressTamperedError(f"a sealed address of period {period} does not open") from None
    return _address_of(plaintext, channel)


def _address_of(plaintext: bytes | None, channel: str | None) -> str | None:
    if plaintext is None:
        return None
    sealed_channel, _, address = plaintext.partition(b"\x00")
    if channel is not None and sealed_channel.decode() != channel:
        raise AddressTamperedError("a sealed address was moved between channels")
    return address.decode()


def destroy_expired(conn: Connection, *, now: float) -> int:
    """NULL every old wrapped period key past its ``destroy_after``; returns how many.

    The ADDRESS epoch keys die with the ratchet's ``advance`` (the worker, each round)."""
    result = conn.execute(
        _period_t.update()
        .where(_period_t.c.destroy_after <= now)
        .where(_period_t.c.wrapped.is_not(None))
        .values(wrapped=None, destroyed_at=now)
    )
    with _lock:
        per_engine = _cache.get(conn.engine)
        if per_engine:
            for key in [k for k, (_, after) in per_engine.items() if after <= now]:
                del per_engine[key]
    pending = conn.info.get(_PENDING)
    if pending:
        for key in [k for k, (_, after) in pending.items() if after <= now]:
            del pending[key]
    return int(result.rowcount or 0)
