"""The staff side's alert loop: pushes "an urgent report is waiting" down the on-call rota.

It runs beside the staff console (a thread in each console worker, ``tipline console``)
or on its own (``tipline oncall run``); any number may run, since each page is taken
with a row claim (``storage.oncall_pages``).  A due page goes to the rota person at its
step; once sent, the next person is due after the escalation time unless the alert was
acknowledged or the tip claimed meanwhile.  Sending runs outside every transaction.
Only this side opens rota addresses: the rota key file is in the console secrets folder.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

from sqlalchemy import Engine

from bot.catalog import Catalogs, load_catalogs
from storage import claims, oncall, oncall_pages
from storage.crypto import CryptoError
from storage.db import read_only
from storage.oncall import RotaEntry
from storage.oncall_secret import RotaOpener, check_rota_opener, load_rota_opener
from tipline.oncall_failure import KEY_MISMATCH, NOT_ENROLLED, reason_of
from tipline.runtime import Runtime
from triage.oncall_messages import ALERT, staff_text
from webhooks.clients import Providers

log = logging.getLogger(__name__)


class Pager(Protocol):
    def __call__(self, channel: str, address: str, text: str) -> None:
        """Send ``text``; raises on failure."""


class ProviderPager:
    """Sends with the line's own provider accounts: twilio's Client, python-telegram-bot's Bot."""

    def __init__(self, providers: Providers, *, twilio_from: str) -> None:
        self.providers = providers
        self.twilio_from = twilio_from

    def __call__(self, channel: str, address: str, text: str) -> None:
        if channel == "sms":
            self.providers.twilio().messages.create(to=address, from_=self.twilio_from, body=text)
            return
        tg = self.providers.telegram()
        tg.call(tg.bot.send_message(chat_id=int(address), text=text, protect_content=True))


