"""What happens to a message from a sender over the abuse limits, and how it is fed later.

Decision: over-limit messages are **kept, not dropped** (sealed in ``held_message``) and the
worker feeds them through the normal intake path once the sender's window has passed.  A
person in a hurry who sends twenty short lines must not lose what they said; a flood costs
disk, which ``LimitSettings.held_per_sender`` bounds per window (what is past it is dropped
and counted in the logs).  Until then the sender gets one polite reply, then silence.

Danger is never turned away: a held message with emergency words gets the fixed emergency
notice every time, at once.  The processing behind it (the engine, scoring, the tip and its
on-call alert) waits with the rest of the held messages, so "sos" is no way around the limits.
Carrier words (STOP, HELP...) are never held: consent must be honoured at once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from bot import messages as m
from bot.commands import carrier_action
from bot.types import InboundMessage, OutboxMessage, Reply
from bot.words import Alarm, canon_tokens
from storage import conversations, held, inbound, outbox, periods
from storage.conversations import RowStatus
from storage.crypto import DecryptionFailed
from storage.db import end_read_snapshot
from storage.lookups import Keyed
from storage.epochs import EpochDestroyed
from storage.purposes import Purpose
from triage.intake_base import Also, Handled
from triage.limits import TOO_MANY, SenderLimits, Verdict

if TYPE_CHECKING:
    from triage.intake import IntakeService

log = logging.getLogger("triage.intake")


class _Taken(Exception):
    """Another worker fed this held message first: roll this one back."""


class Gate:
    """The limits in front of ``IntakeService.handle``, and the worker's feed of held messages."""

    def __init__(self, intake: IntakeService, limits: SenderLimits) -> None:
        self.intake, self.limits = intake, limits
        self._box = limits.epochs.box(Purpose.CONVERSATION_STATE)  # held text lives as long as state

    def screen(
        self, conn: Connection, msg: InboundMessage, *, lookup: Keyed, inline: bool, also: Also | None, now: float,
    ) -> tuple[Handled | Also, conversations.ConversationRow | None]:
        """(Handled (held) when over a limit, otherwise the ``also`` that counts the message; the
        sender's conversation, which the intake goes on from).

        ``conn`` is the intake's plain-read connection (issue 11: one connection per message, not
        two, and one statement: the limits' numbers and the conversation are read together); a
        held message ends its read snapshot before the hold's own write transaction.
        """
        boxes = self.intake._states
        if carrier_action(msg.channel, msg.text or "") is not None:  # consent is never held: the row alone
            return self.limits.counting(self._verdict_for(msg), also), conversations.find(
                conn, boxes=boxes, lookup=lookup)
        verdict, conv = self.limits.check_and_find(conn, msg, boxes=boxes, lookup=lookup, now=now)
        if not verdict.hold:
            return self.limits.counting(verdict, also), conv
        end_read_snapshot(conn)
        return self._hold(msg, verdict, conv, inline=inline, now=now), conv

    def _verdict_for(self, msg: InboundMessage) -> Verdict:
        return Verdict(self.limits.key(msg), hold=False)

    def _hold(
        self, msg: InboundMessage, verdict: Verdict, conv: conversations.ConversationRow | None, *,
        inline: bool, now: float,
    ) -> Handled:
        """Keep the message (sealed before the lock), answer danger, and say "slow down" once."""
        state = conv.state if conv is not None else None
        locale = str((state or {}).get("locale") or self.intake.engine.default_locale)
        sealed = self._box.encrypt(json.dumps(asdict(msg) | {"provider_id": None}).encode())
        replies = self._danger(msg, locale)
        conv_id = conv.id if conv is not None else conversations.new_id()
        keys = self.intake._inbound_keys(msg)  # [] without a provider id
        with self.intake._writer, self.intake.db.begin() as conn:
            if keys and not inbound.claim(conn, keys=keys, now=now):
                return self.intake._redelivered(conn, msg, keys)
            # Count first: the count's upsert locks the sender's throttle row until commit, so on
            # PostgreSQL a second message of the same sender held at the same moment waits here
            # and then reads the first one's hold: one polite reply, not two (the flood drill).
            counted = self.limits.count(conn, verdict, now)
            had_held = self.limits.has_held(conn, msg)
            if self.limits.keeps(counted):
                held.hold(conn, rate_key=verdict.key, sealed=sealed, now=now)
            elif self.limits.keeps(counted - 1):  # once per sender and window, not once per message
                log.warning("held messages past the cap dropped: the rest of this minute's from one sender")
            if self.limits.first_over(had_held=had_held):
                replies.append(self._render(locale, TOO_MANY))
            if conv is not None and conv.status == RowStatus.OPTED_OUT:
                replies = []  # the carrier holds an opt-out: nothing goes to the number
            kept = self._answer(conn, msg, conv_id, replies, keys, inline=inline, now=now)
        log.info("message held over the limits", extra={"flood": verdict.flood, "replied": len(replies)})
        return Handled(conv_id, [Reply(text) for text in replies], send=bool(replies),
                       reply_handle=keys[0].hex() if kept else None)

    def _answer(
        self, conn: Connection, msg: InboundMessage, conv_id: str, replies: list[str], keys: list[bytes], *,
        inline: bool, now: float,
    ) -> bool:
        """Keep inline replies for a redelivery (True if kept); queue them when they do not ride inline.

        As in ``IntakeService``: only replies that ride back inline (Twilio's TwiML) are kept; the
        outbox delivers the others once, so a redelivery is only acknowledged.
        """
        payload = [OutboxMessage(text=text).to_dict() for text in replies]
        it = self.intake
        if inline and keys and msg.provider_id is not None and replies:
            response = inbound.seal_response(it.epochs, msg.channel, msg.provider_id, keys[0], payload)
            inbound.store_response(conn, key=keys[0], response=response)
            return True
        if not replies or inline:
            return False
        destination, period = periods.seal_address(it.epochs, address=msg.address, channel=msg.channel)
        outbox.enqueue(conn, box=it._outbox_box, conversation_id=conv_id, channel=msg.channel,
                       destination=destination, address_period=period, messages=payload, now=now)
        return False

    def _danger(self, msg: InboundMessage, locale: str) -> list[str]:
        engine = self.intake.engine
        alarm = engine._vocab_of(locale).alarm(canon_tokens(msg.text or ""), self.intake._context.region.emergency)
        return [self._render(locale, m.EMERGENCY)] if alarm is not Alarm.NONE else []

    def _render(self, locale: str, msgid: str) -> str:
        engine = self.intake.engine
        return engine.render.text(locale, msgid, **engine._params_in(locale, self.intake._context))

    # -- the worker's side -------------------------------------------------------------

    def feed(self, *, senders: int = 50, budget: int = 500) -> dict[str, int]:
        """Feed held messages older than the window, in turns: the oldest of each sender, again and
        again, up to ``budget`` a round (one sender's backlog never starves another's)."""
        fed = lost = 0
        while fed + lost < budget:
            done = self._feed_turn(senders)
            if done == (0, 0):
                break
            fed, lost = fed + done[0], lost + done[1]
        return {"held_fed": fed, "held_unreadable": lost}

    def _feed_turn(self, senders: int) -> tuple[int, int]:
        now = self.intake.clock()
        with self.intake.db.connect() as conn:
            batch = held.next_round(conn, before=now - self.limits.settings.window_seconds, senders=senders)
            conn.rollback()
        fed = lost = 0
        for item in batch:
            try:
                data = json.loads(self._box.decrypt(item.sealed))
            except (EpochDestroyed, DecryptionFailed):
                lost += self._drop(item.id)  # its key passed its window: nothing can open it any more
                continue
            try:
                self.intake.handle(InboundMessage(**data), inline=False, also=self._release(item.id), screen=False)
                fed += 1
            except _Taken:
                continue
            except Exception:  # one bad message must not stop the feed: it stays held, tried next round
                log.exception("a held message could not be fed")
        return fed, lost

    def _release(self, held_id: int) -> Also:
        def release(conn: Connection, conv_id: str, now: float) -> None:
            if not held.release(conn, held_id):
                raise _Taken  # rolls back this feed: another worker's counts
        return release

    def _drop(self, held_id: int) -> int:
        with self.intake.db.begin() as conn:
            return int(held.release(conn, held_id))
