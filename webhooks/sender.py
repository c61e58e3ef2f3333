"""The delivery loop: queued replies go out through the channels, at least once, in order per conversation.

``storage.outbox.due`` gives the first pending item of each conversation; a round leases those
items in a short transaction, delivers them with no transaction open (the web workers never wait
on a provider), and records each outcome as it comes in a short transaction of its own.  A round
is repeated while it delivers something, so the next reply of a conversation follows at once.
What a provider says comes back as a ``channel.Result``: a retry backs off (``storage.backoff``),
a provider's retry-after pauses that channel, an item that keeps failing (or can never succeed)
becomes dead (``tipline outbox list``), and a carrier opt-out cancels the conversation's queue.
The same job deletes provider copies and closed reply windows.

``wake()``: a webhook that queued replies wakes this process's sender, which
delivers from its own thread at once; ``tipline worker`` relies on its interval.

``stop_sending()`` (a stopping process, SIGTERM): sends in flight finish and are recorded; the
items it leased and has not started go back to pending at once (``outbox.release``) instead of
waiting out the lease, so another process delivers them now.  Safe from a signal handler.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Callable, Mapping

from sqlalchemy import Connection, Engine

from bot.types import SMS, TELEGRAM, WHATSAPP, OutboxAction, OutboxMessage
from storage import chatlog, lookups, opt_outs, outbox, periods, provider_copies
from storage.crypto import ServerSecrets
from storage.epochs import EpochKeys
from storage.outbox import ItemStatus, OutboxItem
from webhooks import provider_copies as copies
from webhooks import reply_window
from webhooks.channel import Channel, Delivery, DeliveryOutcome, Result
from webhooks.clients import Providers
from webhooks.telegram_channel import TelegramChannel
from webhooks.twilio_channel import TwilioChannel

log = logging.getLogger(__name__)

LEASE = 120.0  # an item taken by a sender that died is retried after this
MAX_ROUNDS = 20
BATCH = 50
PARALLEL = 8  # deliveries in flight at once (different conversations)
UNCONFIGURED_RECHECK = 300.0


class OutboxSender:
    def __init__(
        self, *, db: Engine, secrets: ServerSecrets, epochs: EpochKeys, channels: Mapping[str, Channel],
        cleanup: Callable[[], object] | None = None, providers: Providers | None = None,
        clock: Callable[[], float] = time.time, fast_lane: bool = True, lease: float = LEASE,
    ) -> None:
        self.db, self.lease = db, lease  # lease: how long a sender that died keeps its items from the others
        self.secrets = secrets
        self.epochs = epochs  # the process's epoch keys: addresses and opt-out lookups
        self.channels = dict(channels)  # channel name -> its implementation (SMS and WhatsApp may share one)
        self.clock = clock
        self.fast_lane = fast_lane
        self._cleanup = cleanup
        self._providers = providers
        self._box = outbox.box(epochs, secrets)  # the intake service's outbox/chat-log box
        self._copies_box = provider_copies.box(epochs, secrets)
        self._run_lock = threading.Lock()
        self._paused: dict[int, float] = {}  # id(channel) -> until
        self._pause_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(PARALLEL, thread_name_prefix="tipline-deliver")
        self._event = threading.Event()
        self._wake_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._stopping = threading.Event()  # no new send starts; what is leased goes back

    # -- the job ---------------------------------------------------------------------

    def run_once(self) -> int:
        """Deliver what is due (repeating while replies go out); returns how many were delivered."""
        with self._run_lock:
            if self._closed:  # its pool and clients are gone; the next process's sender takes over
                return 0
            delivered = 0
            for _ in range(MAX_ROUNDS):
                if self._stopping.is_set():
                    break
                count = self._round()
                delivered += count
                if not count:
                    break
            try:
                if self._cleanup is not None:
                    self._cleanup()
                reply_window.purge(self.db, now=self.clock())
            except Exception as exc:  # retried next run; delivery already happened
                log.warning("provider copy deletion failed", extra={"error": type(exc).__name__})
            return delivered

    def _round(self) -> int:
        now = self.clock()
        with self.db.begin() as conn:
            items = outbox.due(conn, box=self._box, now=now, limit=BATCH)
            work = [w for w in (self._take(conn, item, now) for item in items) if w is not None]
            outbox.lease(conn, item_ids=[w.item_id for w in work], until=now + self.lease)
        if not work:
            return 0
        # Recorded as each comes: a sender killed mid-round repeats only its sends in flight.
        futures = {self._pool.submit(self._deliver, w): w for w in work}
        delivered = 0
        for future in as_completed(futures):
            w, r = futures[future], future.result()
            with self.db.begin() as conn:
                if r is None:  # not sent (the process is stopping): pending again now, no attempt counted
                    outbox.release(conn, item_ids=[w.item_id], now=self.clock())
                else:
                    delivered += self._record(conn, w, r, self.clock())
        return delivered

    def _take(self, conn: Connection, item: OutboxItem, now: float) -> Delivery | None:
        """The item ready to deliver, or None when it does not go now (and why is recorded)."""
        channel = self.channels.get(item.channel)
        if channel is None:  # not configured in this process: looked at again later
            outbox.lease(conn, item_ids=[item.id], until=now + UNCONFIGURED_RECHECK)
            return None
        paused = self._paused_until(channel)
        if paused > now:
            outbox.lease(conn, item_ids=[item.id], until=paused)
            return None
        return self._open(conn, item, now)

    def _open(self, conn: Connection, item: OutboxItem, now: float) -> Delivery | None:
        """Open the destination and the body, and apply the rules that keep an item back."""
        address = self._address(conn, item, now)
        if address is None:
            outbox.failed(conn, item_id=item.id, attempts=item.attempts, error="address erased", now=now,
                          permanent=True)
            return None
        if opt_outs.is_opted_out(conn, lookups.address(self.epochs, item.channel, address)):
            outbox.cancel_conversation(conn, conversation_id=item.conversation_id)
            return None
        if reply_window.hold_if_closed(conn, channel=item.channel, item_id=item.id,
                                       conversation_id=item.conversation_id, now=now):
            return None
        message = _message(item)
        if message is None:
            outbox.failed(conn, item_id=item.id, attempts=item.attempts, error="unknown body", now=now,
                          permanent=True)
            return None
        history: tuple[str, ...] = ()
        if message.action is OutboxAction.DELETE_HISTORY:
            history = tuple(chatlog.deletable(conn, box=self._box, conversation_id=item.conversation_id, now=now))
        return Delivery(item_id=item.id, conversation_id=item.conversation_id, channel=item.channel,
                        attempts=item.attempts, address=address, message=message, history=history)

    def _address(self, conn: Connection, item: OutboxItem, now: float) -> str | None:
        if not item.address_period:
            return None
        try:
            return periods.open_address(conn, secrets=self.secrets, epochs=self.epochs, blob=item.destination,
                                        period=item.address_period, now=now, channel=item.channel)
        except periods.PeriodError:  # the period's key is destroyed: the address is gone for good
            return None

    def _record(self, conn: Connection, w: Delivery, r: Result, now: float) -> int:
        if r.outcome is DeliveryOutcome.OK:
            outbox.delivered(conn, item_id=w.item_id)
            if r.history_cleared:
                chatlog.forget(conn, conversation_id=w.conversation_id)
            if r.history_ref:
                chatlog.record(conn, box=self._box, conversation_id=w.conversation_id, message_id=r.history_ref,
                               now=now)
            if r.provider_copy:
                provider_copies.queue(conn, box=self._copies_box, channel=w.channel, sid=r.provider_copy, now=now)
            return 1
        if r.outcome is DeliveryOutcome.OPTED_OUT:
            lookup = lookups.address(self.epochs, w.channel, w.address)
            opt_outs.record_opt_out(conn, lookup=lookup, now=now, conversation_id=w.conversation_id)
            opt_outs.stop_running(conn, lookup=lookup, now=now)  # its later messages get no reply either
            return 0
        status = outbox.failed(
            conn, item_id=w.item_id, attempts=w.attempts, error=r.error, now=now,
            retry_after=r.retry_after, permanent=r.outcome is DeliveryOutcome.DEAD,
        )
        if status is ItemStatus.DEAD:
            log.warning("outbox item dead", extra={"item": w.item_id, "channel": w.channel, "error": r.error})
        return 0

    # -- delivery (no transaction open) ----------------------------------------------

    def _deliver(self, work: Delivery) -> Result | None:
        """The provider's answer; None when the process stopped before this send began."""
        if self._stopping.is_set():
            return None
        channel = self.channels[work.channel]
        paused = self._paused_until(channel) - self.clock()
        if paused > 0:  # an earlier item of this round hit the channel's rate limit
            return Result(DeliveryOutcome.RETRY, "paused", retry_after=paused)
        try:
            result = channel.deliver(work)
        except Exception as exc:  # a channel should say so in its result; unknown, so retried
            result = Result(DeliveryOutcome.RETRY, type(exc).__name__)
        if result.retry_after:
            self._pause(channel, result.retry_after)
        return result

    def _paused_until(self, channel: Channel) -> float:
        with self._pause_lock:
            return self._paused.get(id(channel), 0.0)

    def _pause(self, channel: Channel, seconds: float) -> None:
        with self._pause_lock:
            key = id(channel)
            self._paused[key] = max(self._paused.get(key, 0.0), self.clock() + seconds)

    # -- fast lane ---------------------------------------------------------------------

    def wake(self) -> None:
        if self._closed or not self.fast_lane:
            return
        with self._wake_lock:
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
            except Exception as exc:  # retried at the next wake or by the jobs interval
                log.warning("outbox sender round failed", extra={"error": type(exc).__name__})

    def stop_sending(self) -> None:
        """Start no new send; the current round records what went and returns the rest."""
        self._stopping.set()

    def close(self) -> None:
        self._stopping.set()
        self._closed = True
        self._event.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
        with self._run_lock:
            self._pool.shutdown(wait=True)
            if self._providers is not None:
                self._providers.close()


