from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import Engine

from storage import throttle

NOW = 1_800_000_000.0
WINDOW = 3600.0
GLOBAL = hashlib.sha256(b"global").digest()


def _sender(n: int) -> bytes:
    return hashlib.sha256(f"sender {n}".encode()).digest()


def test_per_sender_limit_and_window(engine: Engine) -> None:
    a, b = _sender(1), _sender(2)
    with engine.begin() as conn:
        assert not throttle.is_blocked(conn, key=a, limit=3, window_seconds=WINDOW, now=NOW)
        assert throttle.hit(conn, key=a, limit=3, window_seconds=WINDOW, now=NOW) is False
        assert throttle.hit(conn, key=a, limit=3, window_seconds=WINDOW, now=NOW + 1) is False
        assert not throttle.is_blocked(conn, key=a, limit=3, window_seconds=WINDOW, now=NOW + 2)
        assert throttle.hit(conn, key=a, limit=3, window_seconds=WINDOW, now=NOW + 2) is True
        assert throttle.is_blocked(conn, key=a, limit=3, window_seconds=WINDOW, now=NOW + 3)
        assert throttle.hit(conn, key=a, limit=3, window_seconds=WINDOW, now=NOW + 4) is True
        assert not throttle.is_blocked(conn, key=b, limit=3, window_seconds=WINDOW, now=NOW + 3)
    with engine.begin() as conn:  # the window ends: a new one starts
        assert not throttle.is_blocked(conn, key=a, limit=3, window_seconds=WINDOW, now=NOW + WINDOW)
        assert throttle.hit(conn, key=a, limit=3, window_seconds=WINDOW, now=NOW + WINDOW) is False
        assert throttle.hit(conn, key=a, limit=3, window_seconds=WINDOW, now=NOW + WINDOW + 1) is False
        assert throttle.hit(conn, key=a, limit=3, window_seconds=WINDOW, now=NOW + WINDOW + 2) is True


def test_global_limit_across_senders(engine: Engine) -> None:
    with engine.begin() as conn:
        blocked = []
        for n in range(10):
            sender_blocked = throttle.hit(conn, key=_sender(n), limit=3, window_seconds=WINDOW, now=NOW + n)
            global_blocked = throttle.hit(conn, key=GLOBAL, limit=8, window_seconds=WINDOW, now=NOW + n)
            assert not sender_blocked
            blocked.append(global_blocked)
        assert blocked == [False] * 7 + [True] * 3
        assert throttle.is_blocked(conn, key=GLOBAL, limit=8, window_seconds=WINDOW, now=NOW + 20)
        assert not throttle.is_blocked(conn, key=_sender(0), limit=3, window_seconds=WINDOW, now=NOW + 20)
        # senders 0-5 and the global key (windows began by NOW+5)
        assert throttle.prune(conn, now=NOW + WINDOW + 5, window_seconds=WINDOW) == 7
        with pytest.raises(throttle.BadThrottleArgumentsError):
            throttle.hit(conn, key=GLOBAL, limit=0, window_seconds=WINDOW, now=NOW)
