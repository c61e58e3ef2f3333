"""The public app under gunicorn, driven by wrk with pre-signed Twilio webhooks, against two baselines.

Three apps run under the same gunicorn settings (2 workers x 4 threads, the tip line's gthread worker
class, tipline/gunicorn_worker.py):
  tipline   ``tipline serve --no-jobs`` (signature check, intake service, TwiML), SQLite WAL,
            synchronous=FULL; the outbox sender runs in 'tipline worker' in such a deployment
  durable   one SQLite insert + commit per webhook (same pragmas), TwiML out (bench/baselines.py)
  bare      bare Flask returning TwiML
wrk (one thread, 8 connections) replays pre-signed requests from a file through bench/replay.lua;
the apps are measured interleaved, three rounds, medians, on three mixes:
  (a) mid-interview answers: 500 reporters answering "2" then "BACK", round and round
  (b) whole typical witness interviews (the README's path, 12 messages), 50 reporters at a time
  (c) (b) with wrong follow-up codes from many senders, about 20 per second of the tip line's rate
Then: CPU ms per whole interview, RSS per worker, ``tipline serve`` readiness, and the Telegram
path (webhook to reply at a fake Bot API) at a steady rate.

    .venv/bin/python bench/webhooks.py [--seconds 8] [--rounds 3] [--quick] [--write-results]
"""

from __future__ import annotations

import argparse
import functools
import re
import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench import mixes, report, servers, telegram_path, wrk
from bench.common import fresh_runtime
from bench.mixes import Message, Signer
from bench.report import APPS, MixFigures
from tests.fakes.telegram import FakeTelegram
from tipline.settings import CODE_KDF_DEFAULT

CODE_SHAPE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")
CODES_PER_SECOND = 20
RSS_AFTER = 100_000  # webhooks answered before the workers' memory is read (the issue's target)


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=8.0, help="wrk duration of each run")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--wrk-threads", type=int, default=1)
    p.add_argument("--max-rate", type=int, default=5000, help="requests/s the pre-signed files are sized for")
    p.add_argument("--telegram-rate", type=float, default=50.0, help="updates/s on the Telegram path")
    p.add_argument("--telegram-seconds", type=float, default=10.0)
    p.add_argument("--quick", action="store_true", help="a smoke run: one round of 1 s, a short Telegram part")
    p.add_argument("--write-results", action="store_true", help="replace the webhook section of bench/RESULTS.md")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds, args.telegram_seconds, args.telegram_rate = 1, 1.0, 1.0, 20.0
        args.max_rate = 3000
    return args


def _env(fake_tg: FakeTelegram) -> dict[str, str]:
    """A fresh install's settings (both channels on, fake providers), for ``tipline serve``."""
    env = {"TIPLINE_PUBLIC_BASE_URL": mixes.BASE_URL, "TIPLINE_TWILIO_ACCOUNT_SID": mixes.TW_SID,
           "TIPLINE_TWILIO_AUTH_TOKEN": mixes.TW_TOKEN, "TIPLINE_TWILIO_FROM": mixes.LINE,
           "TIPLINE_TWILIO_API_BASE": "http://127.0.0.1:9", "TIPLINE_TELEGRAM_BOT_TOKEN": telegram_path.TG_TOKEN,
           "TIPLINE_TELEGRAM_WEBHOOK_SECRET": telegram_path.TG_SECRET, "TIPLINE_TELEGRAM_API_BASE": fake_tg.base_url,
           # Synthetic reporters type hundreds of times faster than people: the limits' checks run
           # (and are measured) but never trip, or the mixes would measure held messages instead.
           "TIPLINE_RATE_PER_MINUTE": "1000000", "TIPLINE_FLOOD_PER_SECOND": "1000000"}
    rt = fresh_runtime(None, **env)
    env["TIPLINE_DATA_DIR"] = str(rt.settings.data_dir)
    env["TIPLINE_SECRETS_DIR"] = str(rt.settings.secrets_dir)
    rt.db.dispose()
    return env


def _post(client: httpx.Client, url: str, signer: Signer, message: Message) -> httpx.Response:
    headers, body = signer.headers_and_body(message)
    r = client.post(url + mixes.SMS_PATH, content=body, headers=headers)
    if r.status_code != 200:
        raise RuntimeError(f"{url} answered {r.status_code} to a signed webhook")
    return r


def check_interview(url: str, signer: Signer, sender: str = mixes.phone(999, 1)) -> None:
    """The README's witness path must end with a reference code, or mix (b) measures something else."""
    with httpx.Client(timeout=30) as client:
        for text in mixes.INTERVIEW:
            r = _post(client, url, signer, Message(text, sender))
    if not CODE_SHAPE.search(r.text):
        raise RuntimeError("the interview path did not end with a reference code: update mixes.INTERVIEW")


