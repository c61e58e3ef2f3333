"""Scheduled jobs run by ``tipline worker`` (and inside ``tipline serve`` for one process)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from storage import conversations, held, inbound, outbox, periods, retention, throttle
from triage import followup
from tipline.runtime import Runtime

log = logging.getLogger(__name__)

INBOUND_RETENTION = 48 * 3600  # provider ids are kept long enough to catch every redelivery
# Held messages are fed within a round or two; past this their epoch keys are long gone.
HELD_RETENTION = 48 * 3600


class Jobs:
    def __init__(self, runtime: Runtime, *, clock: Callable[[], float] = time.time) -> None:
        self.rt = runtime
        self.clock = clock
        self._stop = threading.Event()
        self.sender = runtime.sender  # this process's: the webhooks here wake it too

    def run_once(self) -> dict[str, int]:
        """Run every job once; returns counts per job (for logs and tests)."""
        report: dict[str, int] = {}
        report["expired"] = self.rt.intake.expire_idle()
        now = self.clock()
        with self.rt.db.begin() as conn:
            report["purged_conversations"] = conversations.purge_finished(conn, now=now)
            report["purged_inbound"] = inbound.purge(conn, before=now - INBOUND_RETENTION)
            report["destroyed_period_keys"] = periods.destroy_expired(conn, now=now)
            report["purged_outbox"] = outbox.purge(conn, before=now - self.rt.settings.followup_days * 86400)
            report["pruned_throttles"] = throttle.prune(conn, now=now, window_seconds=followup.WINDOW)
            report["purged_held"] = held.purge(conn, before=now - HELD_RETENTION)
            report["purged_tips"] = retention.purge_closed_tips(
                conn, before=now - self.rt.settings.tip_retention_days * 86400)
        gate = self.rt.intake.gate
        if gate is not None:  # what the abuse limits held back, through the normal path now
            report.update(gate.feed())
        if self.sender is not None:
            report["delivered"] = self.sender.run_once()
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
        self._stop.set()
        if self.sender is not None:
            self.sender.close()
