"""bench/queue.py runs end to end on PostgreSQL with tiny sizes, prints its table and ratio, and
leaves no schema behind."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| (?P<tips>[\d,]+) \| (?P<env>[\d,]+) \| [\d.]+ s \| (?P<p50>[\d.]+) ms \| (?P<p99>[\d.]+) ms \|$",
                 re.MULTILINE)


def _bench_schemas(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench_queue_%'"))
            return {r[0] for r in rows}
    finally:
        engine.dispose()


@pytest.mark.skipif(PG_URL is None, reason="no PostgreSQL answers on 127.0.0.1:5432")
def test_the_queue_bench_prints_latencies_and_their_ratio() -> None:
    assert PG_URL is not None
    out = subprocess.run([sys.executable, "-m", "bench.queue", "--sizes", "200,2000", "--samples", "10",
                          "--url", PG_URL], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [m.groupdict() for m in ROW.finditer(out.stdout)]
    assert [r["tips"] for r in rows] == ["200", "2,000"], out.stdout
    assert all(int(r["env"].replace(",", "")) > int(r["tips"].replace(",", "")) for r in rows)  # several queues
    assert all(0 < float(r["p50"]) <= float(r["p99"]) for r in rows)
    assert re.search(r"ratio 2,000 / 200 tips: p50 \d+\.\d\d, p99 \d+\.\d\d \(target: at most 1\.5\)", out.stdout)
    used = set(re.findall(r"tips done \(schema (bench_queue_\w+), dropped\)", out.stdout))
    assert len(used) == 2 and not used & _bench_schemas(PG_URL)  # each size's schema was dropped


def test_running_the_file_directly_does_not_shadow_the_standard_queue_module() -> None:
    out = subprocess.run([sys.executable, "bench/queue.py", "--help"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "--sizes" in out.stdout


def test_scripts_in_bench_still_get_the_standard_queue_module() -> None:
    """``python bench/x.py`` puts bench/ first on the path, where bench/queue.py lives."""
    script = ("import sys; sys.path.insert(0, 'bench'); import queue; from concurrent.futures import "
              "ThreadPoolExecutor; print(ThreadPoolExecutor(2).submit(len, 'abc').result(), queue.SimpleQueue)")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("3 <class '_queue.SimpleQueue'>")
