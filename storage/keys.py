"""Queues, staff and their keys (GlobaLeaks-style key management).

- Every queue has X25519 key versions (``QueueKey``); exactly one is current
  (``retired_at`` is NULL), retired ones are kept so old tips still open.
- Every staff member has an X25519 key pair.  The private key is wrapped by a
  ``Box`` whose key is Argon2id(HMAC-SHA256(pepper, passphrase), random salt):
  argon2-cffi does not expose Argon2's own secret (K) input, so the server pepper
  (``secrets.subkey(Purpose.STAFF_PEPPER)``) is mixed in by HMAC-ing the passphrase
  first.  A copy of the database without the server secret cannot even start a
  passphrase guess; the server secret without a passphrase opens nothing.
- A queue private key is never stored unwrapped: each member holding it has a
  ``Grant`` row, the key sealed (``crypto.seal``) to the member's public key with a
  context binding the staff id and the key id.

Errors never carry passphrases or key material.
"""

from __future__ import annotations

import os
import secrets as _secrets
from dataclasses import dataclass, field
from typing import Any, Sequence

from sqlalchemy import Connection, Row, and_, select
from sqlalchemy.exc import IntegrityError

from storage import crypto
from storage.crypto import Box, DecryptionFailed, KdfFailed, KdfParams, ServerSecrets, peppered_argon2id
from storage.tables import Grant, Queue, QueueKey, Staff
from storage.purposes import Purpose

MIN_PASSPHRASE_CHARS = 10

_queue_t = Queue.__table__  # type: ignore[attr-defined]
_key_t = QueueKey.__table__  # type: ignore[attr-defined]
_staff_t = Staff.__table__  # type: ignore[attr-defined]
_grant_t = Grant.__table__  # type: ignore[attr-defined]


class KeyManagementError(Exception):
    """Base class for the errors of this module."""


class WrongPassphraseError(KeyManagementError):
    """The passphrase does not unlock this staff member's key."""


class WeakPassphraseError(KeyManagementError):
    """The new passphrase is empty or too short."""


class UnknownStaffError(KeyManagementError):
    """No staff member with that username or id."""


class UnknownQueueError(KeyManagementError):
    """No queue with that name (or it has no current key)."""


class DuplicateError(KeyManagementError):
    """A queue or staff member with that name already exists."""


class NotGrantedError(KeyManagementError):
    """The staff member holds no key for that queue key version."""


class NotAdminError(KeyManagementError):
    """The action needs an administrator."""


class GrantTamperedError(KeyManagementError):
    """A stored grant does not open with the member's key: it was altered or moved."""


class LastHolderError(KeyManagementError):
    """Revoking would leave a queue key held by nobody: the tips sealed to it could never open."""


# --- value objects -------------------------------------------------------------------


@dataclass(frozen=True)
class QueueKeyPair:
    """A new queue key version.  The private key exists only here until it is granted."""

    queue: str
    key_id: str
    public: bytes
    private: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"QueueKeyPair(queue={self.queue!r}, key_id={self.key_id!r}, private=<hidden>)"


@dataclass(frozen=True)
class StaffInfo:
    id: str
    username: str
    is_admin: bool
    created_at: float


class StaffKeys:
    """An unlocked staff member: their private key and the queue keys it opens."""

    __slots__ = ("staff_id", "username", "is_admin", "public", "_private", "_queue_keys")

    def __init__(self, *, staff_id: str, username: str, is_admin: bool, public: bytes, private: bytes) -> None:
        self.staff_id = staff_id
        self.username = username
        self.is_admin = is_admin
        self.public = public
        self._private = private
        self._queue_keys: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return (
            f"StaffKeys(staff_id={self.staff_id!r}, username={self.username!r}, is_admin={self.is_admin}, "
            "private=<hidden>)"
        )

    @property
    def private(self) -> bytes:
        return self._private

    def queue_private(self, conn: Connection, key_id: str) -> bytes:
        """Open this member's grant for ``key_id`` (NotGrantedError if there is none)."""
        cached = self._queue_keys.get(key_id)
        if cached is not None:
            return cached
        row = conn.execute(
            select(_grant_t.c.wrapped).where(
                and_(_grant_t.c.staff_id == self.staff_id, _grant_t.c.key_id == key_id)
            )
        ).first()
        if row is None:
            raise NotGrantedError(f"{self.username} holds no grant for queue key {key_id}")
        try:
            private = crypto.open_sealed(
                row.wrapped, recipient_private=self._private, context=_grant_context(self.staff_id, key_id)
            )
        except DecryptionFailed:
            raise GrantTamperedError(f"the grant of {self.username} for key {key_id} does not open") from None
        self._queue_keys[key_id] = private
        return private

    def held_key_ids(self, conn: Connection) -> set[str]:
        rows = conn.execute(select(_grant_t.c.key_id).where(_grant_t.c.staff_id == self.staff_id))
        return {r.key_id for r in rows}

    def forget(self) -> None:
        """Drop cached queue keys (Python cannot wipe memory; this drops references)."""
        self._queue_keys.clear()


