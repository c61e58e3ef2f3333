"""The one back-off policy: exponential growth, full jitter, a cap, and a provider's word.

Used for outbox retries, provider-copy deletion and a channel's pause after a rate
limit.  Full jitter (a uniform draw between 0 and the exponential ceiling) spreads
the retries of many items that failed together, so they do not come back as a herd.
A provider that says when to come back (Telegram's ``retry_after``) is obeyed: its
figure is a floor, never shortened by the jitter.
"""

from __future__ import annotations

import random
from typing import Callable


def backoff(
    attempts: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after ``attempts`` failed attempts (0 <= delay <= min(cap, base * 2**attempts))."""
    ceiling = min(cap, base * 2.0 ** min(attempts, 62))  # the exponent is bounded: no float overflow
    delay = rand() * ceiling
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay
