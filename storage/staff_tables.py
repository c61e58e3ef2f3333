"""Tables of the staff console (issue 12): sessions, second factors and claims.

Everything here is metadata or sealed: a session's unwrapped keys are encrypted under a
random key that only the session cookie carries, a second-factor secret under a server
key bound to the member's id, and a claim is who holds which tip until when.
"""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel


def _blob() -> Column:  # type: ignore[type-arg]
    return Column(LargeBinary, nullable=False)


class StaffSession(SQLModel, table=True):
    """One logged-in browser.  ``sealed`` opens only with the key in that browser's cookie."""

    __tablename__ = "staff_session"
    # SHA-256 of the session id in the cookie: a database reader cannot present it.
    id_hash: bytes = Field(sa_column=Column(LargeBinary, primary_key=True), repr=False)
    staff_id: str = Field(max_length=32, index=True)
    sealed: bytes = Field(sa_column=_blob(), repr=False)
    stage: str = Field(default="enrol", max_length=16)  # enrol (second factor not set up yet) | full
    locale: str = Field(default="en", max_length=16)
    created_at: float
    last_seen_at: float
    expires_at: float = Field(index=True)  # the absolute limit; idle expiry is checked against last_seen_at


class StaffTotp(SQLModel, table=True):
    """A member's TOTP secret (AEAD under a server key, bound to the member) and the last step used."""

    __tablename__ = "staff_totp"
    staff_id: str = Field(primary_key=True, max_length=32)
    secret: bytes = Field(sa_column=_blob(), repr=False)
    last_step: int = 0  # a code is accepted once: replaying it in the same 30 s is refused
    created_at: float


class TipClaim(SQLModel, table=True):
    """Who works on a tip, until when.  One row per tip: two members never hold it at once."""

    __tablename__ = "tip_claim"
    tip_id: str = Field(primary_key=True, max_length=32)
    staff_id: str = Field(max_length=32, index=True)
    claimed_at: float
    lease_until: float = Field(index=True)
