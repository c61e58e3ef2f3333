"""The on-call rota (ordered people, each with a channel and a sealed address) and the
one-time Telegram enrolment links.

Addresses are sealed (``crypto.seal``) to the rota key's public half, bound to the rota
member's id, so the public server, which writes a chat id at enrolment, holds only what
seals and never what opens (``storage.oncall_secret`` opens, on the staff side only).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, func, select, update

from storage.crypto import seal
from storage.oncall_tables import OncallEnrolment, OncallKey, RotaMember

_K = OncallKey.__table__  # type: ignore[attr-defined]
_R = RotaMember.__table__  # type: ignore[attr-defined]
_E = OncallEnrolment.__table__  # type: ignore[attr-defined]

CHANNELS = ("sms", "telegram")
ENROL_PREFIX = "oc_"  # a /start payload that is an enrolment link, never a reporter's deep link
ENROL_SECONDS = 30 * 60.0


class RotaError(ValueError):
    """A rota change that cannot be made; the message says why."""


@dataclass(frozen=True)
class RotaKey:
    key_id: str
    public_key: bytes = field(repr=False)


@dataclass(frozen=True)
class RotaEntry:
    id: str
    position: int
    name: str
    channel: str
    locale: str
    sealed_address: bytes | None = field(repr=False)

    @property
    def enrolled(self) -> bool:
        return self.sealed_address is not None


def address_context(member_id: str) -> bytes:
    """What a sealed address is bound to: it opens only as this rota member's."""
    return b"tipline oncall address:" + member_id.encode()


def rota_key(conn: Connection) -> RotaKey | None:
    row = conn.execute(select(_K.c.key_id, _K.c.public_key).order_by(_K.c.created_at.desc()).limit(1)).first()
    return RotaKey(row.key_id, bytes(row.public_key)) if row is not None else None


def record_rota_key(conn: Connection, *, public_key: bytes, now: float) -> RotaKey:
    key = RotaKey(uuid.uuid4().hex, public_key)
    conn.execute(_K.insert().values(key_id=key.key_id, public_key=public_key, created_at=now))
    return key


def seal_address(key: RotaKey, *, member_id: str, address: str) -> bytes:
    return seal(address.encode(), recipient_public=key.public_key, key_id=key.key_id,
                context=address_context(member_id))


def _require_key(conn: Connection) -> RotaKey:
    key = rota_key(conn)
    if key is None:
        raise RotaError("this install has no rota key yet: run 'tipline init' on the staff host")
    return key


def add_member(conn: Connection, *, name: str, channel: str, address: str | None, locale: str, now: float) -> str:
    """Append a person to the rota (an SMS number now, a Telegram chat at enrolment); returns the id."""
    if channel not in CHANNELS:
        raise RotaError(f"channel must be one of {', '.join(CHANNELS)}, got {channel!r}")
    if channel == "sms" and not address:
        raise RotaError("an SMS rota member needs a phone number (E.164, e.g. +15551234567)")
    key = _require_key(conn)
    member_id = uuid.uuid4().hex
    sealed = seal_address(key, member_id=member_id, address=address) if address else None
    last = conn.execute(select(func.max(_R.c.position))).scalar()
    conn.execute(_R.insert().values(id=member_id, position=(last or 0) + 1, name=name[:64], channel=channel,
                                    address=sealed, locale=locale, created_at=now))
    return member_id


def list_members(conn: Connection) -> list[RotaEntry]:
    """The rota in order: position 1 is alerted first."""
    query = select(_R.c.id, _R.c.position, _R.c.name, _R.c.channel, _R.c.locale, _R.c.address).order_by(
        _R.c.position, _R.c.created_at)
    return [RotaEntry(r.id, r.position, r.name, r.channel, r.locale,
                      bytes(r.address) if r.address is not None else None) for r in conn.execute(query)]


def remove_member(conn: Connection, member_id: str) -> bool:
    conn.execute(delete(_E).where(_E.c.member_id == member_id))
    gone = bool(conn.execute(delete(_R).where(_R.c.id == member_id)).rowcount)
    if gone:
        _renumber(conn, [m.id for m in list_members(conn)])
    return gone


def move_member(conn: Connection, member_id: str, *, delta: int) -> bool:
    """Move a person up (-1) or down (+1) the rota; False at either end or when unknown."""
    order = [m.id for m in list_members(conn)]
    if member_id not in order:
        return False
    at = order.index(member_id)
    to = at + delta
    if not 0 <= to < len(order):
        return False
    order[at], order[to] = order[to], order[at]
    _renumber(conn, order)
    return True


def _renumber(conn: Connection, order: list[str]) -> None:
    for position, member_id in enumerate(order, start=1):
        conn.execute(update(_R).where(_R.c.id == member_id).values(position=position))


def set_address(conn: Connection, *, member_id: str, sealed: bytes) -> bool:
    return bool(conn.execute(update(_R).where(_R.c.id == member_id).values(address=sealed)).rowcount)


# -- one-time Telegram enrolment links ---------------------------------------------------


def _token_hash(token: str) -> bytes:
    # The token is 256 random bits: a plain hash suffices (there is nothing to guess).
    return hashlib.sha256(token.encode()).digest()


def new_enrolment(conn: Connection, *, member_id: str, now: float, seconds: float = ENROL_SECONDS) -> str:
    """A fresh single-use token for this member (earlier unused ones stop working)."""
    row = conn.execute(select(_R.c.locale, _R.c.channel).where(_R.c.id == member_id)).first()
    if row is None or row.channel != "telegram":
        raise RotaError("enrolment links are for Telegram rota members")
    conn.execute(delete(_E).where(_E.c.member_id == member_id))
    token = ENROL_PREFIX + secrets.token_urlsafe(32)
    conn.execute(_E.insert().values(token_hash=_token_hash(token), member_id=member_id, locale=row.locale,
                                    expires_at=now + seconds))
    return token


@dataclass(frozen=True)
class Enrolment:
    member_id: str
    locale: str


def find_enrolment(conn: Connection, token: str, *, now: float) -> Enrolment | None:
    """The unused, unexpired enrolment of ``token`` (a plain read, before sealing)."""
    row = conn.execute(select(_E.c.member_id, _E.c.locale).where(
        _E.c.token_hash == _token_hash(token), _E.c.used_at.is_(None), _E.c.expires_at > now)).first()
    return Enrolment(row.member_id, row.locale) if row is not None else None


def use_enrolment(conn: Connection, token: str, *, member_id: str, sealed: bytes, now: float) -> bool:
    """Spend the token and store the sealed chat id, once: a second use (or a late one) changes nothing."""
    spent = conn.execute(update(_E).where(
        _E.c.token_hash == _token_hash(token), _E.c.member_id == member_id, _E.c.used_at.is_(None),
        _E.c.expires_at > now).values(used_at=now)).rowcount
    return bool(spent) and set_address(conn, member_id=member_id, sealed=sealed)
