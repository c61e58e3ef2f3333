"""The public app under gunicorn: signed mid-interview SMS webhooks, against two baselines.

Three apps run under the same gunicorn settings (2 workers, gthread, 4 threads):
  tipline   the public app (signature check, intake service, TwiML), SQLite WAL + synchronous=FULL
  durable   a tiny Flask app doing one SQLite insert+commit per request (same pragmas), TwiML out
  bare      a bare Flask endpoint returning TwiML
A Python load generator (a thread pool, one keep-alive httpx client per thread) replays
signed webhooks from many distinct reporters, mid-interview; the three are measured
interleaved, three rounds, medians.  Then it measures webhook -> reply received by a
fake Telegram Bot API (Telegram path through the outbox sender), p50/p99.

    .venv/bin/python bench/webhooks.py [--reporters 200] [--concurrency 8] [--write-results]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GUNICORN = {"workers": 2, "threads": 4, "worker_class": "gthread", "timeout": 60, "loglevel": "warning",
            "accesslog": None, "keepalive": 30}
BASE_URL = "https://bot.example.org"
TW_SID = "AC" + "2" * 32
TW_TOKEN = "bench_auth_token_0123456789abcdef"
TG_TOKEN = "123456789:AAH-bench-token-for-the-fake-api-only"
TG_SECRET = "bench_webhook_secret"
LINE = "+12025550100"
MID_INTERVIEW = ["2", "1", "Workers at the farm never leave and a man holds their papers", "1", "2"]
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response />'


# -- the servers (run in child processes) -------------------------------------------------------

def _durable_app(path: str) -> Any:
    from flask import Flask, Response, request

    app = Flask("durable")
    local = threading.local()

    def conn() -> sqlite3.Connection:
        c = getattr(local, "c", None)
        if c is None:
            c = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            c.execute("PRAGMA journal_mode=WAL")
            c.execute("PRAGMA synchronous=FULL")
            c.execute("PRAGMA busy_timeout=30000")
            local.c = c
        return c

    with sqlite3.connect(path) as c:
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v BLOB)")

    @app.post("/webhooks/twilio/sms")
    def sms() -> Response:
        form = request.form
        c = conn()
        c.execute("BEGIN IMMEDIATE")
        c.execute("INSERT OR IGNORE INTO t (k, v) VALUES (?, ?)", (form.get("MessageSid"), form.get("Body", "").encode()))
        c.execute("COMMIT")
        return Response(TWIML_EMPTY, mimetype="application/xml")

    return app


def _bare_app() -> Any:
    from flask import Flask, Response

    app = Flask("bare")

    @app.post("/webhooks/twilio/sms")
    def sms() -> Response:
        return Response(TWIML_EMPTY, mimetype="application/xml")

    return app


def serve(kind: str, port: int, data: str) -> None:
    from gunicorn.app.base import BaseApplication

    class App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {**GUNICORN, "bind": f"127.0.0.1:{port}"}.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            if kind == "durable":
                return _durable_app(str(Path(data) / "durable.sqlite3"))
            if kind == "bare":
                return _bare_app()
            from tipline.app import create_public_app
            from tipline.jobs import Jobs
            from tipline.runtime import Runtime
            from tipline.settings import load_settings

            runtime = Runtime(load_settings())
            app = create_public_app(runtime.settings, runtime)
            if kind == "tipline-jobs":
                Jobs(runtime).start_background()  # as 'tipline serve' does: the sender runs in each worker
            # "tipline" is 'tipline serve --no-jobs': in a deployment with several web processes the
            # outbox sender and the provider-copy deletions run in 'tipline worker', so the
            # throughput figures measure the webhook path alone.
            return app

    App().run()


# -- the load generator ------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(kind: str, data: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, __file__, "serve", kind, str(port), data], env={**os.environ, **env})
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            httpx.get(url + "/healthz", timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _fire(url: str, batches: list[list[tuple[str, dict[str, str]]]], concurrency: int) -> tuple[float, list[float]]:
    """Send each batch's requests concurrently (batches in order); returns (req/s, latencies in s)."""
    import httpx

    latencies: list[float] = []
    lock = threading.Lock()
    clients = [httpx.Client(timeout=60) for _ in range(concurrency)]
    total = 0
    start = time.perf_counter()
    for batch in batches:
        it = iter(batch)

        def worker(client: httpx.Client) -> None:
            while True:
                with lock:
                    nxt = next(it, None)
                if nxt is None:
                    return
                body, headers = nxt
                t0 = time.perf_counter()
                r = client.post(url + "/webhooks/twilio/sms", content=body, headers=headers)
                dt = time.perf_counter() - t0
                if r.status_code != 200:
                    raise RuntimeError(f"status {r.status_code}")
                with lock:
                    latencies.append(dt)

        threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total += len(batch)
    elapsed = time.perf_counter() - start
    for c in clients:
        c.close()
    if len(latencies) != total:
        raise RuntimeError("requests failed")
    return total / elapsed, latencies


