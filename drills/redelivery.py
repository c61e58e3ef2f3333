"""Drill (issue 13): 4 gunicorn workers, every webhook delivered twice; each conversation exactly once.

``tipline serve --workers 4`` on PostgreSQL (own schema) gets 200 conversations of 25 signed
Twilio SMS webhooks each (``drills/redelivery_script.py``: whole interviews and variants), 5,000
deliveries, EVERY one sent twice: a third of the duplicates at the same moment as the original (two
connections, so usually two workers), a third right after the original was answered, a third late
(after the conversation's next message was answered).  Conversations are interleaved over
``--clients`` connections, each conversation's messages in order: a message goes only once the
previous one was answered.  Then: every answer a 200, each message's replies exactly what the same
script produces played once in this process, each duplicate answered with the original's replies
(absorbed: no second step), each conversation's tip (found by the code the reporter was given)
exactly the reference's, and the database holding one inbound id per message, one conversation per
reporter, the reference's tips and outbox rows.  Prints deliveries/s, duplicates absorbed and
mismatches; exits 1 on any mismatch or when the deliveries run past ``--timeout``.

    python drills/redelivery.py [--database-url URL] [--conversations 200] [--workers 4]
"""

from __future__ import annotations

import argparse
import queue
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import mixes, servers
from bench.common import fresh_runtime
from bench.theft_postgres import own_schema
from drills.redelivery_script import (
    Expected, Replies, TipFacts, code_in, count_rows, masked, reference, replies, script, tip_facts,
)

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PARALLEL, AFTER, LATE = "parallel", "after", "late"
TRIES = 4


@dataclass
class Conversation:
    """One reporter: the signed requests of its messages, and what each delivery was answered."""

    n: int
    lines: tuple[str, ...]
    requests: list[tuple[dict[str, str], str]]
    next: int = 0
    late: int | None = None  # a message whose duplicate waits for the next message's answer
    originals: list[Replies] = field(default_factory=list)
    duplicates: dict[int, Replies] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)

    def mode(self, k: int) -> str:
        return (PARALLEL, AFTER, LATE)[(self.n * 7 + k) % 3]


