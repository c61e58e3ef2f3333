"""Staff accounts: each member's X25519 key pair, wrapped under their passphrase.

The private key is wrapped by a ``Box`` whose key is Argon2id(HMAC-SHA256(pepper, passphrase),
random salt): argon2-cffi does not expose Argon2's own secret (K) input, so the server pepper
(``secrets.subkey(Purpose.STAFF_PEPPER)``) is mixed in by HMAC-ing the passphrase first.  A copy of
the database without the server secret cannot even start a passphrase guess; the server secret
without a passphrase opens nothing.  ``StaffKeys`` is an unlocked member; it opens the member's
grants (``storage.queue_keys``).
"""

from __future__ import annotations

import os
import secrets as _secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, and_, select
from sqlalchemy.exc import IntegrityError

from storage import crypto
from storage.crypto import Box, DecryptionFailed, KdfFailed, KdfParams, ServerSecrets, peppered_argon2id
from storage.key_errors import (
    DuplicateError, GrantTamperedError, KeyManagementError, NotAdminError, NotGrantedError, UnknownStaffError,
    WeakPassphraseError, WrongPassphraseError,
)
from storage.purposes import Purpose
from storage.tables import Grant, Staff

MIN_PASSPHRASE_CHARS = 10

_staff_t = Staff.__table__  # type: ignore[attr-defined]
_grant_t = Grant.__table__  # type: ignore[attr-defined]


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
                row.wrapped, recipient_private=self._private, context=grant_context(self.staff_id, key_id)
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


def random_id(prefix: str) -> str:
    return prefix + _secrets.token_hex(10)


def grant_context(staff_id: str, key_id: str) -> bytes:
    return f"tipline-grant:{staff_id}:{key_id}".encode()


def _wrap_context(staff_id: str) -> bytes:
    return f"tipline-staff-key:{staff_id}".encode()


def check_passphrase(passphrase: str) -> None:
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


def wrap_private(
    private: bytes, *, staff_id: str, passphrase: str, secrets: ServerSecrets, kdf: KdfParams
) -> tuple[bytes, str]:
    salt = os.urandom(16)
    box = _passphrase_box(passphrase, salt=salt, kdf=kdf, secrets=secrets)
    return box.encrypt(private, aad=_wrap_context(staff_id)), _format_kdf(kdf, salt)


def _costlier(kdf: KdfParams, *, than: KdfParams) -> bool:
    return kdf != than and kdf.time_cost >= than.time_cost and kdf.memory_cost_kib >= than.memory_cost_kib


def staff_row(conn: Connection, username: str, *, for_update: bool = False) -> Row[Any]:
    stmt = select(_staff_t).where(_staff_t.c.username == username)
    if for_update:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise UnknownStaffError(f"no staff member named {username!r}")
    return row


def require_admin(conn: Connection, admin: StaffKeys) -> None:
    row = conn.execute(select(_staff_t.c.is_admin).where(_staff_t.c.id == admin.staff_id)).first()
    if not admin.is_admin or row is None or not row.is_admin:
        raise NotAdminError(f"{admin.username} is not an administrator")


def add_staff(
    conn: Connection, *, username: str, passphrase: str, is_admin: bool, secrets: ServerSecrets, kdf: KdfParams,
    now: float,
) -> str:
    """Create a staff member with a fresh key pair; returns the staff id."""
    if not username or len(username) > 64:
        raise KeyManagementError("a username is 1-64 characters")
    check_passphrase(passphrase)
    if conn.execute(select(_staff_t.c.id).where(_staff_t.c.username == username)).first() is not None:
        raise DuplicateError(f"staff member {username!r} already exists")
    staff_id = random_id("s")
    private, public = crypto.new_keypair()
    wrapped, kdf_spec = wrap_private(private, staff_id=staff_id, passphrase=passphrase, secrets=secrets, kdf=kdf)
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
    row = staff_row(conn, username)
    stored_kdf, salt = _parse_kdf(row.kdf)
    box = _passphrase_box(passphrase, salt=salt, kdf=stored_kdf, secrets=secrets)
    try:
        private = box.decrypt(row.wrapped_private, aad=_wrap_context(row.id))
    except DecryptionFailed:
        raise WrongPassphraseError(f"wrong passphrase for {username!r}") from None
    if _costlier(kdf, than=stored_kdf):
        wrapped, spec = wrap_private(private, staff_id=row.id, passphrase=passphrase, secrets=secrets, kdf=kdf)
        conn.execute(_staff_t.update().where(_staff_t.c.id == row.id).values(wrapped_private=wrapped, kdf=spec))
    return StaffKeys(staff_id=row.id, username=row.username, is_admin=bool(row.is_admin), public=row.public_key,
                     private=private)


def change_passphrase(
    conn: Connection, *, username: str, old: str, new: str, secrets: ServerSecrets, kdf: KdfParams
) -> None:
    """Re-wrap the member's private key under a new passphrase; grants are unchanged."""
    check_passphrase(new)
    keys = unlock(conn, username=username, passphrase=old, secrets=secrets, kdf=kdf)
    wrapped, spec = wrap_private(keys.private, staff_id=keys.staff_id, passphrase=new, secrets=secrets, kdf=kdf)
    conn.execute(_staff_t.update().where(_staff_t.c.id == keys.staff_id).values(wrapped_private=wrapped, kdf=spec))


def list_staff(conn: Connection) -> list[StaffInfo]:
    rows = conn.execute(
        select(_staff_t.c.id, _staff_t.c.username, _staff_t.c.is_admin, _staff_t.c.created_at)
        .order_by(_staff_t.c.username)
    )
    return [StaffInfo(id=r.id, username=r.username, is_admin=bool(r.is_admin), created_at=r.created_at) for r in rows]


def staff_id_of(conn: Connection, username: str) -> str:
    return str(staff_row(conn, username).id)