def _signed(text: str, sender: str, sid: str) -> tuple[str, dict[str, str]]:
    from twilio.request_validator import RequestValidator

    params = {"ToCountry": "US", "ToState": "DC", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "",
              "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "",
              "Body": text, "FromCountry": "US", "To": LINE, "ToZip": "", "NumSegments": "1", "MessageSid": sid,
              "AccountSid": TW_SID, "From": sender, "ApiVersion": "2010-04-01"}
    signature = RequestValidator(TW_TOKEN).compute_signature(BASE_URL + "/webhooks/twilio/sms", params)
    return urlencode(params), {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reporters", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--telegram-updates", type=int, default=200)
    parser.add_argument("--write-results", action="store_true")
    parser.add_argument("--only", choices=["sms", "telegram"], default=None)
    args = parser.parse_args()

    from bench.common import fresh_runtime
    from tests.fakes.telegram import FakeTelegram

    fake_tg = FakeTelegram(TG_TOKEN).start()
    env = {"TIPLINE_PUBLIC_BASE_URL": BASE_URL, "TIPLINE_TWILIO_ACCOUNT_SID": TW_SID,
           "TIPLINE_TWILIO_AUTH_TOKEN": TW_TOKEN, "TIPLINE_TWILIO_FROM": LINE,
           "TIPLINE_TWILIO_API_BASE": "http://127.0.0.1:9", "TIPLINE_TELEGRAM_BOT_TOKEN": TG_TOKEN,
           "TIPLINE_TELEGRAM_WEBHOOK_SECRET": TG_SECRET, "TIPLINE_TELEGRAM_API_BASE": fake_tg.base_url}
    rt = fresh_runtime(None, **env)
    env["TIPLINE_DATA_DIR"] = str(rt.settings.data_dir)
    env["TIPLINE_SECRETS_DIR"] = str(rt.settings.secrets_dir)
    rt.db.dispose()
    scratch = tempfile.mkdtemp(prefix="tipline-bench-web-")
    servers = {kind: _start(kind, scratch, env) for kind in ("tipline", "durable", "bare")}
    jobs_server = None
    lines: list[str] = []

    def out(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    sid_counter = iter(range(10**12))
    try:
        if args.only in (None, "sms"):
            figures: dict[str, list[tuple[float, float, float]]] = {k: [] for k in servers}
            for r in range(args.rounds):
                reporters = [f"+1555{r:02d}{i:05d}" for i in range(args.reporters)]
                warm = [[_signed("hi", rep, "SM%032x" % next(sid_counter)) for rep in reporters]]
                batches = [[_signed(a, rep, "SM%032x" % next(sid_counter)) for rep in reporters] for a in MID_INTERVIEW]
                for kind, (_, url) in servers.items():  # interleaved
                    _fire(url, warm, args.concurrency)
                    rate, lat = _fire(url, batches, args.concurrency)
                    figures[kind].append((rate, _pct(lat, 0.5) * 1000, _pct(lat, 0.99) * 1000))
            med = {k: tuple(statistics.median(x[i] for x in v) for i in range(3)) for k, v in figures.items()}
            n = args.reporters * len(MID_INTERVIEW)
            out(f"gunicorn: {GUNICORN['workers']} workers, gthread x {GUNICORN['threads']}; load: {args.concurrency} "
                f"keep-alive clients; {n} signed mid-interview SMS webhooks per round ({args.reporters} reporters), "
                f"{args.rounds} rounds interleaved, medians")
            out(f"{'app':<9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}   rounds (req/s)")
            for kind, (rate, p50, p99) in med.items():
                rounds = ", ".join(f"{x[0]:.0f}" for x in figures[kind])
                out(f"{kind:<9} {rate:8.1f} {p50:8.2f} {p99:8.2f}   {rounds}")
            t, d, b = med["tipline"], med["durable"], med["bare"]
            out(f"tipline / durable: throughput {t[0] / d[0]:.2f}, p50 latency {t[1] / d[1]:.2f}x, "
                f"p99 latency {t[2] / d[2]:.2f}x")
            out(f"tipline / bare:    throughput {t[0] / b[0]:.2f}, p50 latency {t[1] / b[1]:.2f}x, "
                f"p99 latency {t[2] / b[2]:.2f}x")
        if args.only in (None, "telegram"):
            out()
            # Started only now: its jobs thread would otherwise work beside the SMS rounds.
            jobs_server = _start("tipline-jobs", scratch, env)
            out(_telegram_latency(jobs_server[1], fake_tg, args.telegram_updates, out))
    finally:
        for proc, _ in [*servers.values(), *([jobs_server] if jobs_server else [])]:
            _stop(proc)
        fake_tg.stop()
    if args.write_results:
        _write_results(lines)


def _telegram_latency(url: str, fake: Any, n: int, out: Callable[[str], None]) -> str:
    """Webhook -> sender -> fake Telegram: time until the fake holds the first reply, per update."""
    import httpx

    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    latencies: list[float] = []
    with httpx.Client(timeout=30) as client:
        for i in range(n):
            chat = 800000 + i
            update = {"update_id": 900000 + i, "message": {
                "message_id": 1, "date": int(time.time()), "text": "hi",
                "from": {"id": chat, "is_bot": False, "first_name": "R", "language_code": "en"},
                "chat": {"id": chat, "type": "private"}}}
            t0 = time.monotonic()
            r = client.post(url + "/webhooks/telegram", content=json.dumps(update), headers=headers)
            assert r.status_code == 200
            if not fake.wait_for(lambda: any(s.chat_id == chat for s in fake.sent), timeout=30):
                raise RuntimeError("no reply reached the fake Telegram")
            with fake.lock:
                at = min(s.at for s in fake.sent if s.chat_id == chat)
            latencies.append(at - t0)
            time.sleep(0.01)
    return (f"Telegram webhook -> outbox sender -> fake Bot API, first reply ({n} updates, one at a time): "
            f"p50 {_pct(latencies, 0.5) * 1000:.1f} ms, p99 {_pct(latencies, 0.99) * 1000:.1f} ms")


def _write_results(lines: list[str]) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    section = "## Webhooks (bench/webhooks.py)\n\n```\n" + "\n".join(lines).strip() + "\n```\n"
    marker = "## Webhooks"
    if marker in text:
        head, _, rest = text.partition(marker)
        nxt = rest.find("\n## ")
        tail = rest[nxt + 1:] if nxt >= 0 else ""
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
