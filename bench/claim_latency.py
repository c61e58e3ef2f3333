"""Claim-next latency on PostgreSQL with 10 thousand and with 1 million stored tips (issue 12).

Each size gets its own schema, migrated with the project's Alembic revisions, filled in bulk with
COPY (not through the intake: the content of a tip does not matter to the queue, only its
metadata, envelopes and claims), analysed, then pulled from by three members with different
queues, one committed claim per sample (each pull really takes a tip, so the next one skips it).
The figure that matters is the ratio of the two sizes: a pull must not slow down as the store grows.

    python -m bench.queue                       # 10k and 1M tips, 300 pulls each (make bench-queue)
    python -m bench.queue --sizes 200,2000 --samples 20   # the smoke test's sizes

(``bench/queue.py``, the name issue 12 gives, runs this module; see there why it is so small.)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from storage import claims  # noqa: E402
from storage.schema import upgrade  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
QUEUES = ("triage", "labour", "sex", "child", "police", "ngo")
# Who pulls: an NGO triage desk, a labour inspector with the NGO queue, child protection with police.
PULLERS = (("s-triage", ("triage",)), ("s-labour", ("labour", "ngo")), ("s-child", ("child", "police")))
PRIORITY_MIX = (("P1", 0.02), ("P2", 0.18), ("P3", 0.40), ("P4", 0.40))
TIPS_PER_DAY = 1400  # a million tips is two years of a busy national line
LIVE_CLAIMS = 50  # members at work on the most urgent tips right now
ENVELOPE_BYTES = 96  # stand-in ciphertext: the queue never reads it
CHUNK = 20_000  # tips per COPY: a million rows are never all in memory

Row = tuple[object, ...]


@dataclass(frozen=True)
class Result:
    schema: str
    tips: int
    envelopes: int
    load_seconds: float
    p50_ms: float
    p99_ms: float


def _priority(rng: random.Random) -> str:
    pick, acc = rng.random(), 0.0
    for priority, share in PRIORITY_MIX:
        acc += share
        if pick < acc:
            return priority
    return "P4"


def _copy_text(rows: Sequence[Sequence[object]]) -> str:
    """Rows in COPY's text format (values here hold no tab, newline or backslash but the bytea's)."""
    return "".join("\t".join("\\N" if v is None else str(v) for v in row) + "\n" for row in rows)


def _chunk(n: int, now: float, span: float, rng: random.Random, blob: str) -> tuple[list[Row], list[Row]]:
    """``n`` tips (priority mix, one to three queues, a fifth with later versions) and their envelopes."""
    tips: list[Row] = []
    envelopes: list[Row] = []
    for _ in range(n):
        tip_id = uuid.UUID(int=rng.getrandbits(128)).hex
        created = now - rng.random() * span
        queues = ["triage"] + rng.sample(QUEUES[1:], rng.choice((0, 1, 1, 2)))
        versions = 1 if rng.random() < 0.8 else rng.randint(2, 4)
        tips.append((tip_id, "complete", "done", _priority(rng), "labour", "bench", ",".join(sorted(queues)),
                     versions, created, created + rng.random() * 3600, None))
        envelopes += [(tip_id, v, q, f"k-{q}", blob, created) for v in range(1, versions + 1) for q in queues]
    return tips, envelopes


_TIP_COPY = ("COPY tip (id, status, reason, priority, categories, rules_version, queues, version, created_at, "
             "updated_at, ref_hash) FROM STDIN")
_ENVELOPE_COPY = "COPY tipenvelope (tip_id, version, queue, key_id, envelope, created_at) FROM STDIN"
# Members at work on the most urgent tips, and claims walked away from (about 2% of tips, picked
# by the first hex digits of their random ids) whose lease ran out.
_CLAIMS = (
    "INSERT INTO tip_claim (tip_id, staff_id, claimed_at, lease_until) SELECT id, 's-other', :now - 60, "
    ":now + 1800 FROM tip ORDER BY priority, created_at LIMIT :live",
    "INSERT INTO tip_claim (tip_id, staff_id, claimed_at, lease_until) SELECT id, 's-gone', :now - 7200, "
    ":now - 3600 FROM tip WHERE substr(id, 1, 2) < '05' ON CONFLICT (tip_id) DO NOTHING",
)


def load(engine: Engine, n: int, now: float, seed: int = 12) -> int:
    """COPY ``n`` tips and their envelopes in chunks, add the claims; returns the envelope count."""
    count = copy_tips(engine, n, now, seed)
    with engine.begin() as conn:
        for sql in _CLAIMS:
            conn.execute(text(sql), {"now": now, "live": LIVE_CLAIMS})
    settle(engine)
    return count


def copy_tips(engine: Engine, n: int, now: float, seed: int = 12) -> int:
    """COPY ``n`` sealed tips (every one in ``triage``, some in more queues) and their envelopes in
    chunks, no claims; returns the envelope count.  Also the claims drill's tips (drills/claims.py)."""
    rng = random.Random(seed)
    span = max(1.0, n / TIPS_PER_DAY) * 86400.0
    blob = "\\\\x" + os.urandom(ENVELOPE_BYTES).hex()  # bytea hex input, its backslash escaped for COPY
    count = 0
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:  # type: ignore[attr-defined]
            for start in range(0, n, CHUNK):
                tips, envelopes = _chunk(min(CHUNK, n - start), now, span, rng, blob)
                for sql, rows in ((_TIP_COPY, tips), (_ENVELOPE_COPY, envelopes)):
                    with cur.copy(sql) as copy:
                        copy.write(_copy_text(rows))
                count += len(envelopes)
        raw.commit()
    finally:
        raw.close()
    return count


