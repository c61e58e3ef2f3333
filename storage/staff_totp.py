"""Staff second-factor (TOTP) secrets: stored under a server key bound to the member's id.

The console checks codes (pyotp); this module keeps the secret and the last time step a
code was accepted for, so a code seen once (over a shoulder, in a proxy) is not accepted again.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, select, update

from storage.crypto import Box, DecryptionFailed
from storage.staff_tables import StaffTotp

_T = StaffTotp.__table__  # type: ignore[attr-defined]


class TotpStoreError(Exception):
    """Base class for the errors of this module."""


class TotpTamperedError(TotpStoreError):
    """A stored secret does not open for this member: it was altered or moved from another row."""


def _aad(staff_id: str) -> bytes:
    return f"tipline-totp:{staff_id}".encode()


def secret_of(conn: Connection, *, staff_id: str, box: Box) -> str | None:
    """The member's base32 secret, or None when they have not enrolled."""
    row = conn.execute(select(_T.c.secret).where(_T.c.staff_id == staff_id)).first()
    if row is None:
        return None
    try:
        return box.decrypt(row.secret, aad=_aad(staff_id)).decode("ascii")
    except DecryptionFailed:
        raise TotpTamperedError("a stored second-factor secret does not open") from None


def enrol(conn: Connection, *, staff_id: str, secret: str, step: int, box: Box, now: float) -> None:
    """Store (or replace) the member's secret; ``step`` is the step of the code that confirmed it."""
    conn.execute(delete(_T).where(_T.c.staff_id == staff_id))
    conn.execute(_T.insert().values(staff_id=staff_id, secret=box.encrypt(secret.encode("ascii"), aad=_aad(staff_id)),
                                    last_step=step, created_at=now))


def use_step(conn: Connection, *, staff_id: str, step: int) -> bool:
    """Record that a code of ``step`` was used; False when that step (or a later one) was used already."""
    result = conn.execute(update(_T).where(_T.c.staff_id == staff_id, _T.c.last_step < step).values(last_step=step))
    return bool(result.rowcount)


def remove(conn: Connection, *, staff_id: str) -> bool:
    """Forget a member's second factor (they enrol again at their next login)."""
    return bool(conn.execute(delete(_T).where(_T.c.staff_id == staff_id)).rowcount)
