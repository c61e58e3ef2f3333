"""The one "handle this inbound message" service (DESIGN.md, "The flow of one message").

Every edge (Twilio, Telegram, ``tipline chat``) calls ``IntakeService.handle``.
Inside one database transaction it records the provider message id, runs the
engine on the conversation's state, scores, routes and seals the tip on engine
events, queues the replies and saves the new state: all of it commits together
or not at all.  What a message does is worked out once (``triage.plan``); the two
paths differ only in how they hold the database while doing it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import cache, partial
from typing import Callable

from sqlalchemy import Connection

from bot.types import (
    ConversationState, Event, EventKind, InboundMessage, Outcome, Status,
)
from bot.words import Alarm
from storage import conversations, inbound, opt_outs
from storage.conversations import ConversationRow, RowStatus
from storage.db import end_read_snapshot, start_plain_reads
from storage.lookups import Keyed
from triage.codesupply import CodeSupply
from triage.followup import FOLLOWUP, Codes, without_near_misses
from triage.intake_base import CARRIER_CHANNELS, Also, Handled, IntakeBase
from triage.plan import Plan, Reading, read
from triage.sealer import Sealing, is_addendum
from triage.tiplink import TIP_LINK

log = logging.getLogger(__name__)

__all__ = ["Also", "Handled", "IntakeService"]


class IntakeService(IntakeBase):
    """The two paths of one message: optimistic (the lock only for the writes) and locked."""

    # -- the hot path ----------------------------------------------------------------

    def handle(
        self, msg: InboundMessage, *, inline: bool = True, also: Also | None = None, screen: bool = True,
    ) -> Handled:
        """Handle one inbound message in one transaction.

        ``inline``: the edge sends the replies itself (terminal, TwiML); otherwise they
        are queued in the outbox for the sender.  Either way they are kept (sealed) with
        the provider id, so a redelivery gets the same replies again.
        ``also(conn, conversation_id, now)``: the edge's own bookkeeping (provider-copy
        deletion, reply windows), run in the same transaction for a first delivery only.

        The slow work runs before the write lock (issue 11): code candidates are hashed
        (Argon2id, after the throttle), a reference code is drawn and hashed when the
        message closes an interview, and tip versions are sealed; the lock is held only
        for the writes, which commit only if nothing moved since the plain read.
        The abuse limits (``gate``, issue 13) come first of all; ``screen=False`` is the
        worker feeding a message they held back.
        """
        now = self.clock()
        lookup = self._lookup(msg)
        # The wrong-code counter's key, hashed only for a message that holds a code candidate.
        sender: Callable[[], Keyed] = cache(partial(self.followups.sender, msg.channel, msg.address))
        with self.db.connect() as conn:
            start_plain_reads(conn)  # the slow work below runs while other reporters write
            if self.gate is not None and screen:  # the limits' read brings the conversation too
                screened, conv = self.gate.screen(conn, msg, lookup=lookup, inline=inline, also=also, now=now)
                if isinstance(screened, Handled):
                    return screened
                also = screened
            else:
                conv = conversations.find(conn, boxes=self._states, lookup=lookup)
            codes = self.followups.prepare(conn, text=msg.text or "", sender=sender, now=now)
            msg, codes = without_near_misses(msg, codes)  # never kept, nor read
            supply = CodeSupply(self.sealer.code_hash)
            fast = self._try_fast(conn, conv, msg, lookup=lookup, sender=sender, codes=codes, supply=supply,
                                  inline=inline, also=also, now=now)
        if fast is not None:
            return fast
        return self._handle_locked(msg, lookup=lookup, sender=sender, inline=inline, also=also, now=now,
                                   codes=codes, supply=supply)

    def _try_fast(
        self, conn: Connection, conv: ConversationRow | None, msg: InboundMessage, *, lookup: Keyed,
        sender: Callable[[], Keyed], codes: Codes, supply: CodeSupply, inline: bool, also: Also | None, now: float,
    ) -> Handled | None:
        """The common cases with the write lock held only for the writes; None for the locked path.

        New conversations, answers, urgent answers, completions and a new sender's wrong code
        are worked out from a plain read (the engine, scoring, sealing, the code's hash); the
        writes then commit only if the conversation is still at the revision read and the tip
        at its version.  Expiry, follow-ups, good codes, carrier words and lost races go
        through ``_handle_locked``.
        """
        outcome = self._fast_outcome(conn, conv, msg, codes=codes, supply=supply, now=now)
        if outcome is None:
            end_read_snapshot(conn)
            return None
        send = outcome.send
        if conv is None and msg.channel in CARRIER_CHANNELS:
            send = send and not opt_outs.is_opted_out(conn, lookup)
        tip_id = conv.tip_id if conv is not None else None
        sealed = self.sealer.prepare(conn, tip_id=tip_id, state=outcome.state, events=outcome.events,
                                     channel=msg.channel, now=now, code_hash=supply.hash)
        conv_id = conv.id if conv is not None else conversations.new_id()
        done = self._plan(conv_id, msg, outcome, send=send, tip_id=sealed.tip_id if sealed else tip_id)
        end_read_snapshot(conn)  # so the write phase below starts a fresh transaction
        keys = self._inbound_keys(msg)  # once per message: the claim, the kept replies, the handle
        try:
            self._write_fast(conn, conv, conv_id, lookup, msg, done, sealed, keys=keys, inline=inline, now=now,
                             also=self._counting(codes, sender, also))
        except _LostRace:
            return None
        return self._handled(conv_id, done, routine=not outcome.events, handle=self._handle_of(keys, inline))

    def _fast_outcome(
        self, conn: Connection, conv: ConversationRow | None, msg: InboundMessage, *, codes: Codes,
        supply: CodeSupply, now: float,
    ) -> Outcome | None:
        """What the message does, from the plain read; None when it needs the locked path."""
        if conv is None and codes.any:  # a new sender's wrong code is answered here; a good one is not
            return self.followups.wrong_code_reply(conn, codes=codes)
        if conv is not None and conv.status == RowStatus.OPTED_OUT:
            return None  # an opt-out (a carrier word or a 21610 status callback) is read under the lock
        reading = read(conv, msg, now, code_attempt=codes.any) if conv is not None else None
        if reading is not None and not reading.fast:
            return None
        outcome = self.engine.handle(reading.state if reading else None, msg, self._context_for(supply))
        if any(e.kind in (EventKind.OPTED_OUT, EventKind.OPTED_IN) for e in outcome.events) \
                or is_addendum(outcome.state, outcome.events):
            return None
        return outcome

    def _counting(self, codes: Codes, sender: Callable[[], Keyed], also: Also | None) -> Also | None:
        """The edge's bookkeeping, plus counting a failed code check in the same transaction."""
        if not codes.hashes:
            return also
        counter = sender()  # already hashed by ``prepare``: nothing more under the lock

        def count_then_also(conn: Connection, conv_id: str, now: float) -> None:
            self.followups.count_wrong(conn, counter, now)
            if also is not None:
                also(conn, conv_id, now)
        return count_then_also

    def _write_fast(
        self, conn: Connection, conv: ConversationRow | None, conv_id: str, lookup: Keyed, msg: InboundMessage,
        done: Plan, sealed: Sealing | None, *, keys: list[bytes], inline: bool, also: Also | None, now: float,
    ) -> None:
        """The writes of the fast path, sealed before the lock; _LostRace if anything moved first."""
        sealed_state = self._states.seal(conv_id, done.stored.state, resting=done.stored.resting)
        response = self._sealed_replies(msg, keys, done, inline=inline)

        def writes(tx: Connection) -> None:
            # Runs on whichever thread commits the batch it joins (storage.group_commit), on that
            # thread's connection.  If any message of the batch raises (_LostRace, a driver error),
            # the batch is rolled back and run again, each message in a savepoint, so this may run
            # twice, and can: it changes nothing worked out before the lock (neither do the sealer's
            # write, _queue or the edges' ``also``; Telegram's edit works on a copy), and what its
            # statements do depends only on the database.  What it seals under the lock (outbox,
            # chat log) gets a fresh nonce; the first run's rows were rolled back.  Outside the
            # transaction it only logs ("tip sealed", a wrong code): a rerun logs those twice.
            if keys and not inbound.claim(tx, keys=keys, now=now, response=response):
                raise _LostRace
            if sealed is not None and not self.sealer.write(tx, sealed, now=now):
                raise _LostRace
            if conv is None:
                saved = conversations.create_with_state(
                    tx, conv_id=conv_id, lookup=lookup, channel=msg.channel, sealed_state=sealed_state,
                    status=done.status, tip_id=done.tip_id, now=now, idle_seconds=self.idle_seconds,
                    retain_seconds=self.retain_seconds)
            else:
                saved = conversations.save_if_unchanged(
                    tx, conv=replace(conv, tip_id=done.tip_id), lookup=lookup, sealed_state=sealed_state,
                    status=done.status, now=now, idle_seconds=self.idle_seconds, retain_seconds=self.retain_seconds)
            if not saved:
                raise _LostRace
            self._queue(tx, conv_id, msg, done, inline=inline, now=now)
            if also is not None:
                also(tx, conv_id, now)

        self._group.run(conn, writes)

    def _handle_locked(
        self, msg: InboundMessage, *, lookup: Keyed, sender: Callable[[], Keyed], inline: bool, also: Also | None,
        now: float, codes: Codes, supply: CodeSupply,
    ) -> Handled:
        """Everything else under the write lock: expiry, follow-ups, codes, carrier words, races."""
        lookups = self._inbound_keys(msg)  # keyed hashes: computed before the lock, which is for writes
        with self._writer, self.db.begin() as conn:
            if lookups and not inbound.claim(conn, keys=lookups, now=now):
                return self._redelivered(conn, msg, lookups)
            conv, _ = conversations.open_conversation(
                conn, boxes=self._states, lookup=lookup, channel=msg.channel, now=now,
                idle_seconds=self.idle_seconds, retain_seconds=self.retain_seconds,
            )
            reading = read(conv, msg, now, code_attempt=codes.any)
            done = self._answer_locked(conn, conv, msg, reading, lookup=lookup, sender=sender, codes=codes,
                                       supply=supply, now=now)
            conversations.save_conversation(
                conn, conv=replace(conv, tip_id=done.tip_id), lookup=lookup, status=done.status, now=now,
                sealed_state=self._states.seal(conv.id, done.stored.state, resting=done.stored.resting),
                idle_seconds=self.idle_seconds, retain_seconds=self.retain_seconds,
            )
            self._queue(conn, conv.id, msg, done, inline=inline, now=now)
            response = self._sealed_replies(msg, lookups, done, inline=inline)
            if response is not None:
                inbound.store_response(conn, key=lookups[0], response=response)
            if also is not None:
                also(conn, conv.id, now)
        return self._handled(conv.id, done, handle=self._handle_of(lookups, inline))

    def _answer_locked(
        self, conn: Connection, conv: ConversationRow, msg: InboundMessage, reading: Reading, *,
        lookup: Keyed, sender: Callable[[], Keyed], codes: Codes, supply: CodeSupply, now: float,
    ) -> Plan:
        """Expire, resume, answer (follow-up or engine), apply carrier consent and seal."""
        state, tip_id = self._resume(conn, conv, msg, reading, now=now)
        answer = self.followups.answer(conn, msg=msg, sender=sender, state=state, codes=codes, now=now)
        if answer.interrupted is not None:  # a code mid-interview: what was given is sealed first
            self._seal(conn, tip_id, self.engine.expire(answer.interrupted, self._context), msg, now, supply)
        outcome = answer.outcome or self._after_close(state, answer.msg, self.engine.handle(
            state, answer.msg, self._context_for(supply)))
        send = outcome.send
        if msg.channel in CARRIER_CHANNELS:
            # Called whatever the engine said: STOP itself has send=False and must be recorded.
            allowed = self._carrier_consent(conn, lookup, conv.id, outcome.events, now,
                                            check_table=state is None or conv.status == RowStatus.OPTED_OUT)
            send = send and allowed
        tip_id = self._seal(conn, tip_id, outcome, msg, now, supply)
        done = self._plan(conv.id, msg, outcome, send=send, tip_id=tip_id)
        if conv.status == RowStatus.OPTED_OUT and not send and done.status in (RowStatus.NEW, RowStatus.ACTIVE):
            done = replace(done, status=RowStatus.OPTED_OUT)  # an opt-out from a status callback holds
        return done


    def _after_close(self, state: ConversationState | None, msg: InboundMessage, outcome: Outcome) -> Outcome:
        """Danger words after the close bring the number (the engine) and raise the tip's alert (here)."""
        if state is None or state.status != Status.FINISHED or outcome.state.status != Status.FINISHED:
            return outcome
        alarm = self.engine.alarm_in(state.locale, msg.text or "", self._context.region.emergency)
        if alarm not in (Alarm.DANGER, Alarm.NUMBER):
            return outcome
        return replace(outcome, events=[*outcome.events, Event(EventKind.URGENT, "danger")])

    def _resume(
        self, conn: Connection, conv: ConversationRow, msg: InboundMessage, reading: Reading, *, now: float,
    ) -> tuple[ConversationState | None, str | None]:
        """The state to answer from and the tip it adds to, after expiry "on the next message"."""
        state, tip_id = reading.state, conv.tip_id
        if conv.lost:
            # The worker was down past the state's window: its key is gone, so is what it held.
            log.warning("conversation state past its key window: started over", extra={"lost": 1})
        if state is not None and reading.expired:
            # Seal what was given before going on; an idle follow-up forgets its tip.
            expired = self.engine.expire(state, self._context)
            tip_id = self.sealer.apply(conn, tip_id=tip_id, state=expired.state, events=expired.events,
                                       channel=msg.channel, now=now)
            state = expired.state
            state.extra.pop(FOLLOWUP, None)
        if state is not None and TIP_LINK in state.extra:
            # Back from the same phone within the follow-up window: a finished report, or one
            # ended by EXIT or "not safe to text", adds to the same tip (issue 8).
            return state, self.links.open(state.extra[TIP_LINK], channel=msg.channel, address=msg.address)
        if state is None or state.status == Status.ENDED:
            return state, None  # a new interview makes a new tip
        return state, tip_id


class _LostRace(Exception):
    """Another delivery changed the conversation (or claimed the message) first: redo under the lock."""