# --- helpers -------------------------------------------------------------------------


def _new_id(prefix: str) -> str:
    return prefix + _secrets.token_hex(10)


def _grant_context(staff_id: str, key_id: str) -> bytes:
    return f"tipline-grant:{staff_id}:{key_id}".encode()


def _wrap_context(staff_id: str) -> bytes:
    return f"tipline-staff-key:{staff_id}".encode()


def _check_passphrase(passphrase: str) -> None:
    if not isinstance(passphrase, str) or len(passphrase.strip()) < MIN_PASSPHRASE_CHARS:
        raise WeakPassphraseError(f"a passphrase needs at least {MIN_PASSPHRASE_CHARS} characters")


def _format_kdf(kdf: KdfParams, salt: bytes) -> str:
    return f"argon2id-hmac:t={kdf.time_cost},m={kdf.memory_cost_kib},p={kdf.parallelism}:{salt.hex()}"


def _parse_kdf(spec: str) -> tuple[KdfParams, bytes]:
    try:
        name, params, salt_hex = spec.split(":")
        if name != "argon2id-hmac":
            raise ValueError(name)
        values = dict(part.split("=") for part in params.split(","))
        kdf = KdfParams(time_cost=int(values["t"]), memory_cost_kib=int(values["m"]), parallelism=int(values["p"]))
        return kdf, bytes.fromhex(salt_hex)
    except (ValueError, KeyError):
        raise KeyManagementError("unreadable KDF parameters on a staff row") from None


def _passphrase_box(passphrase: str, *, salt: bytes, kdf: KdfParams, secrets: ServerSecrets) -> Box:
    try:
        key = peppered_argon2id(
            passphrase.encode("utf-8"), pepper=secrets.subkey(Purpose.STAFF_PEPPER), salt=salt,
            time_cost=kdf.time_cost, memory_cost_kib=kdf.memory_cost_kib, parallelism=kdf.parallelism,
        )
    except KdfFailed:
        raise KeyManagementError("Argon2id failed: check the staff KDF parameters") from None
    return Box(key)


def _wrap_private(
    private: bytes, *, staff_id: str, passphrase: str, secrets: ServerSecrets, kdf: KdfParams
) -> tuple[bytes, str]:
    salt = os.urandom(16)
    box = _passphrase_box(passphrase, salt=salt, kdf=kdf, secrets=secrets)
    return box.encrypt(private, aad=_wrap_context(staff_id)), _format_kdf(kdf, salt)


def _costlier(kdf: KdfParams, *, than: KdfParams) -> bool:
    return kdf != than and kdf.time_cost >= than.time_cost and kdf.memory_cost_kib >= than.memory_cost_kib


def _staff_row(conn: Connection, username: str, *, for_update: bool = False) -> Row[Any]:
    stmt = select(_staff_t).where(_staff_t.c.username == username)
    if for_update:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise UnknownStaffError(f"no staff member named {username!r}")
    return row


def _require_admin(conn: Connection, admin: StaffKeys) -> None:
    row = conn.execute(select(_staff_t.c.is_admin).where(_staff_t.c.id == admin.staff_id)).first()
    if not admin.is_admin or row is None or not row.is_admin:
        raise NotAdminError(f"{admin.username} is not an administrator")


def _queue_keys(conn: Connection, queue: str) -> list[Row[Any]]:
    if conn.execute(select(_queue_t.c.name).where(_queue_t.c.name == queue)).first() is None:
        raise UnknownQueueError(f"no queue named {queue!r}")
    return list(conn.execute(select(_key_t).where(_key_t.c.queue == queue).order_by(_key_t.c.created_at)))


def _current_key(conn: Connection, queue: str) -> Row[Any]:
    for row in _queue_keys(conn, queue):
        if row.retired_at is None:
            return row
    raise UnknownQueueError(f"queue {queue!r} has no current key")


