"""Drill (issue 13): PostgreSQL away under load, inside and beyond the providers' retries.

SMS reporters (signed Twilio webhooks, retried as Twilio does: for about 15 s in all, then the
message is lost) and Telegram reporters (retried until the drill ends, as the Bot API does)
write steadily to one public app, while a ``tipline worker`` round runs every half second.
``--mode cluster`` (the default, ``make drills``): the line runs on a throwaway PostgreSQL
cluster the drill starts itself (``drills/pg_cluster.py``) and stops with ``pg_ctl stop -m fast``
for ``--outage`` seconds.  ``--mode proxy``: the line's URL goes through a TCP proxy
(``drills/tcp_proxy.py``) to ``--postgres``, and the proxy is stopped instead (where initdb is
missing).  The machine's PostgreSQL is never stopped.  Then: never a 500, recovery without a
restart, every acknowledged message in the database once the spool is drained, and messages
lost per channel (printed; the drill fails on any).

    .venv/bin/python drills/outage.py [--outage 10] [--mode cluster|proxy] [--postgres URL]   # 60: beyond Twilio's
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from contextlib import nullcontext
from typing import Any, ContextManager, Protocol

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench.common import fresh_runtime
from bench.theft_postgres import own_schema
from drills.outage_load import Tally, start_reporters
from drills.pg_cluster import PgCluster
from drills.tcp_proxy import TcpProxy
from storage import inbound
from storage.epochs import EpochKeys, schedules
from storage.tables import Inbound
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.webhooks.helpers import BASE_URL, LINE, TG_SECRET, TG_TOKEN, TW_SID, TW_TOKEN
from tipline.app import create_public_app
from tipline.jobs import Jobs
from tipline.runtime import Runtime

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class Switch(Protocol):
    """What the drill stops and starts: the cluster itself, or the proxy in front of a server."""

    def stop(self) -> None: ...

    def start(self) -> object: ...


@dataclass
class Worker:
    """``tipline worker`` in a thread: a round every ``interval``; a failing round is retried next time."""

    jobs: Jobs
    interval: float = 0.5
    failed_rounds: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.jobs.run_once()
            except Exception:  # the database is away: the next round tries again
                self.failed_rounds += 1

    def start(self) -> "Worker":
        threading.Thread(target=self.run, daemon=True, name="drill-worker").start()
        return self

    def stop(self) -> None:
        self._stop.set()


def line_env(twilio: FakeTwilio, telegram: FakeTelegram) -> dict[str, str]:
    return {"TIPLINE_PUBLIC_BASE_URL": BASE_URL, "TIPLINE_TWILIO_ACCOUNT_SID": TW_SID,
            "TIPLINE_TWILIO_AUTH_TOKEN": TW_TOKEN, "TIPLINE_TWILIO_FROM": LINE, "TIPLINE_TWILIO_API_BASE": twilio.url,
            "TIPLINE_TELEGRAM_BOT_TOKEN": TG_TOKEN, "TIPLINE_TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
            "TIPLINE_TELEGRAM_API_BASE": telegram.base_url}


def stored_keys(rt: Runtime) -> set[bytes]:
    with rt.db.connect() as conn:
        table = Inbound.__table__  # type: ignore[attr-defined]
        return {bytes(k) for k in conn.execute(select(table.c.key)).scalars()}


def settle(rt: Runtime, keys: EpochKeys, deadline: float) -> bool:
    """Wait for the worker to empty the spool; False if it does not in time."""
    folder = rt.settings.data_dir / "spool"
    while time.monotonic() < deadline:
        if not any(p.name.endswith(".msg") for d in ("ready", "claimed") for p in (folder / d).glob("*")):
            return True
        time.sleep(0.2)
    return False


def losses(rt: Runtime, tally: Tally) -> dict[str, int]:
    """Per channel: messages the provider gave up on, plus acknowledged ones the database lacks."""
    have = stored_keys(rt)
    lost = Counter({channel: len(ids) for channel, ids in tally.gave_up.items()})
    for channel, ids in tally.acked.items():
        lost[channel] += sum(1 for pid in ids if not have & set(inbound.inbound_keys(rt.epochs, channel, pid)))
    return {channel: lost[channel] for channel in ("sms", "telegram")}


def run_outage(rt: Runtime, switch: Switch, args: argparse.Namespace) -> tuple[Tally, dict[str, Any]]:
    keys = EpochKeys(rt.settings.secrets_dir,
                     schedules(idle_minutes=rt.settings.conversation_idle_minutes,
                               followup_days=rt.settings.followup_days))
    keys.create_missing()
    app = create_public_app(rt.settings, rt, epoch_keys=keys)
    jobs = Jobs(rt, epoch_keys=keys)
    worker = Worker(jobs).start()
    tally = Tally()
    duration = args.lead + args.outage + args.tail
    reporters = start_reporters(app, tally, sms=args.sms, telegram=args.telegram, every=args.every,
                                until=time.monotonic() + duration, twilio_window=args.twilio_window)
    time.sleep(args.lead)
    down_at = time.monotonic()
    switch.stop()
    time.sleep(max(0.0, args.outage - (time.monotonic() - down_at)))
    switch.start()
    outage = time.monotonic() - down_at
    for reporter in reporters:
        reporter.join(timeout=duration + args.twilio_window + 30)
    settle_from = time.monotonic()
    drained = settle(rt, keys, settle_from + args.settle)
    drain_s = time.monotonic() - settle_from
    worker.stop()
    jobs.stop()
    return tally, {"outage_s": round(outage, 1), "drained": drained, "drain_s": round(drain_s, 1),
                   "failed_worker_rounds": worker.failed_rounds,
                   "stuck_reporters": sum(1 for r in reporters if r.is_alive())}


def report(tally: Tally, figures: dict[str, Any], lost: dict[str, int], seconds: float) -> bool:
    statuses = dict(sorted(tally.statuses.items()))
    ok = (figures["drained"] and not figures["stuck_reporters"] and not any(lost.values())
          and not any(code >= 500 and code != 503 for code in tally.statuses))
    print(f"outage drill ({figures['mode']}): database away {figures['outage_s']} s, {seconds:.1f} s in all")
    print(f"  sent: {dict(tally.sent)}; acknowledged: { {c: len(v) for c, v in tally.acked.items()} }")
    print(f"  answers by status: {statuses}; SMS answered from the spool: {tally.spooled_sms}")
    print(f"  lost per channel: {lost}; spool drained: {figures['drained']} "
          f"({figures['drain_s']} s after the last message); "
          f"worker rounds that failed while the database was away: {figures['failed_worker_rounds']}")
    print(f"  result: {'PASS' if ok else 'FAIL'}")
    return ok


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=("cluster", "proxy"), default="cluster",
                   help="stop a throwaway cluster (pg_ctl stop -m fast) or a TCP proxy in front of --postgres")
    p.add_argument("--postgres", default=DEFAULT_PG, metavar="URL", help="--mode proxy: the server behind the proxy")
    p.add_argument("--outage", type=float, default=10.0, help="seconds the database is away")
    p.add_argument("--lead", type=float, default=2.0, help="seconds of traffic before the outage")
    p.add_argument("--tail", type=float, default=3.0, help="seconds of traffic after it")
    p.add_argument("--sms", type=int, default=6, help="SMS reporters")
    p.add_argument("--telegram", type=int, default=4, help="Telegram reporters")
    p.add_argument("--every", type=float, default=0.5, help="seconds between a reporter's messages")
    p.add_argument("--twilio-window", type=float, default=15.0, help="how long Twilio retries a message")
    p.add_argument("--settle", type=float, default=30.0, help="seconds allowed to drain the spool afterwards")
    return p.parse_args(argv)


def drill(args: argparse.Namespace, database: ContextManager[str], switch: Switch, route: Any = None) -> bool:
    """The drill on the ``database`` URL; ``route`` rewrites the line's URL (through the proxy)."""
    started = time.monotonic()
    twilio, telegram = FakeTwilio(TW_SID, TW_TOKEN).start(), FakeTelegram(TG_TOKEN).start()
    try:
        with database as schema_url:
            line_url = route(schema_url) if route else schema_url
            rt = fresh_runtime(line_url, **line_env(twilio, telegram))
            try:
                tally, figures = run_outage(rt, switch, args)
                lost = losses(rt, tally)
            finally:
                rt.close()
    finally:
        twilio.stop()
        telegram.stop()
    return report(tally, figures | {"mode": args.mode}, lost, time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    if args.mode == "cluster":
        with PgCluster() as cluster:  # the whole cluster is the drill's: no schema of its own needed
            return 0 if drill(args, nullcontext(cluster.url), cluster) else 1
    url = make_url(args.postgres)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()

    def through(schema_url: str) -> str:
        return make_url(schema_url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)

    try:
        # The schema is made and dropped directly, never through the proxy.
        return 0 if drill(args, own_schema(args.postgres), proxy, through) else 1
    finally:
        proxy.stop()


if __name__ == "__main__":
    sys.exit(main())
