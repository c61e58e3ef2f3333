"""The one back-off policy: grows, is jittered within its bounds, is capped, obeys a provider's wait."""

from __future__ import annotations

import random

from hypothesis import given, strategies as st

from storage.backoff import backoff


@given(attempts=st.integers(0, 10_000), base=st.floats(0.1, 100), cap=st.floats(1, 7200),
       draw=st.floats(0, 1, exclude_max=True))
def test_delay_stays_within_zero_and_the_capped_ceiling(attempts: int, base: float, cap: float, draw: float) -> None:
    delay = backoff(attempts, base=base, cap=cap, rand=lambda: draw)
    assert 0 <= delay <= min(cap, base * 2.0 ** min(attempts, 62))


def test_the_ceiling_doubles_until_the_cap() -> None:
    top = [backoff(n, base=2.0, cap=600.0, rand=lambda: 1.0) for n in range(12)]
    assert top[:9] == [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0]
    assert top[9:] == [600.0, 600.0, 600.0]


def test_delays_are_spread_over_the_whole_range() -> None:
    rng = random.Random(7)
    delays = [backoff(6, base=2.0, cap=600.0, rand=rng.random) for _ in range(2000)]
    assert min(delays) < 128 * 0.05 and max(delays) > 128 * 0.95  # full jitter, not a fixed schedule
    assert len(set(delays)) == len(delays)


def test_a_providers_retry_after_is_a_floor() -> None:
    assert backoff(1, base=2.0, cap=600.0, retry_after=30.0, rand=lambda: 0.5) == 30.0
    assert backoff(9, base=2.0, cap=600.0, retry_after=30.0, rand=lambda: 0.5) == 300.0