def _put_grant(
    conn: Connection, *, staff_id: str, public: bytes, key_id: str, private: bytes, by: str | None, now: float
) -> None:
    wrapped = crypto.seal(private, recipient_public=public, key_id=key_id, context=_grant_context(staff_id, key_id))
    where = and_(_grant_t.c.staff_id == staff_id, _grant_t.c.key_id == key_id)
    if conn.execute(select(_grant_t.c.id).where(where)).first() is not None:
        conn.execute(_grant_t.update().where(where).values(wrapped=wrapped, granted_by=by, created_at=now))
    else:
        try:
            conn.execute(
                _grant_t.insert()
                .values(staff_id=staff_id, key_id=key_id, wrapped=wrapped, granted_by=by, created_at=now)
            )
        except IntegrityError:
            raise DuplicateError("a concurrent grant of the same key to the same member; retry") from None


# --- queues --------------------------------------------------------------------------


def create_queue(conn: Connection, *, name: str, title: str, now: float) -> QueueKeyPair:
    """Create a queue and its first key.  The caller must grant the pair at once
    (``grant_new_queue``): the private key is stored nowhere else."""
    if not name or len(name) > 64:
        raise KeyManagementError("a queue name is 1-64 characters")
    if conn.execute(select(_queue_t.c.name).where(_queue_t.c.name == name)).first() is not None:
        raise DuplicateError(f"queue {name!r} already exists")
    private, public = crypto.new_keypair()
    key_id = _new_id("k")
    try:
        conn.execute(_queue_t.insert().values(name=name, title=title, created_at=now))
        conn.execute(_key_t.insert().values(key_id=key_id, queue=name, public_key=public, created_at=now))
    except IntegrityError:
        raise DuplicateError(f"queue {name!r} already exists") from None
    return QueueKeyPair(queue=name, key_id=key_id, public=public, private=private)


def grant_new_queue(
    conn: Connection, *, member_id: str, pair: QueueKeyPair, now: float, granted_by: str | None = None
) -> None:
    """Grant a freshly created queue key (from ``create_queue`` or init) to one member."""
    row = conn.execute(select(_staff_t.c.public_key).where(_staff_t.c.id == member_id)).first()
    if row is None:
        raise UnknownStaffError("no staff member with that id")
    _put_grant(conn, staff_id=member_id, public=row.public_key, key_id=pair.key_id, private=pair.private,
               by=granted_by, now=now)


def current_public_keys(conn: Connection, queues: Sequence[str]) -> list[tuple[str, str, bytes]]:
    """(queue, key_id, public key) of each queue's current key, for sealing."""
    out = []
    for queue in dict.fromkeys(queues):
        row = _current_key(conn, queue)
        out.append((queue, row.key_id, row.public_key))
    return out


def queue_of_key(conn: Connection, key_id: str) -> str | None:
    row = conn.execute(select(_key_t.c.queue).where(_key_t.c.key_id == key_id)).first()
    return None if row is None else str(row.queue)


def list_queues(conn: Connection) -> list[str]:
    return [r.name for r in conn.execute(select(_queue_t.c.name).order_by(_queue_t.c.name))]


# --- staff ---------------------------------------------------------------------------


def add_staff(
    conn: Connection, *, username: str, passphrase: str, is_admin: bool, secrets: ServerSecrets, kdf: KdfParams,
    now: float,
) -> str:
    """Create a staff member with a fresh key pair; returns the staff id."""
    if not username or len(username) > 64:
        raise KeyManagementError("a username is 1-64 characters")
    _check_passphrase(passphrase)
    if conn.execute(select(_staff_t.c.id).where(_staff_t.c.username == username)).first() is not None:
        raise DuplicateError(f"staff member {username!r} already exists")
    staff_id = _new_id("s")
    private, public = crypto.new_keypair()
    wrapped, kdf_spec = _wrap_private(private, staff_id=staff_id, passphrase=passphrase, secrets=secrets, kdf=kdf)
    try:
        conn.execute(
            _staff_t.insert().values(
                id=staff_id, username=username, is_admin=is_admin, public_key=public,
                wrapped_private=wrapped, kdf=kdf_spec, created_at=now,
            )
        )
    except IntegrityError:
        raise DuplicateError(f"staff member {username!r} already exists") from None
    return staff_id