def warm(url: str, signer: Signer, messages: list[Message], connections: int) -> None:
    """Send these messages (each sender's once), ``connections`` at a time, unmeasured."""
    clients = [httpx.Client(timeout=30) for _ in range(connections)]
    try:
        with ThreadPoolExecutor(connections) as pool:
            list(pool.map(lambda i: _post(clients[i % connections], url, signer, messages[i]), range(len(messages))))
    finally:
        for c in clients:
            c.close()


class Bench:
    def __init__(self, args: argparse.Namespace, wrk_path: str, apps: dict[str, servers.Server], scratch: Path) -> None:
        self.args, self.wrk, self.apps, self.scratch = args, wrk_path, apps, scratch
        self.signer = Signer()

    def run_mix(self, title: str, source: Callable[[int], Iterator[Message]], tag: int,
                warmup: Callable[[int], list[Message]] | None = None) -> MixFigures:
        figures = MixFigures(title)
        for r in range(self.args.rounds):
            self.run_round(figures, source, tag + r, warmup)
        return figures

    def run_round(self, figures: MixFigures, source: Callable[[int], Iterator[Message]], tag: int,
                  warmup: Callable[[int], list[Message]] | None = None) -> None:
        """One round of one mix: each app, one after the other, runs the same requests."""
        path = self.scratch / "requests.bin"
        mixes.write_requests(path, self.signer, source(tag), int(self.args.seconds * self.args.max_rate) + 1000)
        for app in APPS:
            server = self.apps[app]
            if warmup is not None:
                warm(server.url, self.signer, warmup(tag), self.args.connections)
            cpu = server.cpu_seconds()
            result = wrk.run(self.wrk, server.url, path, seconds=self.args.seconds,
                             connections=self.args.connections, threads=self.args.wrk_threads)
            interviews = (result.requests - result.failed) / len(mixes.INTERVIEW)
            figures.runs[app].append(result)
            figures.cpu_ms_per_interview.setdefault(app, []).append(
                (server.cpu_seconds() - cpu) * 1000 / max(interviews, 1))
        path.unlink()

    def top_up(self, handled: int, target: int) -> int:
        """More of mix (c) on the tip line alone until its workers have answered ``target``
        webhooks (the memory target is after 100,000 messages); returns how many they answered."""
        path = self.scratch / "top-up.bin"
        tag = 90
        while handled < target:
            mixes.write_requests(path, self.signer, mixes.interviews_with_codes(tag, 42), 40_000)
            result = wrk.run(self.wrk, self.apps["tipline"].url, path, seconds=min(30.0, (target - handled) / 400 + 1),
                             connections=self.args.connections, threads=self.args.wrk_threads)
            handled, tag = handled + result.requests, tag + 1
        path.unlink(missing_ok=True)
        return handled


def measure_sms(bench: Bench) -> tuple[list[MixFigures], int]:
    """The three mixes; and how many interview messages came between two code attempts in (c).

    (b) and (c) alternate round by round, so the database the tip line has grown by then
    (every interview leaves rows) weighs on both alike: their ratio is the cost of the codes.
    """
    a = bench.run_mix('(a) Mid-interview: 500 reporters answering "2" then "BACK"', mixes.mid_interview, 0,
                      warmup=mixes.mid_interview_warmup)
    b = MixFigures("(b) Whole typical witness interviews (12 messages), 50 reporters at a time")
    c: MixFigures | None = None
    every = 1
    for r in range(bench.args.rounds):
        bench.run_round(b, mixes.interviews, 10 + r)
        if c is None:  # the codes' spacing, from the first round: about CODES_PER_SECOND at (b)'s rate
            every = max(1, round(b.median("tipline", "rate") / CODES_PER_SECOND))
            c = MixFigures(f"(c) (b) with a wrong follow-up code after every {every} messages, each from a new sender")
        bench.run_round(c, functools.partial(mixes.interviews_with_codes, every=every), 20 + r)
    assert c is not None
    return [a, b, c], every


