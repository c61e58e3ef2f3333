"""Graceful stop for the long-running commands (``tipline worker``, ``tipline oncall run``).

systemd, docker and an operator's Ctrl-C stop a process with SIGTERM or SIGINT.  The handler
only sets flags (it runs in the main thread between two bytecodes, perhaps inside a delivery
round that holds locks): the process then finishes the sends in flight, gives back what it
took and has not done (outbox items, claimed spool files, on-call pages) and exits, instead of
leaving leases for another process to wait out.
"""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import Callable

log = logging.getLogger(__name__)


def on_stop_signal(request_stop: Callable[[], None]) -> None:
    """Call ``request_stop`` (which must not block) on SIGTERM or SIGINT; a second signal exits at once."""
    stopping = False

    def handle(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:  # asked twice: the operator means it
            raise SystemExit(128 + signum)
        stopping = True
        log.info("stopping: finishing the sends in flight, giving back the rest",
                 extra={"signal": signal.Signals(signum).name})
        request_stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handle)
