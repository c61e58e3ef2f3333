"""Drill (issue 13): processes killed with SIGKILL, and a worker stopped with SIGTERM.

(a) worker: replies for SMS and Telegram conversations are queued; a ``tipline worker`` sends them
    to the fake Twilio and Telegram servers, slowed (``--delay`` s a send) so sends are in flight,
    and is killed with SIGKILL partway.  The sends in flight at the kill are those the providers
    accepted that the dead worker never recorded.  A new worker then delivers everything once
    the dead one's leases run out (``TIPLINE_OUTBOX_LEASE_SECONDS``, here ``--lease``): every
    reply delivered, in order per conversation, and duplicates at most the sends in flight.
(b) web process: ``drills/kill_web.py``.

    .venv/bin/python drills/kill.py [--mode cluster|server] [--postgres URL]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.theft_postgres import own_schema
from drills import kill_web
from drills.pg_cluster import PgCluster
from drills.procs import Line, duplicates, in_order, line, queue_replies, start, wait_until

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def stop(proc: subprocess.Popen[bytes], seconds: float = 60.0) -> int:
    proc.send_signal(signal.SIGTERM)
    return int(proc.wait(seconds))


def worker_killed(lin: Line, args: argparse.Namespace) -> bool:
    lin.slow_sends(args.delay)
    texts = queue_replies(lin, conversations_per_channel=args.conversations, each=args.each)
    first = start(lin, "worker", "--interval", "0.2")
    reached = wait_until(lambda: len(lin.sent()) >= args.kill_after, timeout=120)
    first.kill()
    first.wait()
    time.sleep(args.delay + 1.0)  # what the dead worker had begun to send reaches the providers
    sent_at_kill = len(lin.sent())
    queued, leased = lin.outbox_rows()
    in_flight = sent_at_kill - (len(texts) - queued)  # accepted by a provider, never recorded as sent
    restarted = time.monotonic()
    second = start(lin, "worker", "--interval", "0.2")
    drained = wait_until(lambda: lin.outbox_rows()[0] == 0,
                         timeout=args.lease + len(texts) * args.delay + 60, step=0.2)
    recovery = time.monotonic() - restarted
    stop(second)
    sent = lin.sent()
    missing, dups = len(set(texts) - set(sent)), duplicates(sent)
    ok = reached and drained and not missing and dups <= in_flight and in_order(sent)
    print(f"worker SIGKILL drill: {len(texts)} replies queued ({args.conversations} SMS and "
          f"{args.conversations} Telegram conversations, {args.each} each), sends slowed to {args.delay} s")
    print(f"  at the kill: {sent_at_kill} sent, {in_flight} sends in flight (sent, not recorded), "
          f"{leased} items leased by the dead worker")
    print(f"  after a new worker ({recovery:.1f} s, lease {args.lease} s): delivered {len(set(sent))}/{len(texts)}, "
          f"missing {missing}, duplicates {dups} (at most {in_flight}), in order per conversation: {in_order(sent)}")
    print(f"  result: {'PASS' if ok else 'FAIL'}")
    return ok


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=("cluster", "server"), default="cluster",
                   help="a throwaway cluster of the drill's own, or a schema on --postgres")
    p.add_argument("--postgres", default=DEFAULT_PG, metavar="URL", help="--mode server: the server to use")
    p.add_argument("--only", choices=("worker", "web"), help="run one half of the drill")
    p.add_argument("--conversations", type=int, default=20, help="conversations per channel")
    p.add_argument("--each", type=int, default=5, help="replies queued per conversation")
    p.add_argument("--delay", type=float, default=0.4, help="seconds each send waits at the fake provider")
    p.add_argument("--kill-after", type=int, default=30, help="sends accepted before the SIGKILL")
    p.add_argument("--lease", type=int, default=10, help="TIPLINE_OUTBOX_LEASE_SECONDS for the line")
    return p.parse_args(argv)


def run(args: argparse.Namespace, server_url: str) -> bool:
    """Each half on a fresh install in a schema of its own on ``server_url``."""
    ok = True
    if args.only in (None, "worker"):
        with line(own_schema(server_url), TIPLINE_OUTBOX_LEASE_SECONDS=str(args.lease)) as lin:
            ok &= worker_killed(lin, args)
    if args.only in (None, "web"):
        with line(own_schema(server_url)) as lin:
            ok &= kill_web.web_killed(lin)
    return ok


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    if args.mode == "cluster":
        with PgCluster() as cluster:
            return 0 if run(args, cluster.url) else 1
    return 0 if run(args, args.postgres) else 1


if __name__ == "__main__":
    sys.exit(main())