class Load:
    """Client threads taking turns over the conversations; each turn sends one message (twice)."""

    def __init__(self, url: str, conversations: list[Conversation], clients: int) -> None:
        self.url, self.clients = url + mixes.SMS_PATH, clients
        self.turns: queue.Queue[Conversation] = queue.Queue()
        for conv in conversations:
            self.turns.put(conv)
        self.left, self.lock = len(conversations), threading.Lock()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.retried: Counter[str] = Counter()  # deliveries sent again after no answer, by error

    def post(self, client: httpx.Client, conv: Conversation, k: int) -> Replies:
        """One delivery; a request that got no answer is sent again, as Twilio would (one more
        redelivery for the line to absorb), up to ``TRIES`` times."""
        headers, body = conv.requests[k]
        for _ in range(TRIES):
            began = time.perf_counter()
            try:
                r = client.post(self.url, content=body, headers=headers)
            except httpx.TransportError as exc:  # e.g. a kept-alive connection the server had just closed
                with self.lock:
                    self.retried[type(exc).__name__] += 1
                continue
            with self.lock:
                self.latencies.append(time.perf_counter() - began)
                conv.statuses.append(r.status_code)
            return replies(r.text)
        with self.lock:
            self.errors.append(f"no answer in {TRIES} tries")
        return ("<no answer>",)

    def turn(self, main: httpx.Client, spare: httpx.Client, conv: Conversation) -> None:
        k, mode = conv.next, conv.mode(conv.next)
        if mode == PARALLEL:
            twin: list[Replies] = []
            other = threading.Thread(target=lambda: twin.append(self.post(spare, conv, k)))
            other.start()
            conv.originals.append(self.post(main, conv, k))
            other.join()
            conv.duplicates[k] = twin[0]
        else:
            conv.originals.append(self.post(main, conv, k))
        if conv.late is not None:  # the previous message's redelivery, after this one was answered
            conv.duplicates[conv.late] = self.post(spare, conv, conv.late)
            conv.late = None
        if mode == AFTER:
            conv.duplicates[k] = self.post(main, conv, k)
        elif mode == LATE:
            conv.late = k
        conv.next += 1
        if conv.next == len(conv.lines) and conv.late is not None:
            conv.duplicates[conv.late] = self.post(spare, conv, conv.late)
            conv.late = None

    def client(self, until: float) -> None:
        with httpx.Client(timeout=60) as main, httpx.Client(timeout=60) as spare:
            while time.monotonic() < until:
                try:
                    conv = self.turns.get(timeout=0.2)
                except queue.Empty:
                    if self.left == 0:
                        return
                    continue
                self.turn(main, spare, conv)
                if conv.next < len(conv.lines):
                    self.turns.put(conv)  # behind every other conversation: interleaved
                else:
                    with self.lock:
                        self.left -= 1

    def run(self, timeout: float) -> float:
        began = time.monotonic()
        threads = [threading.Thread(target=self.client, args=(began + timeout,)) for _ in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.monotonic() - began


def conversations(n: int) -> list[Conversation]:
    signer = mixes.Signer()
    out = []
    for i in range(n):
        lines = script(i)
        sender = mixes.phone(598, i)
        out.append(Conversation(i, lines, [signer.headers_and_body(mixes.Message(t, sender)) for t in lines]))
    return out


def mismatches(conv: Conversation, expected: Expected, facts: TipFacts | None) -> list[str]:
    """What differs in one conversation from its script played once in order."""
    out = []
    if set(conv.statuses) != {200}:
        out.append(f"answers other than 200: {sorted(set(conv.statuses) - {200})}")
    if tuple(masked(r) for r in conv.originals) != expected.replies:
        step = next((k for k, (a, b) in enumerate(zip(map(masked, conv.originals), expected.replies, strict=False))
                     if a != b), len(conv.originals))
        out.append(f"replies differ from the reference from message {step + 1}")
    wrong = [k for k, dup in conv.duplicates.items() if dup != conv.originals[k]]
    if wrong or len(conv.duplicates) != len(conv.lines):
        out.append(f"{len(wrong)} duplicates answered differently, {len(conv.lines) - len(conv.duplicates)} unsent")
    if facts != expected.tip:
        out.append(f"tip {facts} instead of {expected.tip}")
    return out


def line_env(limit: int) -> dict[str, str]:
    return {"TIPLINE_PUBLIC_BASE_URL": mixes.BASE_URL, "TIPLINE_TWILIO_ACCOUNT_SID": mixes.TW_SID,
            "TIPLINE_TWILIO_AUTH_TOKEN": mixes.TW_TOKEN, "TIPLINE_TWILIO_FROM": mixes.LINE,
            "TIPLINE_TWILIO_API_BASE": "http://127.0.0.1:9", "TIPLINE_LOCALES": "en",
            "TIPLINE_RATE_PER_MINUTE": str(limit)}


Facts = dict[int, TipFacts | None]  # conversation -> the tip its code names


def deliver(url: str, convs: list[Conversation], args: argparse.Namespace) -> tuple[Load, float, dict[str, int], Facts]:
    """The line under gunicorn on its own schema; what the database holds afterwards."""
    env = line_env(args.limit) | {"TIPLINE_DATABASE_URL": url}
    rt = fresh_runtime(url, **env)
    env |= {"TIPLINE_DATA_DIR": str(rt.settings.data_dir), "TIPLINE_SECRETS_DIR": str(rt.settings.secrets_dir)}
    try:
        server = servers.start_tipline(env, workers=args.workers)
        try:
            load = Load(server.url, convs, args.clients)
            seconds = load.run(args.timeout)
        finally:
            server.stop()
        facts = {c.n: tip_facts(rt, code_in(c.originals)) for c in convs}
        with rt.db.connect() as conn:
            held = {t: count_rows(conn, t) for t in ("inbound", "conversation", "tip", "outbox")}
    finally:
        rt.close()
    return load, seconds, held, facts


def report(load: Load, convs: list[Conversation], expected: dict[tuple[str, ...], Expected], seconds: float,
           held: dict[str, int], facts: Facts) -> int:
    messages = sum(len(c.lines) for c in convs)
    sent = sum(len(c.statuses) for c in convs)
    bad = {c.n: m for c in convs if (m := mismatches(c, expected[c.lines], facts[c.n]))}
    absorbed = sum(1 for c in convs for k, dup in c.duplicates.items()
                   if k < len(c.originals) and dup == c.originals[k])
    modes = {m: sum(1 for c in convs for k in range(len(c.lines)) if c.mode(k) == m) for m in (PARALLEL, AFTER, LATE)}
    want = {"inbound": messages, "conversation": len(convs), "tip": sum(expected[c.lines].tips for c in convs),
            "outbox": sum(expected[c.lines].outbox for c in convs)}
    lat = sorted(load.latencies) or [float("nan")]
    print(f"redelivery drill: {len(convs)} conversations, {messages:,} messages, {sent:,} deliveries answered "
          f"in {seconds:.1f} s: {sent / seconds:.0f} deliveries/s ({messages / seconds:.0f} messages/s); "
          f"p50 {statistics.median(lat) * 1000:.0f} ms, p99 {lat[int(0.99 * (len(lat) - 1))] * 1000:.0f} ms")
    print(f"  duplicates: {modes[PARALLEL]} in parallel with the original, {modes[AFTER]} right after it, "
          f"{modes[LATE]} after the next message; absorbed (the original's replies, no second step): "
          f"{absorbed:,} of {messages:,}")
    print(f"  rows: {held} (expected {want})")
    print(f"  mismatches: {len(bad)} conversations (must be 0); sent again after no answer: "
          f"{dict(load.retried) or 0}; never answered: {len(load.errors)}")
    failures = [f"conversation {n}: {'; '.join(m)}" for n, m in sorted(bad.items())[:10]]
    failures += [f"{load.left} conversations unfinished after {seconds:.0f} s"] if load.left else []
    failures += [f"{len(load.errors)} deliveries got no answer"] if load.errors else []
    failures += [] if held == want else ["the database rows differ from the reference's"]
    for failure in failures:
        print("FAIL:", failure)
    print(f"  result: {'FAIL' if failures else 'PASS'}")
    return 1 if failures else 0


def run(args: argparse.Namespace) -> int:
    convs = conversations(args.conversations)
    expected = reference(line_env(args.limit), [c.lines for c in convs])
    with own_schema(args.database_url) as url:
        load, seconds, held, facts = deliver(url, convs, args)
    return report(load, convs, expected, seconds, held, facts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--conversations", type=int, default=200, help="reporters, 25 messages each")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--clients", type=int, default=24, help="connections taking turns over the conversations")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds the deliveries may take")
    parser.add_argument("--limit", type=int, default=120, help="TIPLINE_RATE_PER_MINUTE (a conversation sends 25)")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
