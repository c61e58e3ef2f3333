"""Scale: the public app with 1, 2 and 4 gunicorn workers on SQLite and on PostgreSQL (issue 13).

1. Throughput: for each database and worker count, ``tipline serve --no-jobs --workers W`` and a
   minimal durable endpoint on the same database and gunicorn settings (SQLite: one insert +
   commit, WAL, synchronous=FULL; PostgreSQL: one insert + commit, in a schema of its own) are
   driven by wrk replaying pre-signed whole typical interviews (bench/mixes.py, mix (b));
   interleaved (each round runs every database and worker count, the tip line and its baseline
   back to back), three rounds, medians.
2. Under a steady 50 messages/s (bench/scale_paced.py) with ``tipline worker`` processes and
   ``tipline oncall run`` running: webhook to reply received at the fake Bot API (p50/p99), and a
   danger answer to the on-call alert at the fake Twilio (p50/p99).
3. The outbox delivery rate to the fake Bot API with 1, 2 and 4 ``tipline worker`` processes.

    .venv/bin/python bench/scale.py [--seconds 8] [--rounds 3] [--postgres URL | --sqlite-only] [--write-results]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import mixes, report, scale_paced, servers, telegram_path, webhooks, wrk
from bench.scale_line import Line, Processes, lines
from bench.wrk import WrkResult
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tipline.settings import CODE_KDF_DEFAULT

SECTION = "## Scale: 1, 2 and 4 workers on SQLite and PostgreSQL (bench/scale.py)"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
APPS = ("tipline", "durable")


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=8.0, help="wrk duration of each throughput run")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--workers", default="1,2,4", help="gunicorn worker counts (and worker processes to drain)")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--max-rate", type=int, default=3000, help="requests/s the pre-signed files are sized for")
    p.add_argument("--postgres", default=os.environ.get("TIPLINE_BENCH_DATABASE_URL", DEFAULT_PG),
                   help="the PostgreSQL server (SQLAlchemy URL); the bench works in schemas it drops afterwards")
    p.add_argument("--sqlite-only", action="store_true", help="leave PostgreSQL out")
    p.add_argument("--rate", type=float, default=50.0, help="messages/s of the steady part")
    p.add_argument("--steady-seconds", type=float, default=20.0)
    p.add_argument("--steady-workers", type=int, default=2, help="'tipline worker' processes in the steady part")
    p.add_argument("--worker-interval", type=float, default=5.0, help="'tipline worker --interval' (its default)")
    p.add_argument("--drain-replies", type=int, default=600, help="replies queued before the workers drain them")
    p.add_argument("--write-results", action="store_true", help="replace the Scale section of bench/RESULTS.md")
    args = p.parse_args(argv)
    args.worker_counts = [int(w) for w in args.workers.split(",")]
    return args


def postgres_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Cell:
    """One database and worker count: each app's wrk result per round."""

    line: str
    workers: int
    runs: dict[str, list[WrkResult]] = field(default_factory=lambda: {app: [] for app in APPS})

    def median(self, app: str, what: str) -> float:
        return statistics.median(r.ok_rate if what == "rate" else float(getattr(r, what)) for r in self.runs[app])


class Throughput:
    """Every (database, workers) pair's tip line and durable baseline, up at once, idle between runs."""

    def __init__(self, args: argparse.Namespace, wrk_path: str, scratch: Path) -> None:
        self.args, self.wrk, self.scratch = args, wrk_path, scratch
        self.signer = mixes.Signer()
        self.servers: dict[tuple[str, int], dict[str, servers.Server]] = {}
        self.cells: list[Cell] = []
        self.tag = 100  # each run's interviews come from numbers of their own (bench/mixes.py)

    def start(self, line: Line) -> None:
        for w in self.args.worker_counts:
            apps = {"tipline": servers.start_tipline(line.env, workers=w),
                    "durable": servers.start_baseline(line.baseline, self.scratch, workers=w, env=line.baseline_env)}
            self.servers[(line.name, w)] = apps
            self.cells.append(Cell(line.name, w))
            # Unmeasured: every worker has its imports, connections and first interview behind it.
            webhooks.check_interview(apps["tipline"].url, self.signer, sender=mixes.phone(998, len(self.cells)))
            for server in apps.values():
                warm = [mixes.Message("hi", mixes.phone(997, len(self.cells) * 100 + i)) for i in range(8 * w)]
                webhooks.warm(server.url, self.signer, warm, self.args.connections)

    def run_round(self, r: int) -> None:
        path = self.scratch / "requests.bin"
        for cell in self.cells:
            mixes.write_requests(path, self.signer, mixes.interviews(self.tag),
                                 int(self.args.seconds * self.args.max_rate) + 1000)
            self.tag += 1
            order = APPS if r % 2 == 0 else APPS[::-1]  # neither always runs first after the file is written
            for app in order:
                cell.runs[app].append(wrk.run(self.wrk, self.servers[(cell.line, cell.workers)][app].url, path,
                                              seconds=self.args.seconds, connections=self.args.connections,
                                              threads=1))
        path.unlink(missing_ok=True)

    def stop(self) -> None:
        for apps in self.servers.values():
            for server in apps.values():
                server.stop()


