"""bench/scale.py still runs: a tiny run prints every figure it promises, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import wrk
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]
NUMBER = r"[\d,]+(?:\.\d+)?"
ROW = re.compile(rf"^\| (?P<db>SQLite|PostgreSQL) \| (?P<w>\d) \| (?P<tipline>{NUMBER}) \| (?P<durable>{NUMBER}) \| "
                 rf"\*\*(?P<ratio>\d+\.\d\d)\*\* \| (?P<scale>\d+\.\d\d) \| ", re.MULTILINE)
STEADY = re.compile(rf"^- (?P<db>SQLite|PostgreSQL), steady (?P<rate>{NUMBER}) messages/s .*webhook to reply received "
                    rf"at the fake Bot API p50 (?P<r50>{NUMBER}) ms, p99 (?P<r99>{NUMBER}) ms; P1 alert latency .*?"
                    rf"(?P<alerts>\d+) alerts\) p50 (?P<a50>{NUMBER}) ms, p99 (?P<a99>{NUMBER}) ms$", re.MULTILINE)
DRAIN = re.compile(r"^- (?P<db>SQLite|PostgreSQL), outbox delivery rate .*?: (?P<rates>.*)$", re.MULTILINE)
DRAIN_RATE = re.compile(rf"(?P<w>\d) worker\(s\) (?P<rate>{NUMBER})/s \((?P<n>\d+) in ")


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_a_tiny_run_prints_throughput_latencies_alerts_and_delivery_rates_for_each_database() -> None:
    try:
        wrk.find_or_install()
    except wrk.WrkMissing as exc:
        pytest.skip(f"wrk is absent and cannot be installed here: {exc}")
    databases = ["SQLite"] + (["PostgreSQL"] if PG_URL else [])
    before = (ROOT / "bench" / "RESULTS.md").read_bytes()
    cmd = [sys.executable, "bench/scale.py", "--seconds", "1", "--rounds", "1", "--steady-seconds", "2",
           "--drain-replies", "20", "--worker-interval", "1", "--max-rate", "1000",
           *(["--postgres", PG_URL] if PG_URL else ["--sqlite-only"])]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout
    assert re.search(r"^Machine: \d+ cores .*load average [\d.]+ [\d.]+ [\d.]+ before the run, "
                     r"[\d.]+ [\d.]+ [\d.]+ after it", text, re.MULTILINE), text
    rows = {(m["db"], int(m["w"])): m for m in ROW.finditer(text)}
    assert sorted(rows) == sorted((db, w) for db in databases for w in (1, 2, 4)), text
    for row in rows.values():  # both apps answered signed webhooks with 200s
        assert _number(row["tipline"]) > 0 and _number(row["durable"]) > 0, row[0]
    assert "failed" not in text, text
    steady = {m["db"]: m for m in STEADY.finditer(text)}
    assert sorted(steady) == sorted(databases), text
    for m in steady.values():
        assert int(m["alerts"]) >= 1, m[0]  # each danger answer's alert reached the fake phone
        assert all(not math.isnan(_number(m[k])) and _number(m[k]) > 0 for k in ("r50", "r99", "a50", "a99")), m[0]
    assert "never arrived" not in text, text
    drains = {m["db"]: m["rates"] for m in DRAIN.finditer(text)}
    assert sorted(drains) == sorted(databases), text
    for rates in drains.values():
        found = {int(m["w"]): m for m in DRAIN_RATE.finditer(rates)}
        assert sorted(found) == [1, 2, 4], rates
        assert all(int(m["n"]) == 20 and _number(m["rate"]) > 0 for m in found.values()), rates
    assert (ROOT / "bench" / "RESULTS.md").read_bytes() == before  # only --write-results writes
