"""Drill (issue 13): 8 processes pull from 2,000 tips at once on PostgreSQL; every tip claimed once.

A fresh line in its own schema gets ``--tips`` sealed tips by COPY (``bench/claim_latency.py``: the
queue reads only their metadata and envelopes) and ``--processes`` staff members, each holding the
``triage`` queue.  Each member pulls in an OS process of its own (multiprocessing, spawn), through
the console's own path (``Work.pull_next``: ``storage.claims.claim_next``, the audit entry, the
alert acknowledgement, one transaction), as fast as it can, all starting together, until the queue
says it is empty.  Then: claims per second, each process's count and pull latency, tips claimed
twice (must be 0), tips left unclaimed (must be 0), and whether the claim rows and the audit log
(its chain verified) agree with what the processes were told.  Exits 1 on any failure or when the
pulls run past ``--timeout``.

    python drills/claims.py [--database-url URL] [--processes 8] [--tips 2000] [--timeout 120]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bench.claim_latency import copy_tips, settle
from bench.common import fresh_runtime
from bench.theft_postgres import own_schema
from bot import load_catalogs, load_flow
from storage import audit, keys
from storage.crypto import KdfParams
from tipline.runtime import Runtime
from tipline.settings import load_settings
from triage.console.auth import Auth
from triage.console.config import ConsoleConfig
from triage.console.work import Work

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ADMIN, ADMIN_PASSPHRASE = "admin", "bench passphrase 1"  # bench.common.fresh_runtime's first admin
PASSPHRASE = "claims drill passphrase"
CHEAP_KDF = KdfParams(time_cost=1, memory_cost_kib=8192)  # fresh_runtime's: unlocking is not what is measured
QUEUE = "triage"  # every tip copy_tips makes is in it


@dataclass
class Pulled:
    """What one process was told: the tips it claimed, in order, and each pull's seconds."""

    member: str
    tips: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    error: str = ""
    finished: float = 0.0  # time.monotonic() when its last pull ended


def puller(env: dict[str, str], member: str, start: Any, stop: Any, results: Any) -> None:
    """One member in one process: unlock, wait for the others, pull until the queue is empty
    (or the drill's time is up: ``stop``, so that a slow run still reports what it did)."""
    out = Pulled(member)
    try:
        rt = Runtime(load_settings(env))
        cfg = ConsoleConfig(db=rt.db, secrets=rt.secrets, staff_kdf=CHEAP_KDF, flow=load_flow(),
                            catalogs=load_catalogs(rt.settings.locales_dir, rt.settings.locales), region=rt.region,
                            locales=rt.settings.locales, default_locale=rt.settings.default_locale)
        work = Work(cfg, Auth(cfg))
        with rt.db.begin() as conn:
            staff = keys.unlock(conn, username=member, passphrase=PASSPHRASE, secrets=rt.secrets, kdf=CHEAP_KDF)
        with rt.db.connect() as conn:  # a connection in the pool before the start, as a running console has
            conn.execute(text("SELECT 1"))
        start.wait(timeout=360)
        while not stop.is_set():
            began = time.perf_counter()
            claim = work.pull_next(staff)
            out.seconds.append(time.perf_counter() - began)
            if claim is None:
                break
            out.tips.append(claim.tip_id)
        rt.close()
    except Exception as exc:  # reported by the parent, which fails the drill
        out.error = f"{type(exc).__name__}: {exc}"
    out.finished = time.monotonic()
    results.put(out)


def add_members(rt: Runtime, n: int) -> list[str]:
    names = [f"puller{i}" for i in range(n)]
    with rt.db.begin() as conn:
        admin = keys.unlock(conn, username=ADMIN, passphrase=ADMIN_PASSPHRASE, secrets=rt.secrets, kdf=CHEAP_KDF)
        for name in names:
            keys.add_staff(conn, username=name, passphrase=PASSPHRASE, is_admin=False, secrets=rt.secrets,
                           kdf=CHEAP_KDF, now=time.time())
            keys.grant(conn, admin=admin, member=name, queue=QUEUE, now=time.time())
    return names


def pull_all(env: dict[str, str], members: list[str], timeout: float) -> tuple[list[Pulled], float, bool]:
    """Every member in its own process, started together; (results, seconds, all finished in time)."""
    ctx = mp.get_context("spawn")
    start, stop, results = ctx.Barrier(len(members) + 1), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=puller, args=(env, m, start, stop, results), name=f"claims-{m}") for m in members]
    for proc in procs:
        proc.start()
    start.wait(timeout=300)  # every process started (slow on a loaded machine), unlocked its member, connected
    began = time.monotonic()
    out: list[Pulled] = []
    while len(out) < len(procs) and time.monotonic() - began < timeout + 30:
        if time.monotonic() - began > timeout:
            stop.set()  # time is up: each process reports after its current pull
        try:
            out.append(results.get(timeout=0.5))
        except Exception:  # queue.Empty: keep waiting
            continue
    seconds = time.monotonic() - began
    in_time = not stop.is_set() and len(out) == len(procs)
    for proc in procs:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
    return out, max(p.finished for p in out) - began if in_time else seconds, in_time