def _message(item: OutboxItem) -> OutboxMessage | None:
    """The typed body, or None if it is not one this sender can deliver."""
    try:
        message = OutboxMessage.from_dict(item.body)
    except (TypeError, ValueError, KeyError):
        return None
    if message.action is OutboxAction.SEND and not message.text:
        return None
    return message


def build_sender(
    *, db: Engine, secrets: ServerSecrets, epochs: EpochKeys, telegram_token: str = "", telegram_api_base: str = "",
    twilio_account_sid: str = "", twilio_auth_token: str = "", twilio_api_base: str = "", twilio_from: str = "",
    clock: Callable[[], float] = time.time, fast_lane: bool = True, lease: float = LEASE,
) -> OutboxSender | None:
    """A sender for the configured channels, or None when no channel needs one.

    Provider clients are built on first use, so call this in the process that delivers
    (after a fork).
    """
    twilio_on = bool(twilio_account_sid and twilio_auth_token)
    if not (telegram_token or twilio_on):
        return None
    providers = Providers(
        telegram_token=telegram_token, telegram_api_base=telegram_api_base, twilio_account_sid=twilio_account_sid,
        twilio_auth_token=twilio_auth_token, twilio_api_base=twilio_api_base,
    )
    channels: dict[str, Channel] = {}
    if telegram_token:
        channels[TELEGRAM] = TelegramChannel(providers.telegram)
    cleanup: Callable[[], object] | None = None
    if twilio_on:
        if twilio_from:
            carrier = TwilioChannel(providers.twilio, sender=twilio_from)
            channels[SMS] = channels[WHATSAPP] = carrier  # one account: paused together
        box = provider_copies.box(epochs, secrets)

        def delete_copies() -> int:
            return copies.delete_due(db, box=box, client=providers.twilio(), clock=clock)

        cleanup = delete_copies

    return OutboxSender(db=db, secrets=secrets, epochs=epochs, channels=channels, cleanup=cleanup, providers=providers,
                        clock=clock, fast_lane=fast_lane, lease=lease)
