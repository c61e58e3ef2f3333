"""The outbox sender: delivers queued replies to Telegram and Twilio, and deletes provider copies.

At least once, in order within a conversation: ``storage.outbox.due`` gives the
first pending item of each conversation; the sender leases those items in a short
transaction, sends them with no transaction open (so the web workers never wait on
a provider), and records the outcome in a second short transaction.  A round is
repeated while it delivers something, so the next reply of a conversation follows
at once.  Failures back off exponentially with jitter (``outbox.backoff``),
Telegram's ``retry_after`` and Twilio's 429/20429 pause the channel, and an item
that keeps failing (or can never succeed) becomes ``dead`` (``tipline outbox list``).

The same job deletes Twilio's copies of inbound and sent messages (ProviderDeletion),
retrying while Twilio still holds a message in a non-final state.

``kick(runtime)``: a webhook that queued replies wakes this process's sender, which
delivers from its own thread at once; ``tipline worker`` processes rely on their
interval instead.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable, Protocol

from sqlalchemy import Connection, delete, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.types import SMS, TELEGRAM, WHATSAPP
from storage import chatlog, conversations, outbox, periods
from storage.channel_tables import ChannelWindow
from storage.outbox import OutboxItem
from storage.purposes import Purpose
from webhooks import provider_copies

if TYPE_CHECKING:
    from tipline.runtime import Runtime
    from webhooks.clients import BotLoop

log = logging.getLogger(__name__)

LEASE = 120.0  # an item taken by a sender that died is retried after this
MAX_ROUNDS = 20
BATCH = 50
WHATSAPP_WINDOW = 24 * 3600.0
HOLD_RECHECK = 3600.0  # a held WhatsApp reply is looked at again (or released when the reporter writes)
UNCONFIGURED_RECHECK = 300.0
BOT_MARK = "b:"  # chat log entries of the bot's own messages (the reporter's carry no mark)
DELETE_CHUNK = 100  # deleteMessages takes 1-100 ids
ONE_SEND_TIMEOUT = 20.0
_WINDOW = ChannelWindow.__table__  # type: ignore[attr-defined]
_CARRIER = (SMS, WHATSAPP)


class Sender(Protocol):
    def run_once(self) -> int: ...
    def close(self) -> None: ...


@dataclass
class _Work:
    item: OutboxItem
    address: str = field(repr=False)
    delete_ids: list[int] | None = field(default=None, repr=False)


@dataclass
class _Result:
    outcome: str  # ok | retry | dead | opted_out
    error: str = ""
    retry_after: float | None = None
    ref: str | None = field(default=None, repr=False)  # Telegram message id or Twilio SID


class OutboxSender:
    def __init__(self, runtime: "Runtime", *, clock: Callable[[], float] = time.time, fast_lane: bool = True) -> None:
        self.rt = runtime
        self.settings = runtime.settings
        self.clock = clock
        self.fast_lane = fast_lane
        self._box = runtime.secrets.box(Purpose.OUTBOX)  # the intake service's outbox/chat-log box
        self._copies_box = provider_copies.box(runtime.secrets)
        self._run_lock = threading.Lock()
        self._paused: dict[str, float] = {}
        self._tg: "BotLoop | None" = None
        self._twilio: Any = None
        self._client_lock = threading.Lock()
        self._event = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        with _registry_lock:
            _registry.append(weakref.ref(self))

    # -- clients (built on first use, in the process that uses them) -----------------

    @property
    def telegram(self) -> "BotLoop":
        with self._client_lock:
            if self._tg is None:
                from webhooks.clients import BotLoop

                self._tg = BotLoop(self.settings)
            return self._tg

    @property
    def twilio(self) -> Any:
        with self._client_lock:
            if self._twilio is None:
                from webhooks.clients import twilio_client

                self._twilio = twilio_client(self.settings)
            return self._twilio

    def _configured(self, channel: str) -> bool:
        if channel == TELEGRAM:
            return bool(self.settings.telegram_bot_token)
        if channel in _CARRIER:
            return self.settings.sms_enabled and bool(self.settings.twilio_from)
        return False

    # -- the job ---------------------------------------------------------------------

    def run_once(self) -> int:
        """Deliver what is due (repeating while replies go out); returns how many were delivered."""
        with self._run_lock:
            delivered = 0
            for _ in range(MAX_ROUNDS):
                count, progressed = self._round()
                delivered += count
                if not progressed:
                    break
            try:
                self._provider_deletions()
                self._purge_windows()
            except Exception as exc:  # deletion is retried next run; delivery already happened
                log.warning("provider copy deletion failed", extra={"error": type(exc).__name__})
            return delivered

    def _round(self) -> tuple[int, bool]:
        now = self.clock()
        work: list[_Work] = []
        with self.rt.db.begin() as conn:
            items = outbox.due(conn, box=self._box, now=now, limit=BATCH)
            leased: list[int] = []
            for item in items:
                if not self._configured(item.channel):
                    outbox.lease(conn, item_ids=[item.id], until=now + UNCONFIGURED_RECHECK)
                    continue
                paused = self._paused.get(_pause_key(item.channel), 0.0)
                if paused > now:
                    outbox.lease(conn, item_ids=[item.id], until=paused)
                    continue
                prepared = self._prepare(conn, item, now)
                if prepared is not None:
                    work.append(prepared)
                    leased.append(item.id)
            outbox.lease(conn, item_ids=leased, until=now + LEASE)
        if not work:
            return 0, False
        results = self._deliver(work)
        delivered = 0
        with self.rt.db.begin() as conn:
            now = self.clock()
            for w, result in zip(work, results, strict=True):
                delivered += self._record(conn, w, result, now)
        return delivered, delivered > 0

    def _prepare(self, conn: Connection, item: OutboxItem, now: float) -> _Work | None:
        """Open the destination and check the channel's rules; None if the item does not go now."""
        address = None
        if item.address_period:
            try:
                address = periods.open_address(
                    conn, secrets=self.rt.secrets, blob=item.destination, period=item.address_period, now=now,
                    channel=item.channel,
                )
            except periods.PeriodError:
                address = None
        if address is None:
            outbox.failed(conn, item_id=item.id, attempts=item.attempts, error="address erased", now=now,
                          permanent=True)
            return None
        if item.channel in _CARRIER:
            lookup = conversations.lookup_key(self.rt.secrets, item.channel, address)
            if conversations.is_opted_out(conn, lookup):
                outbox.cancel_conversation(conn, conversation_id=item.conversation_id)
                return None
            if item.channel == WHATSAPP and not _window_open(conn, item.conversation_id, now):
                outbox.hold(conn, item_id=item.id, until=now + HOLD_RECHECK)
                return None
        body = item.body
        if body.get("action") == "delete_history":
            if item.channel != TELEGRAM:
                outbox.delivered(conn, item_id=item.id)
                return None
            refs = chatlog.deletable(conn, box=self._box, conversation_id=item.conversation_id, now=now)
            return _Work(item, address, delete_ids=_ids_to_delete(refs))
        if not isinstance(body.get("text"), str):
            outbox.failed(conn, item_id=item.id, attempts=item.attempts, error="unknown body", now=now,
                          permanent=True)
            return None
        return _Work(item, address)

    def _record(self, conn: Connection, w: _Work, r: _Result, now: float) -> int:
        item = w.item
        if r.outcome == "ok":
            outbox.delivered(conn, item_id=item.id)
            if w.delete_ids is not None:
                chatlog.forget(conn, conversation_id=item.conversation_id)
            elif item.channel == TELEGRAM and r.ref:
                chatlog.record(conn, box=self._box, conversation_id=item.conversation_id,
                               message_id=BOT_MARK + r.ref, now=now)
            elif item.channel in _CARRIER and r.ref:
                provider_copies.queue(conn, box=self._copies_box, channel=item.channel, sid=r.ref, now=now)
            return 1
        if r.outcome == "opted_out":
            lookup = conversations.lookup_key(self.rt.secrets, item.channel, w.address)
            conversations.set_opt_out(conn, lookup=lookup, opted_out=True, now=now)
            outbox.cancel_conversation(conn, conversation_id=item.conversation_id)
            return 0
        status = outbox.failed(
            conn, item_id=item.id, attempts=item.attempts, error=r.error, now=now,
            retry_after=r.retry_after, permanent=r.outcome == "dead",
        )
        if status == "dead":
            log.warning("outbox item dead", extra={"item": item.id, "channel": item.channel, "error": r.error})
        return 0

    # -- delivery ----------------------------------------------------------------------

    def _deliver(self, work: list[_Work]) -> list[_Result]:
        results: dict[int, _Result] = {}
        telegram = [w for w in work if w.item.channel == TELEGRAM]
        if telegram:
            # Each call has its own ONE_SEND_TIMEOUT (so one slow call fails alone); the batch
            # limit is a last resort above the longest item: an EXIT's deletions take one call
            # per 100 messages, an edit may fall back to a send.
            calls = max([2] + [-(-len(w.delete_ids) // DELETE_CHUNK) for w in telegram if w.delete_ids])
            try:
                outcomes = self.telegram.call(self._telegram_batch(telegram), timeout=ONE_SEND_TIMEOUT * calls + 10)
            except Exception as exc:  # the whole batch timed out: unknown, so retried (at least once)
                outcomes = [_Result("retry", type(exc).__name__)] * len(telegram)
            for w, r in zip(telegram, outcomes, strict=True):
                results[w.item.id] = r
                if r.retry_after:
                    self._pause(TELEGRAM, r.retry_after)
        for w in work:
            if w.item.channel in _CARRIER:
                if self._paused.get(_pause_key(w.item.channel), 0.0) > self.clock():
                    wait = self._paused[_pause_key(w.item.channel)] - self.clock()
                    results[w.item.id] = _Result("retry", "paused", retry_after=wait)
                    continue
                r = self._twilio_send(w)
                if r.retry_after:
                    self._pause(w.item.channel, r.retry_after)
                results[w.item.id] = r
        return [results[w.item.id] for w in work]

    def _pause(self, channel: str, seconds: float) -> None:
        key = _pause_key(channel)
        self._paused[key] = max(self._paused.get(key, 0.0), self.clock() + seconds)

    async def _telegram_batch(self, work: list[_Work]) -> list[_Result]:
        return list(await asyncio.gather(*(self._telegram_one(w) for w in work)))

    async def _telegram_one(self, w: _Work) -> _Result:
        bot = self.telegram.bot
        chat_id = int(w.address)
        try:
            if w.delete_ids is not None:
                for start in range(0, len(w.delete_ids), DELETE_CHUNK):
                    chunk = w.delete_ids[start:start + DELETE_CHUNK]
                    try:
                        await asyncio.wait_for(bot.delete_messages(chat_id=chat_id, message_ids=chunk),
                                               ONE_SEND_TIMEOUT)
                    except BadRequest:  # too old or already gone: deletion is best effort
                        log.info("telegram deletion refused")
                return _Result("ok")
            body = w.item.body
            markup = None
            rows = body.get("buttons") or []
            if rows:
                markup = InlineKeyboardMarkup(
                    [[InlineKeyboardButton(b["label"], callback_data=b["data"]) for b in row] for row in rows]
                )
            if body.get("edit"):
                # A tick on the current checklist: the same question, new marks on its keyboard.
                # Only the keyboard changes, so a notice sent with the question stays in place.
                try:
                    await asyncio.wait_for(
                        bot.edit_message_reply_markup(chat_id=chat_id, message_id=int(body["edit"]),
                                                      reply_markup=markup),
                        ONE_SEND_TIMEOUT,
                    )
                    return _Result("ok")
                except BadRequest as exc:
                    if "not modified" in str(exc).lower():
                        return _Result("ok")
                    # Too old or deleted: send the question afresh below.
            sent = await asyncio.wait_for(
                bot.send_message(chat_id=chat_id, text=body["text"], reply_markup=markup, protect_content=True),
                ONE_SEND_TIMEOUT,
            )
            return _Result("ok", ref=str(sent.message_id))
        except RetryAfter as exc:
            return _Result("retry", "telegram 429", retry_after=_retry_after_seconds(exc))
        except Forbidden:  # the reporter blocked the bot or deleted the chat
            return _Result("dead", "telegram forbidden")
        except BadRequest:
            return _Result("dead", "telegram bad request")
        except TelegramError as exc:  # NetworkError, TimedOut, server errors
            return _Result("retry", f"telegram {type(exc).__name__}")
        except Exception as exc:
            return _Result("retry", type(exc).__name__)

    def _twilio_send(self, w: _Work) -> _Result:
        from twilio.base.exceptions import TwilioRestException

        sender = self.settings.twilio_from
        if w.item.channel == WHATSAPP and not sender.startswith("whatsapp:"):
            sender = "whatsapp:" + sender
        try:
            message = self.twilio.messages.create(to=w.address, from_=sender, body=w.item.body["text"])
            return _Result("ok", ref=str(message.sid))
        except TwilioRestException as exc:
            code = exc.code
            if code == 21610:
                return _Result("opted_out", "twilio 21610")
            if exc.status == 429 or code == 20429:
                return _Result("retry", "twilio 429", retry_after=min(60.0, 2.0 ** (w.item.attempts + 1)))
            if exc.status >= 500 or exc.status in (401, 403, 408):
                return _Result("retry", f"twilio {exc.status}")
            return _Result("dead", f"twilio {exc.status} {code or ''}".strip())
        except Exception as exc:  # connection errors, timeouts
            return _Result("retry", f"twilio {type(exc).__name__}")

    # -- provider copies -------------------------------------------------------------

    def _provider_deletions(self) -> int:
        if not self.settings.sms_enabled:
            return 0
        return provider_copies.delete_due(self.rt.db, box=self._copies_box, client=self.twilio, clock=self.clock)

    def _purge_windows(self) -> None:
        with self.rt.db.begin() as conn:
            conn.execute(delete(_WINDOW).where(_WINDOW.c.last_inbound_at < self.clock() - WHATSAPP_WINDOW))

    # -- fast lane ---------------------------------------------------------------------

    def wake(self) -> None:
        if self._closed or not self.fast_lane:
            return
        with self._client_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="tipline-sender", daemon=True)
                self._thread.start()
        self._event.set()

    def _serve(self) -> None:
        while not self._closed:
            self._event.wait()
            self._event.clear()
            if self._closed:
                break
            try:
                self.run_once()
            except Exception as exc:  # retried at the next kick or by the jobs interval
                log.warning("outbox sender round failed", extra={"error": type(exc).__name__})

    def close(self) -> None:
        self._closed = True
        self._event.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
        with self._run_lock:
            if self._tg is not None:
                self._tg.close()
                self._tg = None
            if self._twilio is not None:
                session = getattr(self._twilio.http_client, "session", None)
                if session is not None:
                    session.close()
                self._twilio = None


def _pause_key(channel: str) -> str:
    return "twilio" if channel in _CARRIER else channel


def _retry_after_seconds(exc: RetryAfter) -> float:
    value = getattr(exc, "_retry_after", None)  # a timedelta; the public attribute warns in PTB 22
    if isinstance(value, timedelta):
        return max(1.0, value.total_seconds())
    return 5.0


def _window_open(conn: Connection, conversation_id: str, now: float) -> bool:
    row = conn.execute(select(_WINDOW.c.last_inbound_at).where(_WINDOW.c.conversation_id == conversation_id)).first()
    return row is not None and row.last_inbound_at > now - WHATSAPP_WINDOW


def _ids_to_delete(refs: list[str]) -> list[int]:
    """Every recorded message id except the bot's last one (the EXIT reply, which says what is left to do)."""
    last_bot = None
    for i, ref in enumerate(refs):
        if ref.startswith(BOT_MARK):
            last_bot = i
    ids = []
    for i, ref in enumerate(refs):
        if i == last_bot:
            continue
        raw = ref[len(BOT_MARK):] if ref.startswith(BOT_MARK) else ref
        if raw.lstrip("-").isdigit():
            ids.append(int(raw))
    return ids


# -- process registry for kick() ---------------------------------------------------------

_registry: list["weakref.ref[OutboxSender]"] = []
_registry_lock = threading.Lock()


def kick(runtime: "Runtime") -> None:
    """Wake the senders of this process that serve ``runtime`` (after a webhook queued replies)."""
    with _registry_lock:
        alive = [ref for ref in _registry if ref() is not None]
        _registry[:] = alive
    for ref in alive:
        sender = ref()
        if sender is not None and sender.rt is runtime:
            sender.wake()


def make_sender(runtime: "Runtime", *, fast_lane: bool = True) -> OutboxSender | None:
    """A sender for the configured channels, or None when no channel needs one."""
    s = runtime.settings
    if not (s.telegram_bot_token or s.sms_enabled):
        return None
    return OutboxSender(runtime, fast_lane=fast_lane)