def stored(rt: Runtime, staff_ids: dict[str, str]) -> dict[str, Any]:
    """What the database says afterwards: claims per member, unclaimed tips, audited claims."""
    with rt.db.connect() as conn:
        tips = int(conn.execute(text("SELECT count(*) FROM tip")).scalar_one())
        rows = conn.execute(text("SELECT staff_id, count(*) FROM tip_claim GROUP BY staff_id")).all()
        unclaimed = int(conn.execute(text(
            "SELECT count(*) FROM tip t WHERE NOT EXISTS (SELECT 1 FROM tip_claim c WHERE c.tip_id = t.id)"
        )).scalar_one())
        audited = Counter(e.subject for e in audit.entries(conn, action="claim", limit=10**6))
        chain = audit.verify(conn, secrets=rt.secrets)
    by_id = {v: k for k, v in staff_ids.items()}
    return {"tips": tips, "claims": {by_id.get(str(s), str(s)): int(n) for s, n in rows}, "unclaimed": unclaimed,
            "audited": audited, "chain_ok": chain.ok}


def report(pulled: list[Pulled], seconds: float, in_time: bool, db: dict[str, Any], processes: int) -> int:
    claimed = Counter(t for p in pulled for t in p.tips)
    duplicates = sum(n - 1 for n in claimed.values() if n > 1)
    total = sum(claimed.values())
    latencies = sorted(s for p in pulled for s in p.seconds)
    print(f"claims drill: {processes} processes, {db['tips']:,} tips on PostgreSQL, "
          f"{total:,} claims in {seconds:.2f} s: {total / seconds:.0f} claims/s")
    print("  per process: " + ", ".join(f"{p.member} {len(p.tips)}" for p in sorted(pulled, key=lambda p: p.member)))
    if latencies:
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
        print(f"  pull latency: p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    print(f"  duplicates: {duplicates} (must be 0); unclaimed: {db['unclaimed']} (must be 0)")
    told = {p.member: len(p.tips) for p in pulled}
    audited_twice = sum(1 for n in db["audited"].values() if n > 1)
    print(f"  claim rows agree with what each process was told: {db['claims'] == told}; audited claims "
          f"{sum(db['audited'].values()):,}, audited twice {audited_twice}, audit chain verifies: {db['chain_ok']}")
    failures = [f"{p.member}: {p.error}" for p in pulled if p.error]
    failures += [] if in_time else [f"the pulls were stopped after {seconds:.0f} s with tips left"]
    failures += [f"{duplicates} tips claimed twice"] if duplicates else []
    failures += [f"{db['unclaimed']} tips left unclaimed"] if db["unclaimed"] else []
    failures += [] if db["claims"] == told else ["the claim rows differ from what the processes were told"]
    failures += [] if set(db["audited"]) == set(claimed) and not audited_twice else ["the audit log differs"]
    failures += [] if db["chain_ok"] else ["the audit chain does not verify"]
    for failure in failures:
        print("FAIL:", failure)
    print(f"  result: {'FAIL' if failures else 'PASS'}")
    return 1 if failures else 0


def run(args: argparse.Namespace) -> int:
    with own_schema(args.database_url) as url:
        rt = fresh_runtime(url, TIPLINE_LOCALES="en")
        env = {"TIPLINE_DATABASE_URL": url, "TIPLINE_LOCALES": "en", "TIPLINE_DATA_DIR": str(rt.settings.data_dir),
               "TIPLINE_SECRETS_DIR": str(rt.settings.secrets_dir)}
        try:
            members = add_members(rt, args.processes)
            with rt.db.connect() as conn:
                staff_ids = {m: keys.staff_id_of(conn, m) for m in members}
            copy_tips(rt.db, args.tips, time.time())
            settle(rt.db)  # analysed, as autovacuum leaves a live store: fresh from COPY, the planner's
            # row estimates make each pull rescan every envelope per tip it walks past (quadratic)
            pulled, seconds, in_time = pull_all(env, members, args.timeout)
            db = stored(rt, staff_ids)
        finally:
            rt.close()
    return report(pulled, seconds, in_time, db, args.processes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--processes", type=int, default=8, help="members pulling, one OS process each")
    parser.add_argument("--tips", type=int, default=2000, help="tips in the queue at the start")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds the pulls may take in all")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
