"""What both intake paths share: the service's parts, sealing, planning and the bookkeeping
around replies (outbox, Telegram history, carrier consent, replies kept for redelivery)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Sequence

from sqlalchemy import Connection, Engine

from bot import Engine as ConversationEngine
from bot.commands import CARRIER_WORDS
from bot.types import (
    TELEGRAM, Context, Event, EventKind, InboundMessage, OutboxMessage, Outcome, Region, Reply,
)
from storage import conversations, inbound, outbox, periods, refcodes
from storage.crypto import Box, KdfParams, ServerSecrets
from storage.db import writer_lock
from storage.purposes import Purpose
from triage.codesupply import CodeSupply
from triage.expiry import IdleExpiry
from triage.followup import FollowUps
from triage.plan import Plan, plan
from triage.routing import Routing, partner_kinds
from triage.rules import Rules
from triage.sealer import TipSealer
from triage.telegram_history import TelegramHistory
from triage.tiplink import TipLinks

if TYPE_CHECKING:
    from triage.over_limit import Gate

log = logging.getLogger("triage.intake")  # one logger name for the service, whichever module logs

# The channels whose carriers reserve words (STOP, START, HELP...), as bot.commands says.
CARRIER_CHANNELS = tuple(channel for channel, words in CARRIER_WORDS.items() if words)

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


class IntakeBase:
    """The service's parts and what both paths do around the engine."""

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
        self._outbox_box: Box = secrets.box(Purpose.OUTBOX)
        self._telegram = TelegramHistory(box=self._outbox_box, words=engine.words)
        self._expiry = IdleExpiry(db=db, state_box=self._state_box, engine=engine, sealer=self.sealer,
                                  context=lambda: self._context, retain_seconds=self.retain_seconds)
        self._writer = writer_lock(db)
        self.gate: Gate | None = None  # the abuse limits (triage.over_limit), when the runtime sets them

    def _handled(self, conv_id: str, done: Plan, *, routine: bool = False) -> Handled:
        """After the commit: the on-call log line for an urgent tip, and what the edge needs."""
        if done.tip_id is not None and any(e.kind is EventKind.URGENT for e in done.outcome.events):
            # After the commit (so a rolled-back message pages no one), at WARNING so that log
            # monitoring can page the on-call person; the tip id only ('tipline alerts list').
            log.warning("urgent tip: on-call alert raised", extra={"tip": done.tip_id})
        log.debug("inbound handled",
                  extra={"conversation": conv_id, "events": [e.kind.value for e in done.outcome.events]})
        return Handled(conv_id, done.replies, duplicate=False, send=done.send, routine=routine)

    def _context_for(self, supply: CodeSupply) -> Context:
        """The engine's context for one message: a code it shows is the one drawn (and hashed) for it."""
        return replace(self._context, new_code=supply.draw)

    def _seal(
        self, conn: Connection, tip_id: str | None, outcome: Outcome, msg: InboundMessage, now: float,
        supply: CodeSupply,
    ) -> str | None:
        return self.sealer.apply(conn, tip_id=tip_id, state=outcome.state, events=outcome.events,
                                 channel=msg.channel, now=now, code_hash=supply.hash)

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
        return inbound.reply_box(self.secrets, channel, provider_id)

    def _carrier_consent(
        self, conn: Connection, lookup: bytes, conv_id: str, events: Sequence[Event], now: float,
        *, check_table: bool,
    ) -> bool:
        """Apply carrier opt-out/opt-in words; True if the line may send to this address.

        A conversation in progress carries its opt-out in its state (the engine stays
        silent); the table is read only for a new one, whose sender may have opted out
        in a conversation since purged.
        """
        for event in events:
            if event.kind is EventKind.OPTED_OUT:
                conversations.record_opt_out(conn, lookup=lookup, now=now, conversation_id=conv_id)
                return False
            if event.kind is EventKind.OPTED_IN:
                conversations.set_opt_out(conn, lookup=lookup, opted_out=False, now=now)
                return False
        return not (check_table and conversations.is_opted_out(conn, lookup))

    def expire_idle(self, *, limit: int = 100) -> int:
        """Seal what idle conversations gave, as incomplete tips.  Returns how many expired."""
        return self._expiry.run(now=self.clock(), limit=limit)


def _display_code(new: Callable[[], str] = refcodes.new_code) -> str:
    """A fresh reference code in its grouped, readable form (e.g. 7KQ2-M9XD-4TRW5)."""
    return refcodes.display(new())
