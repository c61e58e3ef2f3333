"""A rejected provider signature, told to the operator once, not once per request.

A wrong ``TIPLINE_PUBLIC_BASE_URL`` (or a rotated auth token) makes every delivery fail the
check: one WARNING that names the likely cause, then at most one summary line per interval with
how many more were refused, so a flood of forged or misrouted requests cannot flood the log.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

log = logging.getLogger(__name__)

SUMMARY_SECONDS = 600.0


class RejectionLog:
    def __init__(self, what: str, cause: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self.cause = cause
        self.clock = clock
        self._lock = threading.Lock()
        self._last: float | None = None
        self._since = 0

    def rejected(self) -> None:
        now = self.clock()
        with self._lock:
            first = self._last is None
            if not first and now - (self._last or 0.0) < SUMMARY_SECONDS:
                self._since += 1
                return
            more, self._since, self._last = self._since, 0, now
        if first:
            log.warning("%s rejected: %s", self.what, self.cause)
        else:
            log.warning("%s rejected again (%d more since the last line): %s", self.what, more + 1, self.cause)