def extras(measured: list[MixFigures], every: int, apps: dict[str, servers.Server], handled: int) -> list[str]:
    """CPU per interview, the cost of code attempts, RSS per worker after the run, readiness."""
    mix_b, mix_c = measured[1], measured[2]
    cpu = {app: statistics.median(mix_b.cpu_ms_per_interview[app]) for app in APPS}
    plain = mix_b.median("tipline", "rate")
    with_codes = mix_c.median("tipline", "rate") * every / (every + 1)
    # Each round's (c) against the (b) run just before it: the same database, the same machine load.
    paired = [c.ok_rate * every / (every + 1) / b.ok_rate
              for b, c in zip(mix_b.runs["tipline"], mix_c.runs["tipline"], strict=True)]
    lines = [
        f"- CPU per whole interview (12 messages, both workers' user+system time, mix (b), median): tipline "
        f"{cpu['tipline']:.1f} ms; the same 12 requests cost durable {cpu['durable']:.1f} ms, "
        f"bare {cpu['bare']:.1f} ms",
        f"- Follow-up code attempts: interview messages/s with codes (c) {with_codes:,.0f} against {plain:,.0f} "
        f"without (b): {with_codes / plain:.2f} "
        f"(code attempts at {mix_c.median('tipline', 'rate') / (every + 1):.0f}/s); round by round "
        f"{', '.join(f'{p:.2f}' for p in paired)}, median {statistics.median(paired):.2f}",
    ]
    for app in APPS:
        rss = ", ".join(f"{m:.0f}" for m in apps[app].memory_mib("VmRSS", "status"))
        pss = ", ".join(f"{m:.0f}" for m in apps[app].memory_mib("Pss", "smaps_rollup"))
        lines.append(f"- RSS per worker after the run, {app}: {rss} MiB (proportional set size {pss} MiB)")
    topped = f"the mixes, then more of (c) up to {RSS_AFTER:,}" if handled >= RSS_AFTER else "the mixes only"
    lines.append(f"  (the tip line's workers had answered {handled:,} webhooks by then: {topped})")
    lines.append(f"- `tipline serve --no-jobs` ready (process start to the first 200 on /healthz): "
                 f"{apps['tipline'].ready_seconds:.2f} s")
    return lines


def telegram_lines(args: argparse.Namespace) -> list[str]:
    """``tipline serve`` with its jobs (the outbox sender) on a fresh install, a fake Bot API."""
    fake = FakeTelegram(telegram_path.TG_TOKEN)
    fake.start()
    server = servers.start_tipline(_env(fake), jobs=True)
    try:
        # One unmeasured second first: the sender's first connection to the Bot API is not the steady state.
        telegram_path.measure(server.url, fake, rate=args.telegram_rate, seconds=1, first_chat=810000)
        tg = telegram_path.measure(server.url, fake, rate=args.telegram_rate, seconds=args.telegram_seconds)
    finally:
        server.stop()
        fake.stop()
    missing = f", {tg.missing} replies missing" if tg.missing else ""
    return [f"- `tipline serve` (with jobs) ready: {server.ready_seconds:.2f} s",
            f"- Telegram path, webhook to reply received at the fake Bot API, {tg.updates} updates at "
            f"{tg.rate:.0f}/s (100 chats taking turns): p50 {tg.p50_ms:.1f} ms, p99 {tg.p99_ms:.1f} ms{missing}"]


def settings_line(args: argparse.Namespace, wrk_version: str) -> str:
    return (f"Settings: gunicorn {servers.WORKERS} workers x {servers.THREADS} threads "
            f"({servers.WORKER_CLASS_NAME}), timeout 30 s, no access log, for all three apps; {wrk_version}, "
            f"{args.wrk_threads} thread, {args.connections} connections, {args.seconds:g} s per run, "
            f"pre-signed requests replayed by bench/replay.lua; "
            f"apps interleaved, {args.rounds} round(s), medians; SQLite WAL, synchronous=FULL; the code KDF "
            f"at its default (Argon2id t={CODE_KDF_DEFAULT.time_cost}, {CODE_KDF_DEFAULT.memory_cost_kib // 1024} MiB) "
            f"unless TIPLINE_CODE_KDF_* says otherwise.")


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    try:
        wrk_path = wrk.find_or_install()
    except wrk.WrkMissing as exc:
        print(f"bench/webhooks.py: {exc}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="tipline-bench-web-"))
    load_before = report.load_average()
    fake = FakeTelegram(telegram_path.TG_TOKEN)  # the SMS servers' settings name a Telegram API; none is called
    fake.start()
    apps: dict[str, servers.Server] = {}
    try:
        apps["tipline"] = servers.start_tipline(_env(fake))
        apps["durable"] = servers.start_baseline("durable", scratch)
        apps["bare"] = servers.start_baseline("bare", scratch)
        bench = Bench(args, wrk_path, apps, scratch)
        check_interview(apps["tipline"].url, bench.signer)
        measured, every = measure_sms(bench)
        handled = bench.top_up(sum(r.requests for mix in measured for r in mix.runs["tipline"]),
                               RSS_AFTER if not args.quick else 0)
        lines = [f"Machine: {report.machine()}; load average {load_before} before the run, "
                 f"{report.load_average()} after the SMS mixes (other work on the machine runs beside it).", "",
                 settings_line(args, wrk.version(wrk_path)), "",
                 *report.summary_table(measured), "", *report.rounds_lines(measured),
                 *extras(measured, every, apps, handled)]
    finally:
        for server in apps.values():
            server.stop()
        fake.stop()
    lines += telegram_lines(args)
    print("\n".join(lines), flush=True)
    if args.write_results:
        report.write_results(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
