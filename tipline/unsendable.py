"""Replies queued for a channel this process cannot send on: said once, at WARNING, with the fix.

A worker (or ``serve`` with its jobs) started without the Twilio settings leaves queued SMS and
WhatsApp replies where they are: pending in the outbox, looked at again by any process that has the
settings, and deleted unsent with the rest of the outbox once the follow-up window is over
(``storage.outbox.purge``).  Nothing is dead-lettered: the replies are fine, the process is not.
Without this warning nothing at all would say so.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from bot.types import SMS, TELEGRAM, WHATSAPP
from storage import outbox
from storage.db import read_only
from tipline.settings import Settings

log = logging.getLogger(__name__)

_TWILIO = ("TIPLINE_TWILIO_ACCOUNT_SID", "TIPLINE_TWILIO_AUTH_TOKEN", "TIPLINE_TWILIO_FROM")


def missing_settings(settings: Settings) -> dict[str, tuple[str, ...]]:
    """{channel: the unset settings its sender needs}, for each channel this process cannot send on."""
    values = {"TIPLINE_TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
              "TIPLINE_TWILIO_AUTH_TOKEN": settings.twilio_auth_token, "TIPLINE_TWILIO_FROM": settings.twilio_from}
    twilio = tuple(name for name in _TWILIO if not values[name])
    found = {SMS: twilio, WHATSAPP: twilio}
    if not settings.telegram_bot_token:
        found[TELEGRAM] = ("TIPLINE_TELEGRAM_BOT_TOKEN",)
    return {channel: names for channel, names in found.items() if names}


class UnsendableWatch:
    """Checks, while some channel's settings are missing, whether replies wait for it (one query a
    round, until each such channel was warned about once in this process)."""

    def __init__(self, settings: Settings) -> None:
        self.missing = missing_settings(settings)
        self.followup_days = settings.followup_days
        self.warned: set[str] = set()

    def check(self, db: Engine) -> None:
        if set(self.missing) <= self.warned:
            return
        with read_only(db) as conn:
            waiting = outbox.pending_by_channel(conn)
        for channel, names in self.missing.items():
            if channel in self.warned or not waiting.get(channel):
                continue
            self.warned.add(channel)
            log.warning(
                "%d %s replies are queued but this process cannot send them: %s not set. They wait in the outbox "
                "('tipline outbox list --status pending') and go out once a worker with these settings runs; "
                "unsent after the follow-up window (%d days) they are deleted",
                waiting[channel], channel, ", ".join(names), self.followup_days,
                extra={"channel": channel, "pending": waiting[channel]},
            )