def throughput_lines(cells: list[Cell]) -> list[str]:
    out = ["| Database | gunicorn workers | tipline req/s | durable req/s | tipline / durable | "
           "tipline vs 1 worker | p50 ms tipline / durable | p99 ms tipline / durable |",
           "|---|---|---|---|---|---|---|---|"]
    one = {c.line: c.median("tipline", "rate") for c in cells if c.workers == 1}
    for c in cells:
        rate = {app: c.median(app, "rate") for app in APPS}
        scale = f"{rate['tipline'] / one[c.line]:.2f}" if c.line in one else "-"
        out.append(f"| {c.line} | {c.workers} | {rate['tipline']:,.0f} | {rate['durable']:,.0f} | "
                   f"**{rate['tipline'] / rate['durable']:.2f}** | {scale} | "
                   f"{c.median('tipline', 'p50_ms'):.1f} / {c.median('durable', 'p50_ms'):.1f} | "
                   f"{c.median('tipline', 'p99_ms'):.1f} / {c.median('durable', 'p99_ms'):.1f} |")
    out.append("")
    for c in cells:
        per_app = "; ".join(f"{app} " + ", ".join(f"{r.ok_rate:.0f}" for r in c.runs[app]) for app in APPS)
        failed = sum(r.failed for runs in c.runs.values() for r in runs)
        wrapped = [app for app in APPS if any(r.wrapped for r in c.runs[app])]
        out.append(f"- {c.line}, {c.workers} worker(s): req/s per round: {per_app}"
                   + (f"; {failed} requests failed (left out of req/s)" if failed else "")
                   + (f"; the request file ran out for {', '.join(wrapped)} (raise --max-rate)" if wrapped else ""))
    return out


def paced_lines(args: argparse.Namespace, line: Line, telegram: FakeTelegram, twilio: FakeTwilio,
                tag: int) -> list[str]:
    """The steady part and the outbox drain on one line (its own server, workers, alert loop)."""
    server = servers.start_tipline(line.env)
    procs = Processes(line.env)
    try:
        procs.workers(args.steady_workers, args.worker_interval)
        procs.start("oncall", "run")
        scale_paced.steady(server.url, telegram, twilio, rate=args.rate, seconds=1, tag=tag)  # unmeasured
        s = scale_paced.steady(server.url, telegram, twilio, rate=args.rate, seconds=args.steady_seconds,
                               tag=tag + 1)
        procs.stop()
        drains = [scale_paced.drain(server.url, line.env, telegram, workers=n, interval=args.worker_interval,
                                    replies=args.drain_replies, tag=tag + 2 + i)
                  for i, n in enumerate(args.worker_counts)]
    finally:
        procs.stop()
        server.stop()
    missing = (f"; {s.replies_missing} replies and {s.alerts_missing} alerts never arrived"
               if s.replies_missing or s.alerts_missing else "")
    rates = "; ".join(f"{d.workers} worker(s) {d.rate:,.0f}/s ({d.replies} in {d.last:.2f} s, the first after "
                      f"{d.first:.2f} s; {d.sending_rate:,.0f}/s from the first to the last)" for d in drains)
    return [f"- {line.name}, steady {s.rate:.1f} messages/s for {args.steady_seconds:g} s ({s.sent} messages, "
            f"{args.steady_workers} `tipline worker --interval {args.worker_interval:g}`, one `tipline oncall run`):"
            f" webhook to reply received at the fake Bot API p50 {s.reply_p50_ms:.0f} ms, p99 "
            f"{s.reply_p99_ms:.0f} ms; P1 alert latency (danger answer to the alert at the fake Twilio, "
            f"{s.alerts} alerts) p50 {s.alert_p50_ms:.0f} ms, p99 {s.alert_p99_ms:.0f} ms{missing}",
            f"- {line.name}, outbox delivery rate to the fake Bot API ({args.drain_replies} replies queued, "
            f"workers resumed at once): {rates}"]


