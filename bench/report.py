"""Figures of the webhook benchmark: medians over rounds, the printed table, bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from bench.wrk import WrkResult

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SECTION = "## Webhooks (bench/webhooks.py)"
APPS = ("tipline", "durable", "bare")


@dataclass
class MixFigures:
    """One mix: each app's wrk result per round, and the tip line's CPU per interview per round."""

    title: str
    runs: dict[str, list[WrkResult]] = field(default_factory=lambda: {app: [] for app in APPS})
    cpu_ms_per_interview: dict[str, list[float]] = field(default_factory=dict)

    def median(self, app: str, what: str) -> float:
        runs = self.runs[app]
        values = [r.ok_rate if what == "rate" else float(getattr(r, what)) for r in runs]
        return statistics.median(values)

    def ratio(self, what: str, app: str = "tipline", to: str = "durable") -> float:
        return self.median(app, what) / self.median(to, what)

    @property
    def failed(self) -> int:
        return sum(r.failed for runs in self.runs.values() for r in runs)

    @property
    def wrapped(self) -> list[str]:
        """Apps whose request file ran out in some round (the figures then replay requests)."""
        return [app for app in ("tipline", "durable") if any(r.wrapped for r in self.runs[app])]


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
                   if ln.startswith("MemTotal:"))
    return (f"{os.cpu_count()} cores ({model}), {mem_kib / 1024 / 1024:.1f} GiB memory, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages: other work on a shared machine moves every figure."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def summary_table(mixes: list[MixFigures]) -> list[str]:
    lines = ["| Mix | tipline req/s | durable req/s | bare req/s | tipline / durable | "
             "p50 ms tipline / durable / bare | p99 ms tipline / durable / bare |",
             "|---|---|---|---|---|---|---|"]
    for mix in mixes:
        rate = {app: mix.median(app, "rate") for app in APPS}
        p50 = " / ".join(f"{mix.median(app, 'p50_ms'):.1f}" for app in APPS)
        p99 = " / ".join(f"{mix.median(app, 'p99_ms'):.1f}" for app in APPS)
        lines.append(f"| {mix.title} | {rate['tipline']:,.0f} | {rate['durable']:,.0f} | {rate['bare']:,.0f} | "
                     f"**{rate['tipline'] / rate['durable']:.2f}** | {p50} | {p99} |")
    return lines


def rounds_lines(mixes: list[MixFigures]) -> list[str]:
    lines = []
    for mix in mixes:
        per_app = "; ".join(f"{app} " + ", ".join(f"{r.ok_rate:.0f}" for r in mix.runs[app]) for app in APPS)
        lines.append(f"- {mix.title}: req/s per round: {per_app}")
        if mix.failed:
            lines.append(f"  - {mix.failed} requests failed (non-2xx, socket errors or timeouts; left out of req/s)")
        if mix.wrapped:
            lines.append(f"  - the request file ran out for {', '.join(mix.wrapped)}: raise --max-rate")
    return lines


METHOD = """\
How it is measured: `make bench-webhooks` (or `.venv/bin/python bench/webhooks.py --write-results`).
wrk replays pre-signed Twilio webhooks (X-Twilio-Signature over the configured public URL,
form bodies, a fresh MessageSid each) written by the Python side, so the load generator is
not the bottleneck (the Python thread-pool loader this replaces topped out near 1,700
requests/s, its "bare Flask" figure, and squeezed every ratio toward 1). `tipline` is
`tipline serve --no-jobs`; `durable` is one SQLite insert + commit per webhook with the same
pragmas; `bare` returns TwiML. Ratios to `durable`, measured in the same run, are what matter:
the machine is shared, and its load moves every absolute figure. Latencies are wrk's
distribution (p50, p99 per run; medians over rounds); req/s counts only answered (2xx)
requests. CPU per interview is the gunicorn workers' user+system time (from /proc) over
the run, per 12 answered messages. Mixes (b) and (c) alternate round by round, so the database
the tip line has grown by then weighs on both alike; the code attempts' cost is each round's (c)
against the (b) just before it. RSS and PSS come from /proc after the SMS mixes and more of (c)
on the tip line alone, until its workers have answered 100,000 webhooks. The
Telegram figure is `tipline serve` with its jobs (the outbox sender), a small Python sender
at a fixed rate, and the time until the reply reaches the fake Bot API (tests/fakes)."""


def write_results(body: list[str], *, title: str = SECTION, method: str = METHOD) -> None:
    """Replace one section of bench/RESULTS.md, the webhook one unless told (the other sections stay)."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    section = title + "\n\n" + "\n".join(body).strip() + "\n\n" + method + "\n"
    if title in text:
        head, _, rest = text.partition(title)
        nxt = rest.find("\n## ")
        tail = rest[nxt + 1:] if nxt >= 0 else ""
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)