def settle(engine: Engine) -> None:
    """What autovacuum and the checkpointer do to a store that has been there a while (hint
    bits, visibility map, statistics, dirty pages written), so the pulls are not timed against
    the bulk load's write-back."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("tip", "tipenvelope", "tip_claim"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))
        try:
            conn.execute(text("CHECKPOINT"))
        except DBAPIError:
            print("  (CHECKPOINT needs a superuser or pg_checkpoint: skipped)", flush=True)


def measure(engine: Engine, samples: int, now: float, *, keep_claims: bool = False, warmup: int = 20) -> list[float]:
    """Seconds per committed claim_next, the pullers taking turns.

    A member holds one tip at a time: the next pull comes when the last tip is done, and a done
    tip leaves the head of the queue.  Closing is not in this schema yet (case statuses come
    with the cases work), so the bench gives the tip back, untimed, after each timed pull: the
    live claims stay at LIVE_CLAIMS plus the pullers'.  ``keep_claims`` keeps every pull instead
    (nobody ever finishes: each pull walks past all the earlier ones)."""
    timings = []
    for i in range(warmup + samples):
        staff_id, queues = PULLERS[i % len(PULLERS)]
        start = time.perf_counter()
        with engine.begin() as conn:
            claim = claims.claim_next(conn, staff_id=staff_id, queues=queues, now=now + i * 0.001)
        if i >= warmup:
            timings.append(time.perf_counter() - start)
        if claim is not None and not keep_claims:
            with engine.begin() as conn:
                claims.release(conn, tip_id=claim.tip_id, staff_id=staff_id)
    return timings


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_size(url: str, n: int, samples: int, keep_claims: bool = False) -> Result:
    """One size in a schema of its own, dropped afterwards."""
    schema = "bench_queue_" + uuid.uuid4().hex[:10]
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    engine = create_engine(f"{url}{sep}options=-csearch_path%3D{schema}")
    try:
        upgrade(engine)
        now = time.time()
        started = time.perf_counter()
        envelopes = load(engine, n, now)
        loaded = time.perf_counter() - started
        timings = measure(engine, samples, now, keep_claims=keep_claims)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return Result(schema=schema, tips=n, envelopes=envelopes, load_seconds=loaded,
                  p50_ms=statistics.median(timings) * 1000, p99_ms=_percentile(timings, 0.99) * 1000)


def report(results: Sequence[Result]) -> str:
    lines = ["| stored tips | envelopes | load (COPY, VACUUM, CHECKPOINT) | claim-next p50 | claim-next p99 |",
             "|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.tips:,} | {r.envelopes:,} | {r.load_seconds:.1f} s | {r.p50_ms:.2f} ms | "
                     f"{r.p99_ms:.2f} ms |")
    small, large = results[0], results[-1]
    lines.append(f"\nratio {large.tips:,} / {small.tips:,} tips: p50 {large.p50_ms / small.p50_ms:.2f}, "
                 f"p99 {large.p99_ms / small.p99_ms:.2f} (target: at most 1.5)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,1000000", help="stored tips, comma-separated, small first")
    parser.add_argument("--samples", type=int, default=300, help="pulls measured per size")
    parser.add_argument("--url", default=os.environ.get("TIPLINE_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep-claims", action="store_true", help="never give a pulled tip back (harsher)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    held = "every pull kept" if args.keep_claims else "each pulled tip given back untimed"
    print(f"claim-next on PostgreSQL, {args.samples} committed pulls per size, {len(PULLERS)} pullers, "
          f"{LIVE_CLAIMS} live claims ahead, 2% expired claims, {held}", flush=True)
    results = []
    for n in sizes:
        results.append(run_size(args.url, n, args.samples, keep_claims=args.keep_claims))
        print(f"  {n:,} tips done (schema {results[-1].schema}, dropped)", flush=True)
    print(report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
