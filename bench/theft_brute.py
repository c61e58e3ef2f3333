"""The theft drill's brute force: candidate ids against every keyed hash of the copy, on every core.

Split from ``bench.theft_attack`` (which says what is tried, and with which keys).
"""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Iterable


@dataclass
class Timing:
    what: str
    candidates: int
    seconds: float
    matched: int
    cores: int = 1


class _Mac:
    """HMAC-SHA256 under one key with its pads hashed once (a third of ``hmac.digest``'s time here)."""

    def __init__(self, key: bytes) -> None:
        block = key.ljust(64, b"\0")
        self.inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self.outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def __call__(self, message: bytes) -> bytes:
        inner = self.inner.copy()
        inner.update(message)
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.digest()


def _scan(job: tuple[list[bytes], bytes | None, frozenset[bytes], bytes, int, int]) -> list[tuple[int, bytes]]:
    """One chunk of candidates: ``pattern % k`` under each key (and that hash under ``second``)."""
    keys, second, hashes, pattern, start, stop = job
    macs, then = [_Mac(k) for k in keys], _Mac(second) if second else None
    hits = []
    for k in range(start, stop):
        message = pattern % k
        for mac in macs:
            value = mac(message)
            if value in hashes or (then is not None and then(value) in hashes):
                hits.append((k, value))
    return hits


def brute(what: str, keys: list[bytes], hashes: set[bytes], pattern: bytes, candidates: range,
          second: bytes | None = None) -> tuple[Timing, list[tuple[int, bytes]]]:
    """Every candidate ``pattern % k`` against every keyed hash of the copy, on every core."""
    workers = os.cpu_count() or 1
    step = max(1, -(-len(candidates) // (workers * 4)))
    jobs = [(keys, second, frozenset(hashes), pattern, a, min(a + step, candidates.stop))
            for a in range(candidates.start, candidates.stop, step)]
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        hits = [hit for chunk in pool.map(_scan, jobs) for hit in chunk]
    return Timing(what, len(candidates), time.perf_counter() - start, len(hits), workers), hits


def around(values: Iterable[int], n: int, floor: int = 0, ceiling: int | None = None) -> range:
    """``n`` consecutive candidates centred on the real values (so the range holds them)."""
    ordered = sorted(values)
    if not ordered:
        return range(0)
    mid = (ordered[0] + ordered[-1]) // 2
    start = max(floor, mid - n // 2)
    if ceiling is not None:
        start = max(floor, min(start, ceiling - n))
    return range(start, start + n)
