"""Scheduled jobs run by ``tipline worker`` (and inside ``tipline serve`` for one process)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from storage import (
    chain_check, chatlog, conversations, held, inbound, opt_outs, outbox, periods, questions, retention, throttle,
)
from storage.db import truncate_wal
from triage import followup
from storage.epochs import EpochKeys
from tipline import spooling
from tipline.runtime import Runtime
from tipline.unsendable import UnsendableWatch

log = logging.getLogger(__name__)

INBOUND_RETENTION = 48 * 3600  # provider ids are kept long enough to catch every redelivery
# Held messages are fed within a round or two; past this their epoch keys are long gone.
HELD_RETENTION = 48 * 3600


class Jobs:
    def __init__(self, runtime: Runtime, *, clock: Callable[[], float] = time.time,
                 epoch_keys: EpochKeys | None = None) -> None:
        self.rt = runtime
        self.clock = clock
        self._stop = threading.Event()
        self.sender = runtime.sender  # this process's: the webhooks here wake it too
        self.spool = spooling.drainer(runtime, epoch_keys)  # what the webhooks kept while the database was away
        self.unsendable = UnsendableWatch(runtime.settings)  # replies queued for a channel this process lacks

    def request_stop(self) -> None:
        """Stop soon (a signal handler may call this: it only sets flags): the spool feeds no
        further file, the sender starts no new send and gives its leased items back."""
        self._stop.set()
        if self.spool is not None:
            self.spool.stop()
        if self.sender is not None:
            self.sender.stop_sending()

    def run_once(self) -> dict[str, int]:
        """Run every job once; returns counts per job (for logs and tests)."""
        report: dict[str, int] = {}
        if self.spool is not None:  # first, so its replies go out in this round's delivery
            report["spool_fed"] = self.spool.run_once().fed
        report["expired"] = self.rt.intake.expire_idle()
        now = self.clock()
        days = self.rt.settings.followup_days
        with self.rt.db.begin() as conn:
            report["purged_conversations"] = conversations.purge_finished(conn, now=now)
            report["purged_inbound"] = inbound.purge(conn, before=now - INBOUND_RETENTION)
            # No closing reply outlives Twilio's retry window (issue 9, finding 3).
            report["cleared_replies"] = inbound.clear_responses(conn, before=now - inbound.REPLY_RETENTION)
            report["destroyed_period_keys"] = periods.destroy_expired(conn, now=now)
            report["purged_outbox"] = outbox.purge(conn, before=now - days * 86400)
            report["pruned_throttles"] = throttle.prune(conn, now=now, window_seconds=followup.WINDOW)
            # An opt-out's lookup epoch has gone by then (the LOOKUP window: the follow-up days and one).
            report["purged_opt_outs"] = opt_outs.purge(conn, before=now - (days + 2) * 86400)
            # Telegram ids past deleting, and staff questions past their key's window.
            report["purged_chat_log"] = chatlog.purge(conn, now=now)
            report["purged_questions"] = questions.purge(conn, before=now - (days + 2) * 86400)
            # Keep the line's chain fingerprints on an epoch every host can still derive.
            chain_check.record(conn, epochs=self.rt.epochs, now=now)
        # Every epoch key past its window leaves the secrets folder (after the expiry above
        # re-sealed what idle conversations keep): its rows, WAL frames and backups stay closed.
        report["destroyed_epochs"] = sum(self.rt.epochs_on(self.clock).advance().values())
        report.update(self._limits(now))
        self.unsendable.check(self.rt.db)
        if self.sender is not None:
            report["delivered"] = self.sender.run_once()
        # Old frames hold old row versions (sealed under epochs, but the sooner gone the better);
        # a reader on an old snapshot makes it wait for the next round.
        truncate_wal(self.rt.db)
        return report

    def _limits(self, now: float) -> dict[str, int]:
        """Held messages past their keys and closed tips past retention go; the rest held is fed."""
        report: dict[str, int] = {}
        with self.rt.db.begin() as conn:
            report["purged_held"] = held.purge(conn, before=now - HELD_RETENTION)
            report["purged_tips"] = retention.purge_closed_tips(
                conn, before=now - self.rt.settings.tip_retention_days * 86400)
        gate = self.rt.intake.gate
        if gate is not None:  # what the abuse limits held back, through the normal path now
            report.update(gate.feed())
        return report

    def run_forever(self, *, interval: float = 5.0) -> None:
        while not self._stop.is_set():
            try:
                report = self.run_once()
                if any(report.values()):
                    log.info("jobs ran", extra={"report": report})
            except Exception:  # a failing job must not stop the others; it is retried next round
                log.exception("scheduled jobs failed")
            self._stop.wait(interval)

    def start_background(self, *, interval: float = 2.0) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, kwargs={"interval": interval}, daemon=True,
                                  name="tipline-jobs")
        thread.start()
        return thread

    def stop(self) -> None:
        self.request_stop()
        if self.sender is not None:
            self.sender.close()
