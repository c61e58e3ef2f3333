"""Tables of the on-call rota and its pushed P1 alerts (issue 12, "never miss a P1").

Staff addresses (a phone number, a Telegram chat id) are sealed to the rota key, whose
private half lives only in the console's secrets folder: the public server can seal a
chat id at enrolment but never read one back.  A page is the delivery state of one
alert: whom it reaches next, when, and which process holds it (a row claim).
"""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel


class OncallKey(SQLModel, table=True):
    """The rota key's public half (one row); the private half is a file on the staff side."""

    __tablename__ = "oncall_key"
    key_id: str = Field(primary_key=True, max_length=32)
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: float


class RotaMember(SQLModel, table=True):
    """One person of the rota, in order; the address sealed to the rota key (None: not enrolled yet)."""

    __tablename__ = "oncall_rota"
    id: str = Field(primary_key=True, max_length=32)
    position: int = Field(index=True)
    name: str = Field(max_length=64)  # how the console shows the person (a staff username or a desk)
    channel: str = Field(max_length=16)  # sms | telegram
    address: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True), repr=False)
    locale: str = Field(default="en", max_length=16)  # the language of the alerts this person gets
    created_at: float


class OncallEnrolment(SQLModel, table=True):
    """A one-time Telegram enrolment link: the SHA-256 of its random token, never the token."""

    __tablename__ = "oncall_enrolment"
    token_hash: bytes = Field(sa_column=Column(LargeBinary, primary_key=True), repr=False)
    member_id: str = Field(max_length=32, index=True)
    locale: str = Field(default="en", max_length=16)
    expires_at: float
    used_at: float | None = None


class OncallPage(SQLModel, table=True):
    """How far one alert has gone down the rota, and which alert loop holds it until when."""

    __tablename__ = "oncall_page"
    alert_id: int = Field(primary_key=True)
    tip_id: str = Field(max_length=32, index=True)
    step: int = 0  # sends so far: the next goes to rota position step (mod the rota's length)
    next_at: float = Field(index=True)
    lease_until: float = 0.0
    sends: int = 0
    last_sent_at: float | None = None
    done_at: float | None = None  # acknowledged, claimed or gone: no more sends
    # The last send that did not go out: a reason class and whom it was for, never an address
    # nor the provider's words (they may name the number).
    failed_at: float | None = None
    failure: str | None = Field(default=None, max_length=64)
    failed_channel: str | None = Field(default=None, max_length=16)
    failed_member: str | None = Field(default=None, max_length=32)  # oncall_rota.id
