"""The one "handle this inbound message" service (DESIGN.md, "The flow of one message").

Every edge (Twilio, Telegram, ``tipline chat``) calls ``IntakeService.handle``.
Inside one database transaction it records the provider message id, runs the
engine on the conversation's state, scores, routes and seals the tip on engine
events, queues the replies and saves the new state: all of it commits together
or not at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from sqlalchemy import Connection, Engine

from bot import Engine as ConversationEngine
from bot.commands import Command, carrier_action
from bot.render import TOGGLE, pack
from bot.types import (
    TELEGRAM, Context, ConversationState, Event, EventKind, InboundMessage, Outcome, Region, Reply, SMS, WHATSAPP,
)
from storage import chatlog, conversations, inbound, outbox, periods, refcodes
from storage.conversations import ConversationRow
from storage.crypto import Box, DecryptionFailed, ServerSecrets, hkdf
from storage.db import writer_lock
from storage.purposes import Purpose
from tipline.settings import Settings
from triage.followup import FOLLOWUP, FollowUps, is_code_attempt
from triage.sealer import TipSealer
from triage.routing import Routing, partner_kinds
from triage.rules import Rules

log = logging.getLogger(__name__)

CARRIER_CHANNELS = (SMS, WHATSAPP)
TIP_LINK = "tip_link"  # state.extra: the finished interview's tip id, sealed under an address-derived key
UNSEALED = "unsealed"  # state.extra (set by the engine): answers given since the last seal


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


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "buttons": [[{"label": b.label, "data": b.data, "selected": b.selected} for b in row] for row in reply.buttons],
    }


def reply_from_dict(data: dict[str, Any]) -> Reply:
    from bot.types import Button

    rows = tuple(tuple(Button(**b) for b in row) for row in data.get("buttons", []))
    return Reply(text=data["text"], buttons=rows)


class IntakeService:
    def __init__(
        self,
        *,
        settings: Settings,
        db: Engine,
        secrets: ServerSecrets,
        engine: ConversationEngine,
        region: Region,
        rules: Rules,
        routing: Routing,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.db = db
        self.secrets = secrets
        self.engine = engine
        self.region = region
        self.rules = rules
        self.routing = routing
        self.clock = clock
        self.partners = partner_kinds(routing)
        self.sealer = TipSealer(secrets=secrets, rules=rules, routing=routing, region=region,
                                code_kdf=settings.code_kdf)
        self.followups = FollowUps(secrets=secrets, kdf=settings.code_kdf,
                                   question_box=secrets.box(Purpose.STAFF_QUESTIONS))
        self._state_box: Box = secrets.box(Purpose.CONVERSATION_STATE)
        self._reply_root = secrets.subkey(Purpose.INBOUND_REPLIES)
        self._link_root = secrets.subkey(Purpose.TIP_LINK)
        self._outbox_box: Box = secrets.box(Purpose.OUTBOX)
        self._writer = writer_lock(db)
        self.idle_seconds = settings.conversation_idle_minutes * 60
        self.retain_seconds = settings.followup_days * 86400

    # -- the hot path ----------------------------------------------------------------

    def handle(
        self, msg: InboundMessage, *, inline: bool = True,
        also: Callable[[Connection, str, float], None] | None = None,
    ) -> Handled:
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

    def _handle_optimistic(
        self, msg: InboundMessage, *, inline: bool,
        also: Callable[[Connection, str, float], None] | None, now: float,
    ) -> Handled | None:
        """The common case, with the write lock held only for the writes.

        A message in the middle of an interview that raises no event is worked out from
        a plain read; the writes then commit only if the conversation is still at the
        revision that was read.  Anything else (a new conversation, an event to seal,
        expiry, follow-up codes, a lost race) returns None for ``_handle_locked``, which
        does it all under the lock.  On SQLite this keeps the single writer's lock short.
        """
        key = reply_box = None
        lookup = conversations.lookup_key(self.secrets, msg.channel, msg.address)
        with self.db.connect() as conn:
            # A plain read outside any write transaction.  A redelivery is caught when the
            # write phase claims the provider id, and then replayed by the locked path.
            if msg.provider_id is not None:
                key = inbound.inbound_key(self.secrets, msg.channel, msg.provider_id)
            conv = conversations.find(conn, box=self._state_box, lookup=lookup)
            # End the read snapshot psycopg opened implicitly (SQLAlchemy began none, so its own
            # rollback would do nothing); on SQLite the reads ran in autocommit.
            conn.connection.driver_connection.rollback()  # type: ignore[union-attr]
            if conv is None or not conv.state:
                return None
            state = ConversationState.from_dict(conv.state)
            if state.status == "ended" or FOLLOWUP in state.extra or TIP_LINK in state.extra \
                    or is_code_attempt(msg.text or ""):
                return None  # a new interview, follow-ups and codes go through the locked path
            if conv.status in ("new", "active", "opted_out") and conv.expires_at < now:
                return None
            outcome = self.engine.handle(state, msg, self._context(now))
            if outcome.events:
                return None
            replies = outcome.replies if outcome.send else []
            payload = [reply_to_dict(r) for r in replies]
            sealed_state = conversations.seal_state(
                self._state_box, conv.id, self._at_rest(conv, outcome.state, msg.channel, msg.address)
            )
            response = None
            if key is not None and msg.provider_id is not None:
                reply_box = self._reply_box(msg.channel, msg.provider_id)
                response = inbound.seal_response(reply_box, key, payload)
            try:
                with self._writer, conn.begin():
                    if key is not None and response is not None:
                        if not inbound.claim_with_response(conn, key=key, now=now, response=response):
                            raise _LostRace
                    if not conversations.save_if_unchanged(
                        conn, conv=conv, sealed_state=sealed_state, status=_row_status(outcome.state), now=now,
                        idle_seconds=self.idle_seconds, retain_seconds=self.retain_seconds,
                    ):
                        raise _LostRace
                    self._queue_replies(conn, conv, msg, payload, outcome, inline=inline, now=now)
                    if also is not None:
                        also(conn, conv.id, now)
            except _LostRace:
                return None
        log.debug("inbound handled", extra={"conversation": conv.id})
        return Handled(conv.id, replies, duplicate=False, send=outcome.send, routine=True)

    def _queue_replies(
        self, conn: Connection, conv: ConversationRow, msg: InboundMessage, payload: list[dict[str, Any]],
        outcome: Outcome, *, inline: bool, now: float,
    ) -> None:
        """Telegram bookkeeping, and the outbox for channels whose replies do not ride inline."""
        queued: list[dict[str, Any]] = list(payload)
        if (msg.channel == TELEGRAM and _is_toggle(msg.button) and msg.message_ref and len(queued) == 1
                and queued[0]["buttons"] and (msg.button or "").split(":")[0] == outcome.state.step):
            # A tick on the current checklist re-renders that same question: edit the message
            # in place instead of sending the question again.  A tap on an older keyboard is
            # answered with a new message (the current question), never by editing the old one.
            queued = [{**queued[0], "edit": msg.message_ref}]
        if msg.channel == TELEGRAM:
            queued += self._telegram_history(
                conn, conv, msg, outcome.events, now, ended=outcome.state.status == "ended",
            )
        if queued and not inline:
            destination, dest_period = periods.seal_address(
                conn, secrets=self.secrets, address=msg.address, channel=msg.channel, now=now,
                followup_days=self.settings.followup_days,
            )
            outbox.enqueue(
                conn, box=self._outbox_box, conversation_id=conv.id, channel=msg.channel,
                destination=destination, address_period=dest_period, messages=queued, now=now,
            )

    def _handle_locked(
        self, msg: InboundMessage, *, inline: bool,
        also: Callable[[Connection, str, float], None] | None, now: float,
    ) -> Handled:
        """Everything under the write lock: new conversations, events, expiry, follow-ups, races."""
        with self._writer, self.db.begin() as conn:
            key = reply_box = None
            if msg.provider_id is not None:
                key = inbound.inbound_key(self.secrets, msg.channel, msg.provider_id)
                reply_box = self._reply_box(msg.channel, msg.provider_id)
                if not inbound.claim(conn, key=key, now=now):
                    stored = inbound.stored_response(conn, box=reply_box, key=key)
                    return Handled("", [reply_from_dict(r) for r in stored], duplicate=True, send=bool(stored))
            lookup = conversations.lookup_key(self.secrets, msg.channel, msg.address)
            conv, created = conversations.open_conversation(
                conn, box=self._state_box, lookup=lookup, channel=msg.channel, now=now,
                idle_seconds=self.idle_seconds, retain_seconds=self.retain_seconds,
            )
            state = ConversationState.from_dict(conv.state) if conv.state else None
            ctx = self._context(now)
            if state is not None and conv.status in ("new", "active", "opted_out") and conv.expires_at < now:
                # Expiry "on the next message": seal what was given before going on.
                expired = self.engine.expire(state, ctx)
                self._apply_events(conn, conv, expired.state, expired.events, msg.channel, now)
                state = expired.state
            if state is None or state.status == "ended":
                conv.tip_id = None  # a new interview makes a new tip
            elif TIP_LINK in state.extra:
                conv.tip_id = self._open_link(state.extra[TIP_LINK], msg.channel, msg.address)
            outcome = self._followup(conn, msg, lookup, state, now) or self.engine.handle(state, msg, ctx)
            send = outcome.send
            if msg.channel in CARRIER_CHANNELS:
                # Called whatever the engine said: STOP itself has send=False and must be recorded.
                allowed = self._carrier_consent(conn, lookup, conv, outcome.events, now, check_table=state is None)
                send = send and allowed
            self._apply_events(conn, conv, outcome.state, outcome.events, msg.channel, now)
            urgent_tip = conv.tip_id if any(e.kind is EventKind.URGENT for e in outcome.events) else None
            stored_state = self._at_rest(conv, outcome.state, msg.channel, msg.address)
            conversations.save_conversation(
                conn, box=self._state_box, conv=conv, state=stored_state,
                status=_row_status(outcome.state), now=now, idle_seconds=self.idle_seconds,
                retain_seconds=self.retain_seconds,
            )
            replies = outcome.replies if send else []
            payload = [reply_to_dict(r) for r in replies]
            self._queue_replies(conn, conv, msg, payload, outcome, inline=inline, now=now)
            if key is not None and reply_box is not None:
                inbound.store_response(conn, box=reply_box, key=key, replies=payload)
            if also is not None:
                also(conn, conv.id, now)
        if urgent_tip is not None:
            # After the commit (so a rolled-back message pages no one), at WARNING so that log
            # monitoring can page the on-call person; the tip id only ('tipline alerts list').
            log.warning("urgent tip: on-call alert raised", extra={"tip": urgent_tip})
        log.debug("inbound handled", extra={"conversation": conv.id, "events": [e.kind.value for e in outcome.events]})
        return Handled(conv.id, replies, duplicate=False, send=send)

    def _reply_box(self, channel: str, provider_id: str) -> Box:
        """Replies kept for a redelivery, under a key only the provider's message id opens.

        The database holds just a keyed hash of that id, so the stored replies (a close
        reply carries the reference code) stay closed even to a thief with the secrets.
        """
        # HMAC-SHA256 as the key derivation (one HKDF-Expand block with a fixed root key).
        return Box(hmac.new(self._reply_root, f"{channel}:{provider_id}".encode(), hashlib.sha256).digest())

    def _link_box(self, channel: str, address: str) -> Box:
        return Box(hkdf(self._link_root, f"{channel}:{address}".encode()))

    def _open_link(self, blob: str, channel: str, address: str) -> str | None:
        try:
            return self._link_box(channel, address).decrypt(base64.b64decode(blob)).decode()
        except (DecryptionFailed, ValueError):
            return None

    def _at_rest(self, conv: ConversationRow, state: ConversationState, channel: str, address: str) -> dict[str, Any]:
        """The state as stored.  Once an interview is over and sealed, its answers are dropped
        (they live only in the sealed tip) and the link to the tip is sealed under a key
        derived from the reporter's address, so the stored row no longer says which tip it made.
        """
        data = state.to_dict()
        if state.status not in ("finished", "ended", "opted_out") or state.extra.get(UNSEALED, True):
            return data
        extra = {k: v for k, v in state.extra.items() if k != TIP_LINK}
        if conv.tip_id is not None and state.status == "finished":
            link = self._link_box(channel, address).encrypt(conv.tip_id.encode())
            extra[TIP_LINK] = base64.b64encode(link).decode()
        conv.tip_id = None
        return {**data, "answers": {}, "history": [], "extra": extra}

    def _context(self, now: float) -> Context:
        return Context(
            now=now, region=self.region, new_code=_display_code, partners=self.partners,
            idle_seconds=self.idle_seconds,
        )

    def _followup(
        self, conn: Connection, msg: InboundMessage, lookup: bytes, state: ConversationState | None, now: float
    ) -> Outcome | None:
        """Follow-up by reference code, or None when the engine should answer."""
        text = msg.text or ""
        if msg.button or carrier_action(msg.channel, text) is not None:
            return None  # carrier words keep their meaning; buttons belong to the interview
        locale_state = state or ConversationState(locale=self.settings.default_locale)
        if FOLLOWUP in locale_state.extra:
            command = self.engine.words.command(msg.channel, text)
            result = self.followups.add(conn, text=text, command=command, state=locale_state, now=now)
        elif locale_state.status in ("new", "finished", "ended") and is_code_attempt(text):
            result = self.followups.try_code(conn, text=text, lookup=lookup, state=locale_state, now=now)
        else:
            return None
        render = self.engine.render
        parts = [render.text(result.state.locale, msgid, **params) for msgid, params in result.messages]
        return Outcome(replies=pack(parts), state=result.state, events=[])

    def _telegram_history(
        self, conn: Connection, conv: ConversationRow, msg: InboundMessage, events: Sequence[Event], now: float,
        *, ended: bool = False,
    ) -> list[dict[str, Any]]:
        """Remember the reporter's message id; on EXIT, queue the deletion of the chat after the reply.

        EXIT after a finished report (or before anything was given) carries no event, but its
        reply still promises the deletion: the ended conversation and the EXIT word say so.
        """
        if msg.message_ref and not msg.button:  # a button's message is the bot's own, recorded when sent
            chatlog.record(conn, box=self._outbox_box, conversation_id=conv.id, message_id=msg.message_ref, now=now)
        exited = any(e.kind is EventKind.INCOMPLETE and e.reason == "exit" for e in events)
        if not exited and ended and not msg.button:
            exited = self.engine.words.command(msg.channel, msg.text or "") is Command.EXIT
        if exited:
            return [{"action": "delete_history"}]
        return []

    def _carrier_consent(
        self, conn: Connection, lookup: bytes, conv: ConversationRow, events: Sequence[Event], now: float,
        *, check_table: bool,
    ) -> bool:
        """Apply carrier opt-out/opt-in words; True if the line may send to this address.

        A conversation in progress carries its opt-out in its state (the engine stays
        silent); the table is read only for a new one, whose sender may have opted out
        in a conversation since purged.
        """
        for event in events:
            if event.kind is EventKind.OPTED_OUT:
                conversations.set_opt_out(conn, lookup=lookup, opted_out=True, now=now)
                outbox.cancel_conversation(conn, conversation_id=conv.id)
                return False
            if event.kind is EventKind.OPTED_IN:
                conversations.set_opt_out(conn, lookup=lookup, opted_out=False, now=now)
                return False
        return not (check_table and conversations.is_opted_out(conn, lookup))

    # -- sealing ---------------------------------------------------------------------

    def _apply_events(
        self, conn: Connection, conv: ConversationRow, state: ConversationState,
        events: Sequence[Event], channel: str, now: float,
    ) -> None:
        """Seal on engine events; the tip's id is kept on the conversation while it runs."""
        conv.tip_id = self.sealer.apply(conn, tip_id=conv.tip_id, state=state, events=events, channel=channel,
                                        now=now)

    # -- scheduled work --------------------------------------------------------------

    def expire_idle(self, *, limit: int = 100) -> int:
        """Seal what idle conversations gave, as incomplete tips.  Returns how many expired."""
        now = self.clock()
        ctx = self._context(now)
        with self.db.begin() as conn:
            rows = conversations.lock_idle(conn, box=self._state_box, now=now, limit=limit)
            for conv in rows:
                if not conv.state:
                    conversations.save_conversation(
                        conn, box=self._state_box, conv=conv, state={}, status="ended", now=now,
                        idle_seconds=self.retain_seconds, retain_seconds=self.retain_seconds,
                    )
                    continue
                outcome: Outcome = self.engine.expire(ConversationState.from_dict(conv.state), ctx)
                self._apply_events(conn, conv, outcome.state, outcome.events, conv.channel, now)
                # An expired conversation is not looked at again until its purge.
                conversations.save_conversation(
                    conn, box=self._state_box, conv=conv, state=self._at_rest(conv, outcome.state, conv.channel, ""),
                    status=_row_status(outcome.state), now=now, idle_seconds=self.retain_seconds,
                    retain_seconds=self.retain_seconds,
                )
        return len(rows)


class _LostRace(Exception):
    """Another delivery changed the conversation (or claimed the message) first: redo under the lock."""


def _row_status(state: ConversationState) -> str:
    return state.status if state.status in ("new", "active", "finished", "ended", "opted_out") else "active"


def _is_toggle(button: str | None) -> bool:
    """A Telegram checklist toggle ("C:t:leave"), as bot.render builds them."""
    return bool(button) and button.count(":") == 2 and button.split(":")[1] == TOGGLE  # type: ignore[union-attr]


def _display_code(new: Callable[[], str] = refcodes.new_code) -> str:
    """A fresh reference code in its grouped, readable form (e.g. 7KQ2-M9XD-4TRW5)."""
    return refcodes.display(new())