def unlock(conn: Connection, *, username: str, passphrase: str, secrets: ServerSecrets, kdf: KdfParams) -> StaffKeys:
    """Unwrap a member's private key.  When ``kdf`` costs more than the stored cost the key
    is re-wrapped under it (upgrades happen at the next login); never at a lower cost, so a
    lowered setting cannot weaken a stored key."""
    row = _staff_row(conn, username)
    stored_kdf, salt = _parse_kdf(row.kdf)
    box = _passphrase_box(passphrase, salt=salt, kdf=stored_kdf, secrets=secrets)
    try:
        private = box.decrypt(row.wrapped_private, aad=_wrap_context(row.id))
    except DecryptionFailed:
        raise WrongPassphraseError(f"wrong passphrase for {username!r}") from None
    if _costlier(kdf, than=stored_kdf):
        wrapped, spec = _wrap_private(private, staff_id=row.id, passphrase=passphrase, secrets=secrets, kdf=kdf)
        conn.execute(_staff_t.update().where(_staff_t.c.id == row.id).values(wrapped_private=wrapped, kdf=spec))
    return StaffKeys(staff_id=row.id, username=row.username, is_admin=bool(row.is_admin), public=row.public_key,
                     private=private)


def change_passphrase(
    conn: Connection, *, username: str, old: str, new: str, secrets: ServerSecrets, kdf: KdfParams
) -> None:
    """Re-wrap the member's private key under a new passphrase; grants are unchanged."""
    _check_passphrase(new)
    keys = unlock(conn, username=username, passphrase=old, secrets=secrets, kdf=kdf)
    wrapped, spec = _wrap_private(keys.private, staff_id=keys.staff_id, passphrase=new, secrets=secrets, kdf=kdf)
    conn.execute(_staff_t.update().where(_staff_t.c.id == keys.staff_id).values(wrapped_private=wrapped, kdf=spec))


def reset_member(
    conn: Connection,
    *,
    admin: StaffKeys,
    username: str,
    new_passphrase: str,
    secrets: ServerSecrets,
    kdf: KdfParams,
    now: float,
) -> list[str]:
    """Reset a member who forgot their passphrase.

    The old private key cannot be recovered (nobody holds the passphrase), so the
    member gets a NEW key pair and all their old grants are deleted.  The admin
    then re-grants, in the same call, each queue the member used to hold AND the
    admin holds (all key versions the admin holds).  Queues the admin does not hold
    stay lost to the member until an admin who holds them calls ``grant``.
    Returns the queues re-granted.
    """
    _require_admin(conn, admin)
    _check_passphrase(new_passphrase)
    row = _staff_row(conn, username, for_update=True)
    old_queues = set(member_queues(conn, row.id, current_only=False))
    private, public = crypto.new_keypair()
    wrapped, spec = _wrap_private(private, staff_id=row.id, passphrase=new_passphrase, secrets=secrets, kdf=kdf)
    conn.execute(_grant_t.delete().where(_grant_t.c.staff_id == row.id))
    conn.execute(
        _staff_t.update().where(_staff_t.c.id == row.id).values(public_key=public, wrapped_private=wrapped, kdf=spec)
    )
    regranted = []
    held_by_admin = admin.held_key_ids(conn)
    for queue in sorted(old_queues):
        if _current_key(conn, queue).key_id in held_by_admin:
            grant(conn, admin=admin, member=username, queue=queue, now=now)
            regranted.append(queue)
    return regranted


def list_staff(conn: Connection) -> list[StaffInfo]:
    rows = conn.execute(
        select(_staff_t.c.id, _staff_t.c.username, _staff_t.c.is_admin, _staff_t.c.created_at)
        .order_by(_staff_t.c.username)
    )
    return [StaffInfo(id=r.id, username=r.username, is_admin=bool(r.is_admin), created_at=r.created_at) for r in rows]


def staff_id_of(conn: Connection, username: str) -> str:
    return str(_staff_row(conn, username).id)


def member_queues(conn: Connection, staff_id: str, *, current_only: bool = True) -> list[str]:
    """Queues whose current key (or, with ``current_only=False``, any key) the member holds."""
    stmt = select(_key_t.c.queue).distinct().select_from(
        _grant_t.join(_key_t, _grant_t.c.key_id == _key_t.c.key_id)
    ).where(_grant_t.c.staff_id == staff_id)
    if current_only:
        stmt = stmt.where(_key_t.c.retired_at.is_(None))
    return sorted(r.queue for r in conn.execute(stmt))


# --- grants and rotation -------------------------------------------------------------


