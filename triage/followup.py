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

import logging
from dataclasses import dataclass, field, replace
from typing import Callable

from sqlalchemy import Connection

from bot import Engine as ConversationEngine
from bot.commands import Command, carrier_action
from bot.render import pack
from bot.signs import SUMMARY
from bot.types import Context, ConversationState, InboundMessage, Outcome, Status
from storage import lookups, questions, refcode_near, refcodes, throttle, tips
from storage.crypto import ServerSecrets
from storage.crypto import KdfParams
from storage.epoch_blobs import Sealer
from storage.epochs import EpochKeys
from storage.lookups import Keyed
from storage.purposes import Purpose
from triage.addenda import DANGER_PRIORITY, raise_danger_alert, seal_addendum

log = logging.getLogger(__name__)

FOLLOWUP = "followup_tip"  # state.extra key: the tip this conversation adds to
SENDER_LIMIT = 5  # wrong codes per sender per window
GLOBAL_LIMIT = 200  # wrong codes for the whole line per window: slows a distributed guesser
WINDOW = 3600.0
_GLOBAL_KEY = b"global:refcode"
# Words sent with a code ("my code is ..." is three) join the tip only when they say more.
ADDED_WITH_CODE_MIN_WORDS = 4


# A code is tried only from a conversation with no interview in progress.
_CODE_FROM = frozenset({Status.NEW, Status.FINISHED, Status.ENDED})


def is_code_attempt(text: str) -> bool:
    """Shaped like a code as typed (``refcodes.typed_as_code``): one 13-character token with a
    digit, or groups of 4-4-5 (so the rare all-letter code still works as shown).  A 13-letter
    word ("international") or a sentence of short words ("ok he is gone now") is not one.

    The one test of "did the reporter send a code" (the intake service asks it once per message).
    """
    stripped = text.strip()
    return refcodes.normalize(stripped) is not None and refcodes.typed_as_code(stripped)


def is_mistyped_code(text: str) -> bool:
    """A code typed with a mistake, alone or with a few words ("my code is 7KQ2-M9XD-4TRW6"):
    answered "that code has a typo" and never kept as a tip's text (decision 14).  With more
    words around it the message says more than a code, and the engine keeps it."""
    if is_code_attempt(text) and refcodes.check(text).is_typo:
        return True
    near = refcodes.mistyped(text)
    if near is None:
        return False
    return near.whole or len(refcodes.without(text, [near]).split()) < ADDED_WITH_CODE_MIN_WORDS


@dataclass
class FollowUpResult:
    messages: list[tuple[str, dict[str, str]]]  # (msgid, params) to render in the reporter's language
    state: ConversationState
    tip_id: str | None = None
    first: tuple[str, ...] = ()  # already in the reporter's language, before the messages: the emergency reply


@dataclass(frozen=True)
class Codes:
    """The codes a message may hold, worked out before the write lock (``FollowUps.prepare``).

    ``hashes`` (one per candidate, Argon2id) are empty when the sender must wait: a sender
    over its limit costs no Argon2id at all, and its candidates are never kept unchecked.
    """

    candidates: tuple[refcodes.Candidate, ...] = ()
    hashes: tuple[bytes, ...] = field(default=(), repr=False)
    blocked: bool = False
    typo: bool = False  # the whole message is a code with a wrong check character
    # Codes typed with a mistake among other words: never kept (a near miss gives the code away).
    near: tuple[refcodes.Candidate, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.candidates) or self.typo

    @property
    def whole(self) -> bool:
        return self.typo or any(c.whole for c in self.candidates)


NO_CODES = Codes()


def without_near_misses(msg: InboundMessage, codes: Codes) -> tuple[InboundMessage, Codes]:
    """``msg`` without the near misses of a code when it holds no valid one (with valid codes,
    ``FollowUps.answer`` cuts both, at the offsets found in the same text)."""
    if codes.near and not codes.candidates:
        return replace(msg, text=refcodes.without(msg.text or "", list(codes.near))), replace(codes, near=())
    return msg, codes


@dataclass(frozen=True)
class FollowUpAnswer:
    """A follow-up reply (``outcome``), or the message the engine answers (codes cut out)."""

    msg: InboundMessage = field(repr=False)
    outcome: Outcome | None = None
    # An interview in progress left for a follow-up: what it gave is sealed first.
    interrupted: ConversationState | None = field(default=None, repr=False)


