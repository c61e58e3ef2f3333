"""Rota changes as the console and the CLI make them: checked input, then ``storage.oncall``."""

from __future__ import annotations

import re

from sqlalchemy import Connection

from storage import oncall
from storage.oncall import RotaError

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")


def check_member(*, name: str, channel: str, address: str | None, locale: str, locales: tuple[str, ...]) -> str | None:
    """The address to store (spaces and dashes dropped from a number); raises ``RotaError`` with what to fix."""
    if not _NAME.match(name.strip()):
        raise RotaError("give the person a name of 1-64 printable characters")
    if channel not in oncall.CHANNELS:
        raise RotaError(f"channel must be one of {', '.join(oncall.CHANNELS)}")
    if locale not in locales:
        raise RotaError(f"language must be one of the line's: {', '.join(locales)}")
    if channel == "telegram":
        return None  # the chat arrives at enrolment, through the bot
    number = re.sub(r"[\s().-]", "", address or "")
    if not E164.match(number):
        raise RotaError("an SMS number is written in international form: + then country code and number")
    return number


def add_member(conn: Connection, *, name: str, channel: str, address: str | None, locale: str,
               locales: tuple[str, ...], now: float) -> str:
    stored = check_member(name=name, channel=channel, address=address, locale=locale, locales=locales)
    return oncall.add_member(conn, name=name.strip(), channel=channel, address=stored, locale=locale, now=now)


def enrol_link(bot_username: str, token: str) -> str:
    """The one-time link a member opens; without a configured bot name, the command to send the bot."""
    if bot_username:
        return f"https://t.me/{bot_username}?start={token}"
    return f"/start {token}"


def member_by_position(conn: Connection, position: int) -> oncall.RotaEntry:
    for entry in oncall.list_members(conn):
        if entry.position == position:
            return entry
    raise RotaError(f"no one at position {position} of the rota ('tipline oncall list' shows it)")
