"""Telegram enrolment of an on-call person, the public app's only part in the rota.

A member opens ``https://t.me/<bot>?start=oc_<token>``; the bot receives ``/start
oc_<token>``.  This seals the chat id to the rota key's public half (the public server
cannot open it again), spends the single-use token and answers in the member's
language.  It is never a reporter conversation: nothing goes through the engine, and
the chat id is stored only sealed.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from sqlalchemy import Engine

from bot.catalog import Catalogs
from storage import audit, oncall
from storage.crypto import ServerSecrets
from storage.db import read_only
from triage.oncall_messages import ENROLLED, LINK_BAD, staff_text

log = logging.getLogger(__name__)


class OncallEnrol:
    def __init__(self, *, db: Engine, secrets: ServerSecrets, catalogs: Catalogs, default_locale: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.secrets = secrets
        self.catalogs = catalogs
        self.default_locale = default_locale
        self.clock = clock

    @staticmethod
    def is_enrolment(payload: str | None) -> bool:
        return bool(payload) and str(payload).startswith(oncall.ENROL_PREFIX)

    def enrol(self, chat_id: str, token: str) -> str:
        """Enrol ``chat_id`` with ``token``; the short answer to send back to that chat."""
        now = self.clock()
        with read_only(self.db) as conn:
            found = oncall.find_enrolment(conn, token, now=now)
            key = oncall.rota_key(conn)
        if found is None or key is None:
            log.info("oncall enrolment refused: unknown, spent or expired link")
            return self._say(self.default_locale, LINK_BAD)
        # Sealed before the write transaction: no lock is held while sealing.
        sealed = oncall.seal_address(key, member_id=found.member_id, address=chat_id)
        with self.db.begin() as conn:
            done = oncall.use_enrolment(conn, token, member_id=found.member_id, sealed=sealed, now=now)
            if done:
                audit.append(conn, secrets=self.secrets, actor="telegram", action="oncall_enrol",
                             subject=found.member_id, now=now)
        if not done:
            log.info("oncall enrolment refused: the link was spent meanwhile")
            return self._say(found.locale, LINK_BAD)
        log.info("oncall enrolment done")
        return self._say(found.locale, ENROLLED)

    def _say(self, locale: str, msgid: str) -> str:
        return staff_text(self.catalogs, locale=locale, default_locale=self.default_locale, msgid=msgid)