def grant(conn: Connection, *, admin: StaffKeys, member: str, queue: str, now: float) -> list[str]:
    """Give ``member`` (a username) the keys of ``queue``.

    The admin must be an administrator and hold the queue's current key.  Every key
    version of the queue the admin holds (current and retired, so old tips open) is
    sealed to the member's public key.  Returns the key ids granted.
    """
    _require_admin(conn, admin)
    current = _current_key(conn, queue)
    admin.queue_private(conn, current.key_id)  # NotGrantedError when the admin lacks it
    member_row = _staff_row(conn, member)
    held = admin.held_key_ids(conn)
    granted = []
    for key in _queue_keys(conn, queue):
        if key.key_id not in held:
            continue
        private = admin.queue_private(conn, key.key_id)
        _put_grant(conn, staff_id=member_row.id, public=member_row.public_key, key_id=key.key_id, private=private,
                   by=admin.staff_id, now=now)
        granted.append(key.key_id)
    return granted


def revoke(conn: Connection, *, admin: StaffKeys, member: str, queue: str, allow_last_holder: bool = False) -> int:
    """Delete the member's grants for every key of ``queue``.  A revoked member may
    have copied keys while they held them: ``rotate`` the queue afterwards so new
    tips are sealed to a key they never had.  Returns the grants deleted.

    Raises ``LastHolderError`` when the member is the only holder of one of the queue's
    keys (its tips would never open again, and nobody could rotate or grant the queue),
    unless ``allow_last_holder``."""
    _require_admin(conn, admin)
    member_row = _staff_row(conn, member)
    key_ids = [k.key_id for k in _queue_keys(conn, queue)]
    if not allow_last_holder and _only_holder_of(conn, member_row.id, key_ids):
        raise LastHolderError(
            f"{member} is the last holder of a key of queue {queue}: without it, every tip sealed to that "
            "key stays unreadable for good and the queue can no longer be granted or rotated"
        )
    result = conn.execute(
        _grant_t.delete().where(and_(_grant_t.c.staff_id == member_row.id, _grant_t.c.key_id.in_(key_ids)))
    )
    return int(result.rowcount or 0)


def _only_holder_of(conn: Connection, staff_id: str, key_ids: Sequence[str]) -> list[str]:
    """The keys among ``key_ids`` that ``staff_id`` holds and nobody else does."""
    rows = conn.execute(select(_grant_t.c.key_id, _grant_t.c.staff_id).where(_grant_t.c.key_id.in_(key_ids)))
    holders: dict[str, set[str]] = {}
    for row in rows:
        holders.setdefault(row.key_id, set()).add(row.staff_id)
    return [k for k, who in holders.items() if who == {staff_id}]


def rotate(conn: Connection, *, admin: StaffKeys, queue: str, now: float) -> str:
    """Give ``queue`` a new current key; returns its key id.

    The old key is retired (kept, so old tips still open).  The new private key is
    sealed to every member who held the old current key, using only their public
    keys (no passphrase of theirs is needed).  The admin must hold the current key.
    """
    _require_admin(conn, admin)
    if conn.dialect.name == "postgresql":
        conn.execute(select(_queue_t.c.name).where(_queue_t.c.name == queue).with_for_update())
    old = _current_key(conn, queue)
    admin.queue_private(conn, old.key_id)
    holders = list(
        conn.execute(
            select(_staff_t.c.id, _staff_t.c.public_key)
            .select_from(_grant_t.join(_staff_t, _grant_t.c.staff_id == _staff_t.c.id))
            .where(_grant_t.c.key_id == old.key_id)
        )
    )
    private, public = crypto.new_keypair()
    key_id = _new_id("k")
    conn.execute(_key_t.update().where(_key_t.c.key_id == old.key_id).values(retired_at=now))
    conn.execute(_key_t.insert().values(key_id=key_id, queue=queue, public_key=public, created_at=now))
    for holder in holders:
        _put_grant(conn, staff_id=holder.id, public=holder.public_key, key_id=key_id, private=private,
                   by=admin.staff_id, now=now)
    return key_id


__all__ = [
    "KeyManagementError", "WrongPassphraseError", "WeakPassphraseError", "UnknownStaffError",
    "UnknownQueueError", "DuplicateError", "NotGrantedError", "NotAdminError", "GrantTamperedError", "LastHolderError",
    "QueueKeyPair", "StaffInfo", "StaffKeys", "create_queue", "grant_new_queue", "current_public_keys",
    "queue_of_key", "list_queues", "add_staff", "unlock", "change_passphrase", "reset_member",
    "list_staff", "staff_id_of", "member_queues", "grant", "revoke", "rotate", "MIN_PASSPHRASE_CHARS",
]
