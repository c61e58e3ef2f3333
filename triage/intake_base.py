"""What both intake paths share: the service's parts, sealing, planning and the bookkeeping
around replies (outbox, Telegram history, carrier consent, replies kept for redelivery)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Sequence

from sqlalchemy import Connection, Engine

from bot import Engine as ConversationEngine
from bot.commands import CARRIER_WORDS
from bot.types import (
    TELEGRAM, Context, Event, EventKind, InboundMessage, OutboxMessage, Outcome, Region, Reply,
)
from storage import inbound, lookups, opt_outs, outbox, periods, refcodes
from storage.conversation_state import StateBoxes
from storage.crypto import KdfParams, ServerSecrets
from storage.epochs import EpochKeys
from storage.lookups import Keyed
from storage.db import writer_lock
from storage.group_commit import group_commit
from storage.epoch_blobs import Sealer, UpgradeBox
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
    # The stored replies' row (hex of its keyed id), for the provider's delivery report to
    # drop them (``storage.inbound.forget_response``); None when none are kept.
    reply_handle: str | None = field(default=None, repr=False)


class IntakeBase:
    """The service's parts and what both paths do around the engine."""

    def __init__(
        self, *, db: Engine, secrets: ServerSecrets, epochs: EpochKeys, engine: ConversationEngine, region: Region,
        rules: Rules, routing: Routing, code_kdf: KdfParams, default_locale: str, idle_seconds: int,
        followup_days: int, clock: Callable[[], float] | None = None,
    ) -> None:
        self.db = db
        self.secrets = secrets
        # The process's one EpochKeys (tipline/runtime.py); the service runs on its clock.
        self.epochs = epochs
        self.engine = engine
        self.clock = clock or epochs.clock
        self.followup_days = followup_days
        self.idle_seconds = idle_seconds
        self.retain_seconds = followup_days * 86400
        self.links = TipLinks(epochs=epochs, secrets=secrets)
        self.sealer = TipSealer(secrets=secrets, rules=rules, routing=routing, region=region, code_kdf=code_kdf)
        # Staff questions from before the epoch keys still open (read only) during the transition.
        questions = UpgradeBox(epochs.box(Purpose.STAFF_QUESTIONS), secrets.box(Purpose.STAFF_QUESTIONS))
        self._context = Context(region=region, new_code=_display_code, partners=partner_kinds(routing))
        self.followups = FollowUps(secrets=secrets, epochs=epochs, kdf=code_kdf, question_box=questions,
                                   engine=engine, default_locale=default_locale, context=self._context)
        # States before the epoch keys still open (read only) during the transition.
        self._states = StateBoxes(epochs, legacy=secrets.box(Purpose.CONVERSATION_STATE))
        self._outbox_box: Sealer = outbox.box(epochs, secrets)
        self._telegram = TelegramHistory(box=self._outbox_box, words=engine.words)
        self._expiry = IdleExpiry(db=db, states=self._states, engine=engine, sealer=self.sealer,
                                  context=lambda: self._context, retain_seconds=self.retain_seconds)
        self._writer = writer_lock(db)
        self._group = group_commit(db)  # the optimistic path's writes: one COMMIT per batch on SQLite
        self.gate: Gate | None = None  # the abuse limits (triage.over_limit), when the runtime sets them

    def emergency_notice(self, text: str) -> str | None:
        """The emergency reply when ``text`` holds emergency words (any enabled locale), else None:
        read without the database, so the spool's answer carries it during an outage."""
        return self.engine.emergency_notice(text, self._context)

    def _handled(self, conv_id: str, done: Plan, *, routine: bool = False, handle: str | None = None) -> Handled:
        """After the commit: the on-call log line for an urgent tip, and what the edge needs."""
        if done.tip_id is not None and any(e.kind is EventKind.URGENT for e in done.outcome.events):
            # After the commit (so a rolled-back message pages no one), at WARNING so that log
            # monitoring can page the on-call person; the tip id only ('tipline alerts list').
            log.warning("urgent tip: on-call alert raised", extra={"tip": done.tip_id})
        # No conversation id in any log line: a tip's lines (sealed, alert) come at the same
        # moment, and the two ids side by side would join a reporter's row to their tip.
        if log.isEnabledFor(logging.DEBUG):  # the list is built only for a line that is written
            log.debug("inbound handled", extra={"events": [e.kind.value for e in done.outcome.events]})
        return Handled(conv_id, done.replies, duplicate=False, send=done.send, routine=routine, reply_handle=handle)

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
            log.warning("engine fell back to its error reply", extra={"error": outcome.failed})
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
            destination, dest_period = periods.seal_address(self.epochs, address=msg.address, channel=msg.channel)
            outbox.enqueue(
                conn, box=self._outbox_box, conversation_id=conv_id, channel=msg.channel, destination=destination,
                address_period=dest_period, messages=[m.to_dict() for m in queued], now=now,
            )

    # -- provider ids and the replies kept for a redelivery ------------------------------

    def _inbound_keys(self, msg: InboundMessage) -> list[bytes]:
        """The provider id's keyed hashes under every open epoch ([] without an id)."""
        if msg.provider_id is None:
            return []
        return inbound.inbound_keys(self.epochs, msg.channel, msg.provider_id)

    def _sealed_replies(self, msg: InboundMessage, lookups: list[bytes], done: Plan, *, inline: bool) -> bytes | None:
        """The replies to keep for a redelivery: only those that ride back inline (Twilio's TwiML).

        Telegram's go through the outbox, which delivers them once, so a redelivered update is
        only acknowledged and no reply body is kept for it.
        """
        if not inline or not lookups or msg.provider_id is None:
            return None
        return inbound.seal_response(self.epochs, msg.channel, msg.provider_id, lookups[0], done.payload)

    @staticmethod
    def _handle_of(keys: list[bytes], inline: bool) -> str | None:
        """The kept replies' handle, from the keys the message was claimed with ([] without a provider id)."""
        if not inline or not keys:
            return None
        return keys[0].hex()

    def _redelivered(self, conn: Connection, msg: InboundMessage, lookups: list[bytes]) -> Handled:
        """A redelivery: the replies kept for it (inline channels), or a bare acknowledgement."""
        assert msg.provider_id is not None
        key, kept = inbound.stored_response(conn, keys=self.epochs, channel=msg.channel,
                                            provider_id=msg.provider_id, lookups=lookups)
        replies = [Reply(m.text, m.buttons, m.html) for m in map(OutboxMessage.from_dict, kept)]
        return Handled("", replies, duplicate=True, send=bool(replies), reply_handle=key.hex() if key else None)

    def _lookup(self, msg: InboundMessage) -> Keyed:
        """The sender's conversation lookup under every LOOKUP epoch still open."""
        return lookups.address(self.epochs, msg.channel, msg.address)

    def _carrier_consent(
        self, conn: Connection, lookup: Keyed, conv_id: str, events: Sequence[Event], now: float,
        *, check_table: bool,
    ) -> bool:
        """Apply carrier opt-out/opt-in words; True if the line may send to this address.

        A conversation in progress carries its opt-out in its state (the engine stays
        silent); the table is read only for a new one, whose sender may have opted out
        in a conversation since purged.
        """
        for event in events:
            if event.kind is EventKind.OPTED_OUT:
                opt_outs.record_opt_out(conn, lookup=lookup, now=now, conversation_id=conv_id)
                return False
            if event.kind is EventKind.OPTED_IN:
                opt_outs.set_opt_out(conn, lookup=lookup, opted_out=False, now=now)
                return False
        return not (check_table and opt_outs.is_opted_out(conn, lookup))

    def expire_idle(self, *, limit: int = 100) -> int:
        """Seal what idle conversations gave, as incomplete tips.  Returns how many expired."""
        return self._expiry.run(now=self.clock(), limit=limit)


def _display_code(new: Callable[[], str] = refcodes.new_code) -> str:
    """A fresh reference code in its grouped, readable form (e.g. 7KQ2-M9XD-4TRW5)."""
    return refcodes.display(new())
