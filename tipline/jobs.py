"""Scheduled jobs run by ``tipline worker`` (and inside ``tipline serve`` for one process).

Each job runs on its own: one that fails (the database away, one bad row) is logged once with
its one-line reason and retried next round, and never keeps the others from running.  Key
destruction needs no database at all, so it runs every round whatever else failed: an outage
is exactly when the spool holds messages whose keys must still die on time.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from sqlalchemy import Connection

from storage import (
    chain_check, chatlog, conversations, held, inbound, opt_outs, outbox, periods, questions, retention, throttle,
)
from storage.db import truncate_wal
from triage import followup
from storage.epochs import EpochKeys
from tipline import spooling
from tipline.job_steps import Steps
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
        self.steps = Steps(log)  # which jobs are failing now (each logged once until it recovers)

    def request_stop(self) -> None:
        """Stop soon (a signal handler may call this: it only sets flags): the spool feeds no
        further file, the sender starts no new send and gives its leased items back."""
        self._stop.set()
        if self.spool is not None:
            self.spool.stop()
        if self.sender is not None:
            self.sender.stop_sending()

    def run_once(self) -> dict[str, int]:
        """Run every job once; returns counts per job that ran (for logs and tests)."""
        report: dict[str, int] = {}
        run = self.steps.runner(report)
        spool = self.spool
        if spool is not None:  # first, so its replies go out in this round's delivery
            run("spool_fed", lambda: spool.run_once().fed)  # files past their window go, database or not
        run("expired", self.rt.intake.expire_idle)
        now = self.clock()
        self._database_jobs(now, report)
        # Every epoch key past its window leaves the secrets folder (after the expiry above
        # re-sealed what idle conversations keep): its rows, WAL frames and backups stay closed.
        # Whatever failed above, this runs: it needs no database.
        run("destroyed_epochs", lambda: sum(self.rt.epochs_on(self.clock).advance().values()))
        self._limits(now, report)
        self.steps.quietly("unsendable", lambda: self.unsendable.check(self.rt.db))
        sender = self.sender
        if sender is not None:
            run("delivered", sender.run_once)
        # Old frames hold old row versions (sealed under epochs, but the sooner gone the better);
        # a reader on an old snapshot makes it wait for the next round.
        self.steps.quietly("truncate_wal", lambda: truncate_wal(self.rt.db))
        return report

    def _database_jobs(self, now: float, report: dict[str, int]) -> None:
        """The purges, each in its own transaction: one failing job leaves the others' work done."""
        days = self.rt.settings.followup_days
        jobs: dict[str, Callable[[Connection], int]] = {
            "purged_conversations": lambda c: conversations.purge_finished(c, now=now),
            "purged_inbound": lambda c: inbound.purge(c, before=now - INBOUND_RETENTION),
            # No closing reply outlives Twilio's retry window (issue 9, finding 3).
            "cleared_replies": lambda c: inbound.clear_responses(c, before=now - inbound.REPLY_RETENTION),
            "destroyed_period_keys": lambda c: periods.destroy_expired(c, now=now),
            "purged_outbox": lambda c: outbox.purge(c, before=now - days * 86400),
            "pruned_throttles": lambda c: throttle.prune(c, now=now, window_seconds=followup.WINDOW),
            # An opt-out's lookup epoch has gone by then (the LOOKUP window: the follow-up days and one).
            "purged_opt_outs": lambda c: opt_outs.purge(c, before=now - (days + 2) * 86400),
            # Telegram ids past deleting, and staff questions past their key's window.
            "purged_chat_log": lambda c: chatlog.purge(c, now=now),
            "purged_questions": lambda c: questions.purge(c, before=now - (days + 2) * 86400),
            # Held messages past their keys and closed tips past retention go.
            "purged_held": lambda c: held.purge(c, before=now - HELD_RETENTION),
            "purged_tips": lambda c: retention.purge_closed_tips(
                c, before=now - self.rt.settings.tip_retention_days * 86400),
        }
        self.steps.in_transactions(self.rt.db, jobs, report)
        # Keep the line's chain fingerprints on an epoch every host can still derive.
        self.steps.quietly("chain_check", lambda: self._chain_check(now))

    def _chain_check(self, now: float) -> None:
        with self.rt.db.begin() as conn:
            chain_check.record(conn, epochs=self.rt.epochs, now=now)

    def _limits(self, now: float, report: dict[str, int]) -> None:
        """What the abuse limits held back is fed through the normal path now."""
        gate = self.rt.intake.gate
        if gate is not None:
            self.steps.quietly("held_feed", lambda: report.update(gate.feed()))

    def run_forever(self, *, interval: float = 5.0) -> None:
        while not self._stop.is_set():
            try:
                report = self.run_once()
                if any(report.values()):
                    log.info("jobs ran", extra={"report": report})
            except Exception:  # each job has its own handling: this is a bug in the round itself
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
