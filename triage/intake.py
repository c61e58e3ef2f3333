"""The one "handle this inbound message" service (DESIGN.md, "The flow of one message").

Every edge (Twilio, Telegram, ``tipline chat``) calls ``IntakeService.handle``.
Inside one database transaction it records the provider message id, runs the
engine on the conversation's state, scores, routes and seals the tip on engine
events, queues the replies and saves the new state: all of it commits together
or not at all.  What a message does is worked out once (``triage.plan``); the two
paths differ only in how they hold the database while doing it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from sqlalchemy import Connection, Engine

from bot import Engine as ConversationEngine
from bot.types import (
    TELEGRAM, Context, ConversationState, Event, EventKind, InboundMessage, OutboxMessage, Outcome, Region, Reply,
    SMS, Status, WHATSAPP,
)
from storage import conversations, inbound, outbox, periods, refcodes
from storage.conversations import ConversationRow, RowStatus
from storage.crypto import Box, KdfParams, ServerSecrets
from storage.db import end_read_snapshot, writer_lock
from storage.purposes import Purpose
from triage.expiry import IdleExpiry
from triage.followup import FollowUps
from triage.plan import Plan, Reading, plan, read
from triage.routing import Routing, partner_kinds
from triage.rules import Rules
from triage.sealer import TipSealer
from triage.telegram_history import TelegramHistory
from triage.tiplink import TIP_LINK, TipLinks

log = logging.getLogger(__name__)

CARRIER_CHANNELS = (SMS, WHATSAPP)

# The edge's own bookkeeping, run in the message's transaction: (conn, conversation_id, now).
Also = Callable[[Connection, str, float], None]


@dataclass
class Handled:
    """What an edge needs to answer its provider."""

    conversation_id: str
    replies: list[Reply] = field(repr=False)
    duplicate: bool = False
    send: bool = True
    # Handled on the optimistic path: no event, so the replies are plain questions and
    # notices (never a reference code), the same for every reporter at that step.
    routine: bool = False


class IntakeService:
    def __init__(
        self, *, db: Engine, secrets: ServerSecrets, engine: ConversationEngine, region: Region, rules: Rules,
        routing: Routing, code_kdf: KdfParams, default_locale: str, idle_seconds: int, followup_days: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.secrets = secrets
        self.engine = engine
        self.clock = clock
        self.followup_days = followup_days
        self.idle_seconds = idle_seconds
        self.retain_seconds = followup_days * 86400
        self.links = TipLinks(secrets=secrets)
        self.sealer = TipSealer(secrets=secrets, rules=rules, routing=routing, region=region, code_kdf=code_kdf)
        self.followups = FollowUps(secrets=secrets, kdf=code_kdf, question_box=secrets.box(Purpose.STAFF_QUESTIONS),
                                   engine=engine, default_locale=default_locale)
        self._context = Context(region=region, new_code=_display_code, partners=partner_kinds(routing))
        self._state_box: Box = secrets.box(Purpose.CONVERSATION_STATE)
        self._reply_root = secrets.subkey(Purpose.INBOUND_REPLIES)
        self._outbox_box: Box = secrets.box(Purpose.OUTBOX)
        self._telegram = TelegramHistory(box=self._outbox_box, words=engine.words)
        self._expiry = IdleExpiry(db=db, state_box=self._state_box, engine=engine, sealer=self.sealer,
                                  context=lambda: self._context, retain_seconds=self.retain_seconds)
        self._writer = writer_lock(db)

    # -- the hot path ----------------------------------------------------------------

    def handle(self, msg: InboundMessage, *, inline: bool = True, also: Also | None = None) -> Handled:
        """Handle one inbound message in one transaction.

        ``inline``: the edge sends the replies itself (terminal, TwiML); otherwise they
        are queued in the outbox for the sender.  Either way they are kept (sealed) with
        the provider id, so a redelivery gets the same replies again.
        ``also(conn, conversation_id, now)``: the edge's own bookkeeping (provider-copy
        deletion, reply windows), run in the same transaction for a first delivery only.
        """
        now = self.clock()
        fast = self._handle_optimistic(msg, inline=inline, also=also, now=now)
        if fast is not None:
            return fast
        return self._handle_locked(msg, inline=inline, also=also, now=now)

    def _handle_optimistic(self, msg: InboundMessage, *, inline: bool, also: Also | None, now: float) -> Handled | None:
        """The common case, with the write lock held only for the writes.

        A message in the middle of an interview that raises no event is worked out from
        a plain read; the writes then commit only if the conversation is still at the
        revision that was read.  Anything else (a new conversation, an event to seal,
        expiry, follow-up codes, a lost race) returns None for ``_handle_locked``, which
        does it all under the lock.  On SQLite this keeps the single writer's lock short.
        """
        lookup = conversations.lookup_key(self.secrets, msg.channel, msg.address)
        with self.db.connect() as conn:
            # A plain read outside any write transaction.  A redelivery is caught when the
            # write phase claims the provider id, and then replayed by the locked path.
            conv = conversations.find(conn, box=self._state_box, lookup=lookup)
            end_read_snapshot(conn)  # so the write phase below starts a fresh transaction
            if conv is None or conv.status == RowStatus.OPTED_OUT:  # the opt-out is read under the lock
                return None
            reading = read(conv, msg, now)
            if not reading.fast:
                return None  # a new interview, expiry, follow-ups and codes go through the locked path
            outcome = self.engine.handle(reading.state, msg, self._context)
            if outcome.events:
                return None
            done = self._plan(conv.id, msg, outcome, send=outcome.send, tip_id=conv.tip_id)
            try:
                self._write_optimistic(conn, conv, msg, done, inline=inline, also=also, now=now)
            except _LostRace:
                return None
        log.debug("inbound handled", extra={"conversation": conv.id})
        return Handled(conv.id, done.replies, duplicate=False, send=done.send, routine=True)

    def _write_optimistic(
        self, conn: Connection, conv: ConversationRow, msg: InboundMessage, done: Plan, *,
        inline: bool, also: Also | None, now: float,
    ) -> None:
        """The writes of the fast path, sealed before the lock; _LostRace if another delivery got there first."""
        sealed_state = conversations.seal_state(self._state_box, conv.id, done.stored.state)
        key = response = None
        if msg.provider_id is not None:
            key = inbound.inbound_key(self.secrets, msg.channel, msg.provider_id)
            response = inbound.seal_response(self._reply_box(msg.channel, msg.provider_id), key, done.payload)
        with self._writer, conn.begin():  # _LostRace rolls it back
            if key is not None and response is not None \
                    and not inbound.claim_with_response(conn, key=key, now=now, response=response):
                raise _LostRace
            if not conversations.save_if_unchanged(
                conn, conv=replace(conv, tip_id=done.tip_id), sealed_state=sealed_state, status=done.status,
                now=now, idle_seconds=self.idle_seconds, retain_seconds=self.retain_seconds,
            ):
                raise _LostRace
            self._queue(conn, conv.id, msg, done, inline=inline, now=now)
            if also is not None:
                also(conn, conv.id, now)

    def _handle_locked(self, msg: InboundMessage, *, inline: bool, also: Also | None, now: float) -> Handled:
        """Everything under the write lock: new conversations, events, expiry, follow-ups, races."""
        with self._writer, self.db.begin() as conn:
            key = reply_box = None
            if msg.provider_id is not None:
                key = inbound.inbound_key(self.secrets, msg.channel, msg.provider_id)
                reply_box = self._reply_box(msg.channel, msg.provider_id)
                if not inbound.claim(conn, key=key, now=now):
                    stored = [OutboxMessage.from_dict(r) for r in inbound.stored_response(conn, box=reply_box, key=key)]
                    return Handled("", [Reply(m.text, m.buttons) for m in stored], duplicate=True, send=bool(stored))
            lookup = conversations.lookup_key(self.secrets, msg.channel, msg.address)
            conv, _ = conversations.open_conversation(
                conn, box=self._state_box, lookup=lookup, channel=msg.channel, now=now,
                idle_seconds=self.idle_seconds, retain_seconds=self.retain_seconds,
            )
            done, urgent_tip = self._answer_locked(conn, conv, msg, read(conv, msg, now), lookup=lookup, now=now)
            conversations.save_conversation(
                conn, box=self._state_box, conv=replace(conv, tip_id=done.tip_id), state=done.stored.state,
                status=done.status, now=now, idle_seconds=self.idle_seconds, retain_seconds=self.retain_seconds,
            )
            self._queue(conn, conv.id, msg, done, inline=inline, now=now)
            if key is not None and reply_box is not None:
                inbound.store_response(conn, box=reply_box, key=key, replies=done.payload)
            if also is not None:
                also(conn, conv.id, now)
        if urgent_tip is not None:
            # After the commit (so a rolled-back message pages no one), at WARNING so that log
            # monitoring can page the on-call person; the tip id only ('tipline alerts list').
            log.warning("urgent tip: on-call alert raised", extra={"tip": urgent_tip})
        log.debug("inbound handled",
                  extra={"conversation": conv.id, "events": [e.kind.value for e in done.outcome.events]})
        return Handled(conv.id, done.replies, duplicate=False, send=done.send)

    def _answer_locked(
        self, conn: Connection, conv: ConversationRow, msg: InboundMessage, reading: Reading, *,
        lookup: bytes, now: float,
    ) -> tuple[Plan, str | None]:
        """Expire, resume, answer (follow-up or engine), apply carrier consent and seal.

        Returns the plan to write, and the tip that raised an on-call alert (if any).
        """
        state, tip_id = self._resume(conn, conv, msg, reading, now=now)
        outcome = self.followups.answer(
            conn, msg=msg, lookup=lookup, state=state, code_attempt=reading.code_attempt, now=now,
        ) or self.engine.handle(state, msg, self._context)
        send = outcome.send
        if msg.channel in CARRIER_CHANNELS:
            # Called whatever the engine said: STOP itself has send=False and must be recorded.
            allowed = self._carrier_consent(conn, lookup, conv.id, outcome.events, now,
                                            check_table=state is None or conv.status == RowStatus.OPTED_OUT)
            send = send and allowed
        tip_id = self.sealer.apply(conn, tip_id=tip_id, state=outcome.state, events=outcome.events,
                                   channel=msg.channel, now=now)
        urgent_tip = tip_id if any(e.kind is EventKind.URGENT for e in outcome.events) else None
        done = self._plan(conv.id, msg, outcome, send=send, tip_id=tip_id)
        if conv.status == RowStatus.OPTED_OUT and not send and done.status in (RowStatus.NEW, RowStatus.ACTIVE):
            done = replace(done, status=RowStatus.OPTED_OUT)  # an opt-out from a status callback holds
        return done, urgent_tip

    def _resume(
        self, conn: Connection, conv: ConversationRow, msg: InboundMessage, reading: Reading, *, now: float,
    ) -> tuple[ConversationState | None, str | None]:
        """The state to answer from and the tip it adds to, after expiry "on the next message"."""
        state, tip_id = reading.state, conv.tip_id
        if state is not None and reading.expired:
            # Seal what was given before going on.
            expired = self.engine.expire(state, self._context)
            tip_id = self.sealer.apply(conn, tip_id=tip_id, state=expired.state, events=expired.events,
                                       channel=msg.channel, now=now)
            state = expired.state
        if state is None or state.status == Status.ENDED:
            return state, None  # a new interview makes a new tip
        if TIP_LINK in state.extra:
            return state, self.links.open(state.extra[TIP_LINK], channel=msg.channel, address=msg.address)
        return state, tip_id

    def _plan(self, conv_id: str, msg: InboundMessage, outcome: Outcome, *, send: bool, tip_id: str | None) -> Plan:
        if outcome.failed is not None:
            # The reporter got the engine's error reply; the type name only (a message may quote them).
            log.warning("engine fell back to its error reply", extra={"conversation": conv_id, "error": outcome.failed})
        return plan(outcome, send=send, tip_id=tip_id,
                    link=lambda tip: self.links.seal(tip, channel=msg.channel, address=msg.address))

    def _queue(
        self, conn: Connection, conv_id: str, msg: InboundMessage, done: Plan, *, inline: bool, now: float
    ) -> None:
        """Telegram bookkeeping, and the outbox for channels whose replies do not ride inline."""
        queued: Sequence[OutboxMessage] = done.messages
        if msg.channel == TELEGRAM:
            queued = self._telegram.around_reply(
                conn, conversation_id=conv_id, msg=msg, messages=queued, outcome=done.outcome, now=now,
            )
        if queued and not inline:
            destination, dest_period = periods.seal_address(
                conn, secrets=self.secrets, address=msg.address, channel=msg.channel, now=now,
                followup_days=self.followup_days,
            )
            outbox.enqueue(
                conn, box=self._outbox_box, conversation_id=conv_id, channel=msg.channel, destination=destination,
                address_period=dest_period, messages=[m.to_dict() for m in queued], now=now,
            )

    def _reply_box(self, channel: str, provider_id: str) -> Box:
        """Replies kept for a redelivery, under a key only the provider's message id opens.

        The database holds just a keyed hash of that id, so the stored replies (a close
        reply carries the reference code) stay closed even to a thief with the secrets.
        """
        # HMAC-SHA256 as the key derivation (one HKDF-Expand block with a fixed root key).
        return Box(hmac.new(self._reply_root, f"{channel}:{provider_id}".encode(), hashlib.sha256).digest())

    def _carrier_consent(
        self, conn: Connection, lookup: bytes, conv_id: str, events: Sequence[Event], now: float,
        *, check_table: bool,
    ) -> bool:
        """Apply carrier opt-out/opt-in words; True if the line may send to this address.

        A conversation in progress carries its opt-out in its state (the engine stays
        silent); the table is read for a new one, whose sender may have opted out in a
        conversation since purged, and for one a carrier refusal (21610) marked opted out.
        """
        for event in events:
            if event.kind is EventKind.OPTED_OUT:
                conversations.record_opt_out(conn, lookup=lookup, now=now, conversation_id=conv_id)
                return False
            if event.kind is EventKind.OPTED_IN:
                conversations.set_opt_out(conn, lookup=lookup, opted_out=False, now=now)
                return False
        return not (check_table and conversations.is_opted_out(conn, lookup))

    # -- scheduled work --------------------------------------------------------------

    def expire_idle(self, *, limit: int = 100) -> int:
        """Seal what idle conversations gave, as incomplete tips.  Returns how many expired."""
        return self._expiry.run(now=self.clock(), limit=limit)


class _LostRace(Exception):
    """Another delivery changed the conversation (or claimed the message) first: redo under the lock."""


def _display_code(new: Callable[[], str] = refcodes.new_code) -> str:
    """A fresh reference code in its grouped, readable form (e.g. 7KQ2-M9XD-4TRW5)."""
    return refcodes.display(new())
