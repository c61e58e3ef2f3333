"""Follow-up by reference code: a reporter sends their code from any phone or chat.

They can then add information (sealed into the tip as an addendum) and read the
questions staff left for them.  The public app cannot open the tip, so an addendum
is its own sealed version, sealed to the queues the tip already reached.

Wrong codes are throttled per sender and globally; the global limit slows only
senders that already sent a wrong code, so an attacker's flood cannot lock out a
reporter.  A code whose check character does not match is a typo, answered at
once and not counted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from sqlalchemy import Connection

from bot import Engine as ConversationEngine
from bot.commands import Command, carrier_action
from bot.render import pack
from bot.types import ConversationState, InboundMessage, Outcome, Status
from storage import questions, refcodes, sealing, throttle, tips
from storage.crypto import Box, ServerSecrets
from storage.crypto import KdfParams
from storage.purposes import Purpose

log = logging.getLogger(__name__)

FOLLOWUP = "followup_tip"  # state.extra key: the tip this conversation adds to
SENDER_LIMIT = 5  # wrong codes per sender per window
GLOBAL_LIMIT = 200  # wrong codes for the whole line per window: slows a distributed guesser
WINDOW = 3600.0
_GLOBAL_KEY = b"global:refcode"


# A code is tried only from a conversation with no interview in progress.
_CODE_FROM = frozenset({Status.NEW, Status.FINISHED, Status.ENDED})


def is_code_attempt(text: str) -> bool:
    """Shaped like a code.  A single 13-letter word ("international") is not taken for one
    unless it has a digit: a code typed with separators (dashes, spaces, dots) or with any
    digit is, so the rare all-letter code still works as shown or as spoken.

    The one test of "did the reporter send a code" (the intake service asks it once per message).
    """
    stripped = text.strip()
    if refcodes.normalize(stripped) is None:
        return False
    return any(c.isdigit() or c in "-. " for c in stripped)


@dataclass
class FollowUpResult:
    messages: list[tuple[str, dict[str, str]]]  # (msgid, params) to render in the reporter's language
    state: ConversationState
    tip_id: str | None = None


class FollowUps:
    def __init__(
        self, *, secrets: ServerSecrets, kdf: KdfParams, question_box: Box, engine: ConversationEngine,
        default_locale: str,
    ) -> None:
        self.secrets = secrets
        self.kdf = kdf
        self.question_box = question_box
        self.engine = engine
        self.default_locale = default_locale

    def answer(
        self, conn: Connection, *, msg: InboundMessage, lookup: bytes, state: ConversationState | None,
        code_attempt: bool, now: float,
    ) -> Outcome | None:
        """The reply of a follow-up (a code, or a message added to a tip); None when the engine should answer."""
        text = msg.text or ""
        if msg.button or carrier_action(msg.channel, text) is not None:
            return None  # carrier words keep their meaning; buttons belong to the interview
        locale_state = state or ConversationState(locale=self.default_locale)
        if FOLLOWUP in locale_state.extra:
            command = self.engine.words.command(msg.channel, text)
            result = self.add(conn, text=text, command=command, state=locale_state, now=now)
        elif code_attempt and locale_state.status in _CODE_FROM:
            result = self.try_code(conn, text=text, lookup=lookup, state=locale_state, now=now)
        else:
            return None
        render = self.engine.render
        parts = [render.text(result.state.locale, msgid, **params) for msgid, params in result.messages]
        return Outcome(replies=pack(parts), state=result.state, events=[])

    def try_code(
        self, conn: Connection, *, text: str, lookup: bytes, state: ConversationState, now: float
    ) -> FollowUpResult:
        check = refcodes.check(text)
        if check.is_typo:
            return FollowUpResult([("followup.typo", {})], state)
        sender_key = self.secrets.mac(Purpose.THROTTLE, lookup)
        if self._must_wait(conn, sender_key, now):
            return FollowUpResult([("followup.wait", {})], state)
        meta = tips.find_by_code_hash(conn, refcodes.code_hash(text, secrets=self.secrets, kdf=self.kdf))
        if meta is None:
            throttle.hit(conn, key=sender_key, limit=SENDER_LIMIT, window_seconds=WINDOW, now=now)
            throttle.hit(conn, key=_GLOBAL_KEY, limit=GLOBAL_LIMIT, window_seconds=WINDOW, now=now)
            log.info("follow-up code not found")
            return FollowUpResult([("followup.unknown", {})], state)
        state = ConversationState(locale=state.locale, status=Status.FINISHED, extra={FOLLOWUP: meta.id})
        messages: list[tuple[str, dict[str, str]]] = [("followup.welcome", {})]
        for question in questions.take_undelivered(conn, box=self.question_box, tip_id=meta.id, now=now):
            messages.append(("followup.question", {"question": question}))
        log.info("follow-up opened", extra={"tip": meta.id})
        return FollowUpResult(messages, state, meta.id)

    @staticmethod
    def _must_wait(conn: Connection, sender_key: bytes, now: float) -> bool:
        """A sender waits after its own limit; the line-wide limit slows only senders that
        already failed, so a flood of wrong codes never locks out a reporter with a good one."""
        failed = throttle.failures(conn, key=sender_key, window_seconds=WINDOW, now=now)
        if failed >= SENDER_LIMIT:
            return True
        return failed > 0 and throttle.is_blocked(
            conn, key=_GLOBAL_KEY, limit=GLOBAL_LIMIT, window_seconds=WINDOW, now=now
        )

    def add(
        self, conn: Connection, *, text: str, command: Command | None, state: ConversationState, now: float
    ) -> FollowUpResult:
        """One message in follow-up mode: DONE or EXIT closes it; anything else is sealed into the tip."""
        tip_id = str(state.extra[FOLLOWUP])
        if command in (Command.DONE, Command.EXIT):
            ended = ConversationState(locale=state.locale, status=Status.ENDED)
            return FollowUpResult([("followup.closed", {})], ended)
        if command is not None or not text.strip():
            return FollowUpResult([("followup.welcome", {})], state, tip_id)
        if not seal_addendum(conn, tip_id=tip_id, texts=[text], now=now):  # deleted under retention rules
            ended = ConversationState(locale=state.locale, status=Status.ENDED)
            return FollowUpResult([("followup.unknown", {})], ended)
        return FollowUpResult([("followup.added", {})], state, tip_id)


def seal_addendum(conn: Connection, *, tip_id: str, texts: list[str], now: float) -> bool:
    """Seal texts a reporter added after the interview as a new version of the tip.

    Sealed to the queues the tip already reached; priority and categories stay as they
    are (the public app cannot open the tip to re-score it; staff re-rank on reading).
    Returns False if the tip no longer exists.
    """
    meta = tips.get_tip(conn, tip_id, for_update=True)
    if meta is None:
        return False
    version = meta.version + 1
    payload = {"kind": "addendum", "tip_id": tip_id, "version": version, "texts": texts, "sealed_at": now}
    sealing.seal_tip(conn, tip_id=tip_id, version=version,
                     payload=json.dumps(payload, separators=(",", ":")).encode(), queues=meta.queues, now=now)
    tips.record_seal(
        conn, tip_id=tip_id, version=version, status=meta.status, reason="follow-up",
        priority=meta.priority, categories=meta.categories, rules_version=meta.rules_version,
        queues=meta.queues, now=now,
    )
    return True
