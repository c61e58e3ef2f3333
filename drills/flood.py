"""Drill: one sender floods at 50 messages/s while 50 others converse; the others' p99 holds.

``tipline serve`` (gunicorn, bench/servers.py's workers and threads) on PostgreSQL gets signed
Twilio webhooks at a steady pace: 50 reporters each sending a message every 4 s (15 a minute,
under the default limit of 20), measured alone ("normal") and then with one more sender at
50 messages/s ("flood"), interleaved over rounds.  Prints each phase's p50/p99 for the others
and the ratio; exits 1 if the others' p99 under the flood is over 2x normal, if any answer was
not a 200, if the flooder got other than exactly one polite reply, or if another sender got one.

    python drills/flood.py [--database-url URL] [--seconds 5] [--rounds 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import mixes, servers
from bench.common import fresh_runtime
from bench.theft_postgres import own_schema

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
OTHER_GAP, FLOOD_LANES = 4.0, 8
POLITE = "You have sent many messages quickly"
FLOODER = mixes.phone(777, 1)


class Load:
    """Paced senders over keep-alive connections; latencies of the others, answers checked."""

    def __init__(self, url: str, *, others: int, flood_rate: float) -> None:
        self.url, self.signer, self.others, self.flood_rate = url, mixes.Signer(), others, flood_rate
        self.lock = threading.Lock()
        self.turns = [0] * others
        self.bad: list[str] = []
        self.polite_others = self.polite_flooder = self.flood_sent = 0

    def _post(self, client: httpx.Client, sender: str, text: str) -> tuple[float, str]:
        headers, body = self.signer.headers_and_body(mixes.Message(text, sender))
        started = time.perf_counter()
        r = client.post(self.url + mixes.SMS_PATH, content=body, headers=headers)
        took = time.perf_counter() - started
        if r.status_code != 200:
            with self.lock:
                self.bad.append(f"{r.status_code}")
        return took, r.text

    def other(self, n: int, until: float, offset: float, out: list[float]) -> None:
        with httpx.Client(timeout=30) as client:
            next_at = time.monotonic() + offset
            while next_at < until:
                time.sleep(max(0.0, next_at - time.monotonic()))
                text = mixes.INTERVIEW[self.turns[n] % len(mixes.INTERVIEW)]
                self.turns[n] += 1
                took, body = self._post(client, mixes.phone(555, n), text)
                with self.lock:
                    out.append(took)
                    self.polite_others += POLITE in body
                next_at += OTHER_GAP

    def flood(self, until: float, first: float, lanes: int) -> None:
        gap = lanes / self.flood_rate  # one of ``lanes`` connections: 50/s between them even when answers lag
        with httpx.Client(timeout=30) as client:
            # Paced from the phase's start, not from when this thread got going: starting 58
            # threads and their clients takes a noticeable part of a phase, and a lane that
            # started late catches up (a flood does not wait), so the rate is the one asked for.
            next_at = first
            while next_at < until:
                time.sleep(max(0.0, next_at - time.monotonic()))
                _, body = self._post(client, FLOODER, f"flood {next_at:.3f}")
                with self.lock:
                    self.flood_sent += 1
                    self.polite_flooder += POLITE in body
                next_at += gap

    def phase(self, seconds: float, *, flood: bool) -> list[float]:
        start = time.monotonic()
        until = start + seconds
        out: list[float] = []
        threads = [threading.Thread(target=self.other, args=(n, until, OTHER_GAP * n / self.others, out))
                   for n in range(self.others)]
        if flood:
            threads += [threading.Thread(target=self.flood, args=(until, start + lane / self.flood_rate, FLOOD_LANES))
                        for lane in range(FLOOD_LANES)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] * 1000 if len(values) > 1 else float("nan")


def run(args: argparse.Namespace) -> int:
    with own_schema(args.database_url) as url:
        env = {"TIPLINE_PUBLIC_BASE_URL": mixes.BASE_URL, "TIPLINE_TWILIO_ACCOUNT_SID": mixes.TW_SID,
               "TIPLINE_TWILIO_AUTH_TOKEN": mixes.TW_TOKEN, "TIPLINE_TWILIO_FROM": mixes.LINE,
               "TIPLINE_TWILIO_API_BASE": "http://127.0.0.1:9", "TIPLINE_DATABASE_URL": url,
               "TIPLINE_LOCALES": "en", "TIPLINE_RATE_PER_MINUTE": str(args.limit)}
        rt = fresh_runtime(url, **env)
        env |= {"TIPLINE_DATA_DIR": str(rt.settings.data_dir), "TIPLINE_SECRETS_DIR": str(rt.settings.secrets_dir)}
        rt.db.dispose()
        server = servers.start_tipline(env)
        try:
            load = Load(server.url, others=args.others, flood_rate=args.flood_rate)
            load.phase(OTHER_GAP, flood=False)  # unmeasured: every worker and connection warmed up
            normal: list[float] = []
            flooded: list[float] = []
            for _ in range(args.rounds):
                normal += load.phase(args.seconds, flood=False)
                flooded += load.phase(args.seconds, flood=True)
        finally:
            server.stop()
    return report(load, normal, flooded, flood_seconds=args.seconds * args.rounds)


def report(load: Load, normal: list[float], flooded: list[float], *, flood_seconds: float) -> int:
    ratio = p99(flooded) / p99(normal)
    rate = load.flood_sent / flood_seconds
    print(f"others ({load.others} reporters, one message every {OTHER_GAP:.0f} s): normal {len(normal)} requests, "
          f"p50 {statistics.median(normal) * 1000:.1f} ms, p99 {p99(normal):.1f} ms")
    print(f"others with one sender flooding at {load.flood_rate:.0f}/s ({load.flood_sent} sent, {rate:.1f}/s): "
          f"{len(flooded)} requests, "
          f"p50 {statistics.median(flooded) * 1000:.1f} ms, p99 {p99(flooded):.1f} ms")
    print(f"p99 flood / normal: {ratio:.2f} (must be <= 2.00); polite replies: flooder {load.polite_flooder}, "
          f"others {load.polite_others}; non-200 answers: {len(load.bad)}")
    failures = []
    if ratio > 2.0:
        failures.append("the others' p99 under the flood is over 2x normal")
    if rate < 0.8 * load.flood_rate:
        failures.append(f"the flood reached {rate:.1f}/s, not {load.flood_rate:.0f}/s: the machine is too loaded"
                        " for this drill's figures to mean anything")
    if load.bad:
        failures.append(f"{len(load.bad)} answers were not 200 ({', '.join(sorted(set(load.bad)))})")
    if load.polite_flooder != 1:
        failures.append(f"the flooder got {load.polite_flooder} polite replies, not exactly one")
    if load.polite_others:
        failures.append("a sender under the limit was told to slow down")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    parser.add_argument("--rounds", type=int, default=2, help="normal/flood pairs, interleaved")
    parser.add_argument("--others", type=int, default=50, help="reporters conversing at one message every 4 s")
    parser.add_argument("--flood-rate", type=float, default=50.0, help="the flooder's messages per second")
    parser.add_argument("--limit", type=int, default=20, help="TIPLINE_RATE_PER_MINUTE for the line")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
