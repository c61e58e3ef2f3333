"""Messages per second through the intake service, mid-interview, against bare SQLite.

Each measured message is a reporter's answer in the middle of the interview: the
service records the inbound id, decrypts the state, runs the engine, encrypts the
state and the replies, and commits (SQLite WAL, synchronous=FULL).  The baseline
is one bare sqlite3 insert-and-commit per message with the same pragmas, measured
in the same run, interleaved, three rounds; the figures are medians.

    .venv/bin/python bench/engine.py [--reporters 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from itertools import count
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bare_sqlite_rate, fresh_runtime
from bot.types import InboundMessage

# A witness who already answered "hi"; these answers keep them mid-interview.
MID_INTERVIEW = ["2", "1", "Workers at the farm never leave and a man holds their papers", "1", "2"]


def run_service_round(reporters: int, database_url: str | None) -> float:
    rt = fresh_runtime(database_url)
    service = rt.intake
    ids = count()
    for r in range(reporters):
        service.handle(InboundMessage(channel="sms", address=f"+1555{r:07d}", text="hi", provider_id=f"SM{next(ids)}"))
    start = time.perf_counter()
    n = 0
    for answer in MID_INTERVIEW:
        for r in range(reporters):
            service.handle(
                InboundMessage(channel="sms", address=f"+1555{r:07d}", text=answer, provider_id=f"SM{next(ids)}")
            )
            n += 1
    elapsed = time.perf_counter() - start
    rt.db.dispose()
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reporters", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    args = parser.parse_args()
    n = args.reporters * len(MID_INTERVIEW)
    service_rates: list[float] = []
    bare_rates: list[float] = []
    for _ in range(args.rounds):  # interleaved, so machine noise hits both alike
        service_rates.append(run_service_round(args.reporters, args.database_url))
        bare_rates.append(bare_sqlite_rate(Path(tempfile.mkdtemp()) / "bare.sqlite3", n))
    service = sorted(service_rates)[len(service_rates) // 2]
    bare = sorted(bare_rates)[len(bare_rates) // 2]
    print(f"messages per round: {n} ({args.reporters} reporters x {len(MID_INTERVIEW)} answers)")
    service_rounds, bare_rounds = (", ".join(f"{r:.1f}" for r in rates) for rates in (service_rates, bare_rates))
    print(f"service (engine+crypto+storage+commit): {service:8.1f} msg/s   rounds: {service_rounds}")
    print(f"bare SQLite insert+commit:              {bare:8.1f} msg/s   rounds: {bare_rounds}")
    print(f"ratio service / bare: {service / bare:.2f}")


if __name__ == "__main__":
    main()