@dataclass
class AlertLoop:
    db: Engine = field(repr=False)
    opener: RotaOpener = field(repr=False)
    pager: Pager = field(repr=False)
    catalogs: Catalogs = field(repr=False)
    default_locale: str
    escalate_seconds: float
    poll_seconds: float = 2.0
    clock: Callable[[], float] = field(default=time.time, repr=False)
    lease_seconds: float = 60.0  # a loop that dies mid-send frees its page after this
    retry_seconds: float = 30.0  # nobody on the rota could be reached: try the round again after this
    on_close: Callable[[], None] = field(default=lambda: None, repr=False)
    stopping: threading.Event = field(default_factory=threading.Event, repr=False)  # set on SIGTERM

    def run_once(self) -> int:
        """Adopt new alerts, send every due page once; returns how many alerts were sent."""
        now = self.clock()
        with self.db.begin() as conn:
            oncall_pages.adopt_alerts(conn, now=now)
            due = oncall_pages.claim_due(conn, now=now, lease=self.lease_seconds)
        if not due:
            return 0
        with read_only(self.db) as conn:
            rota = oncall.list_members(conn)
        sent = 0
        for n, page in enumerate(due):
            if self.stopping.is_set():  # the process stops: what it took and did not work goes back now
                with self.db.begin() as conn:
                    oncall_pages.release(conn, alert_ids=[p.alert_id for p in due[n:]])
                break
            sent += self._work(page, rota)
        return sent

    def _work(self, page: oncall_pages.DuePage, rota: list[RotaEntry]) -> int:
        now = self.clock()
        with read_only(self.db) as conn:
            acknowledged = not oncall_pages.alert_is_open(conn, page.alert_id)
            claimed = claims.holder(conn, tip_id=page.tip_id, now=now) is not None
        if acknowledged or claimed:
            with self.db.begin() as conn:
                if acknowledged:
                    oncall_pages.finish(conn, alert_id=page.alert_id, now=now)
                else:  # someone holds the tip: nobody is woken, but a claim left to lapse alerts again
                    oncall_pages.postpone(conn, alert_id=page.alert_id, next_at=now + self.escalate_seconds)
            return 0
        if not rota:
            log.error("a P1 alert is waiting and the on-call rota is empty: add people ('tipline oncall add')")
            with self.db.begin() as conn:
                oncall_pages.record_step(conn, alert_id=page.alert_id, sent=False, now=now,
                                         next_at=now + self.retry_seconds)
            return 0
        person = rota[page.step % len(rota)]
        why = self._deliver(person)
        sent = why is None
        failure = None if sent else oncall_pages.Failure(str(why), person.channel, person.id)
        round_done = (page.step + 1) % len(rota) == 0
        # Unreachable: the next person at once (after a whole round of failures, a pause).
        wait = self.escalate_seconds if sent else (self.retry_seconds if round_done else 0.0)
        with self.db.begin() as conn:
            oncall_pages.record_step(conn, alert_id=page.alert_id, sent=sent, now=now, next_at=now + wait,
                                     failure=failure)
        return int(sent)

    def _deliver(self, person: RotaEntry) -> str | None:
        """None when sent; else why not (a reason class, for /alerts)."""
        if person.sealed_address is None:
            log.warning("on-call person at position %d has not enrolled a Telegram chat: skipped", person.position)
            return NOT_ENROLLED
        text = staff_text(self.catalogs, locale=person.locale, default_locale=self.default_locale, msgid=ALERT)
        try:
            address = self.opener.address(member_id=person.id, sealed=person.sealed_address)
            self.pager(person.channel, address, text)
        except CryptoError:
            log.error("on-call address at position %d does not open with this rota key", person.position)
            return KEY_MISMATCH
        except Exception as exc:  # provider refusals, timeouts: the type only (messages may name numbers)
            log.warning("on-call alert to position %d failed: %s", person.position, type(exc).__name__)
            return reason_of(exc)
        log.info("on-call alert sent to position %d (%s)", person.position, person.channel)
        return None

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception as exc:  # a database outage: keep trying, say what failed
                log.error("on-call alert loop: %s", type(exc).__name__)
                busy = 0
            if not busy:
                stop.wait(self.poll_seconds)

    def start(self) -> "Running":
        stop = threading.Event()
        thread = threading.Thread(target=self.run_forever, args=(stop,), name="tipline-oncall", daemon=True)
        thread.start()
        return Running(self, thread, stop)

    def close(self) -> None:
        self.on_close()


@dataclass
class Running:
    loop: AlertLoop
    thread: threading.Thread
    stop_event: threading.Event

    def request_stop(self) -> None:
        """Signal-safe: only sets flags; ``stop`` then joins."""
        self.loop.stopping.set()
        self.stop_event.set()

    def stop(self) -> None:
        self.request_stop()
        self.thread.join(timeout=10.0)
        self.loop.close()


def build_alert_loop(rt: Runtime, *, poll_seconds: float | None = None,
                     clock: Callable[[], float] = time.time) -> AlertLoop:
    """The loop for this install; raises ``RotaKeyMissing`` (a ``CryptoError``) without the console secrets."""
    s = rt.settings
    opener = load_rota_opener(s.oncall_key_dir)
    with read_only(rt.db) as conn:
        check_rota_opener(conn, opener, s.oncall_key_dir)
    providers = Providers(
        telegram_token=s.telegram_bot_token, telegram_api_base=s.telegram_api_base,
        twilio_account_sid=s.twilio_account_sid, twilio_auth_token=s.twilio_auth_token,
        twilio_api_base=s.twilio_api_base,
    )
    return AlertLoop(
        db=rt.db, opener=opener, pager=ProviderPager(providers, twilio_from=s.twilio_from),
        catalogs=load_catalogs(s.locales_dir, s.locales), default_locale=s.default_locale,
        escalate_seconds=s.oncall_escalate_minutes * 60.0,
        poll_seconds=s.oncall_poll_seconds if poll_seconds is None else poll_seconds,
        clock=clock, on_close=providers.close,
    )