class FollowUps:
    def __init__(
        self, *, secrets: ServerSecrets, epochs: EpochKeys, kdf: KdfParams, question_box: Sealer,
        engine: ConversationEngine, default_locale: str, context: Context,
    ) -> None:
        self.secrets = secrets
        self.epochs = epochs
        self.kdf = kdf
        self.question_box = question_box
        self.engine = engine
        self.default_locale = default_locale
        self.context = context  # the region's emergency number, for danger words added by code
        # The slow keyed hash of a candidate (Argon2id); tests may put a recording fake here.
        self.hasher: Callable[[str], bytes] = lambda code: refcodes.code_hash(code, secrets=secrets, kdf=kdf)

    def sender(self, channel: str, address: str) -> Keyed:
        """The sender's wrong-code counter key: a keyed hash under THROTTLE hour epochs, so a
        counter outlives its window by an hour or two and then says nothing about whose it was."""
        return lookups.keyed(self.epochs, Purpose.THROTTLE, f"{channel}:{address}".encode())

    def prepare(self, conn: Connection, *, text: str, sender: Callable[[], Keyed], now: float) -> Codes:
        """Find code candidates and hash them, from plain reads and before any write lock (issue 11).

        The throttle is read first: a sender over its limit gets no Argon2id work done.
        ``sender`` gives the sender's counter key (``sender``): only a message with a candidate needs it.
        """
        found = tuple(refcodes.candidates(text))
        near = tuple(refcode_near.near_misses(text, besides=found))
        if not found:
            return Codes(typo=is_mistyped_code(text), near=near)
        if self._must_wait(conn, sender(), now):
            return Codes(candidates=found, blocked=True, near=near)
        hashes = tuple(self.hasher(c.code) for c in found)
        return Codes(candidates=found, hashes=hashes, near=near)

    def answer(
        self, conn: Connection, *, msg: InboundMessage, sender: Callable[[], Keyed],
        state: ConversationState | None, codes: Codes, now: float,
    ) -> FollowUpAnswer:
        """A follow-up's reply (a code, or a message added to a tip), or what the engine should answer."""
        text = msg.text or ""
        if msg.button or carrier_action(msg.channel, text) is not None:
            return FollowUpAnswer(msg)  # carrier words keep their meaning; buttons belong to the interview
        base = state or ConversationState(locale=self.default_locale)
        meta = self.match(conn, codes)
        kept = refcodes.without(text, [c for c in codes.candidates if meta is not None or codes.blocked]
                                + list(codes.near))
        if meta is not None:
            interrupted = state if state is not None and state.status in (Status.NEW, Status.ACTIVE) else None
            result = self.open(conn, tip_id=meta.id, remainder=kept, state=base, now=now)
            return FollowUpAnswer(msg, self._render(result), interrupted)
        if codes.hashes:
            self.count_wrong(conn, sender(), now)  # every failed check counts: no free guesses inside words
        if FOLLOWUP in base.extra:
            command = self.engine.words.command(msg.channel, kept)
            return FollowUpAnswer(msg, self._render(self.add(conn, text=kept, command=command, state=base, now=now)))
        if codes.whole and base.status in _CODE_FROM:
            return FollowUpAnswer(msg, self._render(self._wrong(codes, base)))
        return FollowUpAnswer(replace(msg, text=kept) if kept != text else msg)

    def wrong_code_reply(self, conn: Connection, *, codes: Codes) -> Outcome | None:
        """From plain reads: the reply to a new sender whose whole message is a code that opens
        nothing (typo, must wait, unknown), or None when the message needs more than that.
        The caller then counts it (``count_wrong``) in its write transaction."""
        if not codes.whole or self.match(conn, codes) is not None:
            return None
        return self._render(self._wrong(codes, ConversationState(locale=self.default_locale)))

    def _render(self, result: FollowUpResult) -> Outcome:
        render = self.engine.render
        parts = [*result.first, *(render.text(result.state.locale, msgid, **params)
                                  for msgid, params in result.messages)]
        return Outcome(replies=pack(parts), state=result.state, events=[])

    @staticmethod
    def match(conn: Connection, codes: Codes) -> tips.TipMeta | None:
        """The tip whose code one of the candidates is (a lookup by the hashes computed before)."""
        for code_hash in codes.hashes:
            meta = tips.find_by_code_hash(conn, code_hash)
            if meta is not None:
                return meta
        return None

    def count_wrong(self, conn: Connection, sender: Keyed, now: float) -> None:
        """Count a failed check against the sender and the line (in the write transaction)."""
        throttle.hit(conn, key=sender.current, limit=SENDER_LIMIT, window_seconds=WINDOW, now=now)
        throttle.hit(conn, key=_GLOBAL_KEY, limit=GLOBAL_LIMIT, window_seconds=WINDOW, now=now)
        log.info("follow-up code not found")

    @staticmethod
    def _wrong(codes: Codes, state: ConversationState) -> FollowUpResult:
        """A whole message that is a code but opens nothing: a typo, a sender who must wait, or unknown."""
        if codes.typo:
            return FollowUpResult([("followup.typo", {})], state)
        if codes.blocked:
            return FollowUpResult([("followup.wait", {})], state)
        return FollowUpResult([("followup.unknown", {})], state)

    def open(
        self, conn: Connection, *, tip_id: str, remainder: str, state: ConversationState, now: float
    ) -> FollowUpResult:
        """A code that matched: the conversation adds to that tip; words sent with the code join it."""
        state = ConversationState(locale=state.locale, status=Status.FINISHED, extra={FOLLOWUP: tip_id})
        messages: list[tuple[str, dict[str, str]]] = [("followup.welcome", {})]
        for question in questions.take_undelivered(conn, box=self.question_box, tip_id=tip_id, now=now):
            messages.append(("followup.question", {"question": question}))
        first: tuple[str, ...] | None = ()
        if self.engine.only_asks_signs(state.locale, remainder):  # "my code is X, what are the signs?"
            messages.extend((msgid, {}) for msgid in SUMMARY)
        elif len(remainder.split()) >= ADDED_WITH_CODE_MIN_WORDS:
            first = self._seal_added(conn, tip_id=tip_id, text=remainder, locale=state.locale, now=now)
            messages.append(("followup.added", {}))
        log.info("follow-up opened", extra={"tip": tip_id})
        return FollowUpResult(messages, state, tip_id, first=first or ())

    def _seal_added(
        self, conn: Connection, *, tip_id: str, text: str, locale: str, now: float
    ) -> tuple[str, ...] | None:
        """Seal added words into the tip; danger in them raises its alert and makes it P1, as danger
        words after the close do from the reporter's own phone.  The emergency reply, if any; None
        when the tip is gone (deleted under retention rules)."""
        notice, danger = self.engine.added_words_alarm(locale, text, self.context)
        if not seal_addendum(conn, secrets=self.secrets, tip_id=tip_id, texts=[text], now=now,
                             raise_to=DANGER_PRIORITY if danger else None):
            return None
        if danger:
            raise_danger_alert(conn, secrets=self.secrets, tip_id=tip_id, now=now)
        return (notice,) if notice else ()

    @staticmethod
    def _must_wait(conn: Connection, sender: Keyed, now: float) -> bool:
        """A sender waits after its own limit; the line-wide limit slows only senders that
        already failed, so a flood of wrong codes never locks out a reporter with a good one.
        Its failures are counted under every THROTTLE epoch still open (a new hour starts no
        fresh allowance)."""
        failed = throttle.failures_of(conn, keys=sender.tried, window_seconds=WINDOW, now=now)
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
        if command is Command.SIGNS or self.engine.only_asks_signs(state.locale, text):  # answered, nothing added
            return FollowUpResult([*((msgid, {}) for msgid in SUMMARY), ("followup.welcome", {})], state, tip_id)
        if command is not None or not text.strip():
            return FollowUpResult([("followup.welcome", {})], state, tip_id)
        first = self._seal_added(conn, tip_id=tip_id, text=text, locale=state.locale, now=now)
        if first is None:  # the tip was deleted under retention rules
            ended = ConversationState(locale=state.locale, status=Status.ENDED)
            return FollowUpResult([("followup.unknown", {})], ended)
        return FollowUpResult([("followup.added", {})], state, tip_id, first=first)