def settings_line(args: argparse.Namespace, wrk_version: str) -> str:
    return (f"Settings: gunicorn W workers x {servers.THREADS} threads ({servers.WORKER_CLASS_NAME}), timeout "
            f"30 s, for the tip line and its durable baseline alike; {wrk_version}, 1 thread, "
            f"{args.connections} connections, "
            f"{args.seconds:g} s per run, whole typical interviews (12 messages, 50 reporters at a time) "
            f"pre-signed and replayed by bench/replay.lua; interleaved, {args.rounds} round(s), medians; SQLite WAL, "
            f"synchronous=FULL; PostgreSQL on this machine, synchronous_commit as the server has it; code KDF "
            f"Argon2id t={CODE_KDF_DEFAULT.time_cost}, {CODE_KDF_DEFAULT.memory_cost_kib // 1024} MiB; "
            f"on-call poll {os.environ.get('TIPLINE_ONCALL_POLL_SECONDS', '2')} s (its default).")


def run(args: argparse.Namespace, wrk_path: str, scratch: Path) -> list[str]:
    telegram, twilio = FakeTelegram(telegram_path.TG_TOKEN).start(), FakeTwilio(mixes.TW_SID, mixes.TW_TOKEN).start()
    try:
        with lines(None if args.sqlite_only else args.postgres, telegram, twilio) as installs:
            bench = Throughput(args, wrk_path, scratch)
            try:
                for line in installs:
                    bench.start(line)
                for r in range(args.rounds):
                    bench.run_round(r)
            finally:
                bench.stop()
            out = [*throughput_lines(bench.cells), ""]
            for i, line in enumerate(installs):
                out += paced_lines(args, line, telegram, twilio, tag=10 * (i + 1))
    finally:
        telegram.stop()
        twilio.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    if not args.sqlite_only and not postgres_answers(args.postgres):
        print(f"bench/scale.py: no PostgreSQL answers at {urlsplit(args.postgres).netloc}; start one, pass "
              "--postgres URL, or run --sqlite-only", file=sys.stderr)
        return 2
    try:
        wrk_path = wrk.find_or_install()
    except wrk.WrkMissing as exc:
        print(f"bench/scale.py: {exc}", file=sys.stderr)
        return 2
    load_before = report.load_average()
    body = run(args, wrk_path, Path(tempfile.mkdtemp(prefix="tipline-bench-scale-")))
    lines_out = [f"Machine: {report.machine()}; load average {load_before} before the run, "
                 f"{report.load_average()} after it (other work on the machine runs beside it).", "",
                 settings_line(args, wrk.version(wrk_path)), "", *body]
    print("\n".join(lines_out), flush=True)
    if args.write_results:
        report.write_results(lines_out, title=SECTION, method=METHOD)
    return 0


METHOD = """\
How it is measured: `make bench-scale` (or `.venv/bin/python bench/scale.py --write-results`).
Throughput: every tip line and baseline server is up before the first run and idle between
runs; each run gets fresh pre-signed interviews (new numbers, new MessageSids), so the tip line
does its full work for each; the tip lines of one database share one install, as several
`serve` processes would. Ratios to the durable endpoint on the same database, in the same round,
are what matter on a shared machine. Steady part: a fixed-rate sender (no back-pressure: the
next message is due at start + i / rate, and latencies count from then; the rate printed is
messages over the time until the last was answered); Telegram chats take turns 15 s apart so each reply is
matched to its update; a reply leaves through `tipline worker`, so its latency includes the
worker's interval. Alerts are paired with danger answers in order. Outbox drain: the workers are
paused once idle (SIGSTOP), conversations are opened through the webhook, the workers resumed
together (SIGCONT); rate = replies / (last reply at the fake - resume)."""


if __name__ == "__main__":
    sys.exit(main())
