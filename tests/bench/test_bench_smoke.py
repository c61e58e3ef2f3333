"""The webhook benchmark still runs: a quick wrk run of all three mixes prints its table."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from itertools import islice
from pathlib import Path

import pytest

from bench import mixes, wrk
from storage import refcodes

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| \((?P<mix>[abc])\) .*? \| (?P<tipline>[\d,]+) \| (?P<durable>[\d,]+) \| (?P<bare>[\d,]+) \| "
                 r"\*\*(?P<ratio>\d+\.\d\d)\*\* \|", re.MULTILINE)


def test_quick_run_prints_the_table_for_all_three_mixes() -> None:
    try:
        wrk.find_or_install()
    except wrk.WrkMissing as exc:
        pytest.skip(f"wrk is absent and cannot be installed here: {exc}")
    before = (ROOT / "bench" / "RESULTS.md").read_bytes()
    out = subprocess.run([sys.executable, "bench/webhooks.py", "--quick", "--rounds", "1", "--seconds", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "| Mix | tipline req/s | durable req/s | bare req/s | tipline / durable |" in out.stdout
    rows = {m["mix"]: m for m in ROW.finditer(out.stdout)}
    assert sorted(rows) == ["a", "b", "c"], out.stdout
    for row in rows.values():  # every app answered signed webhooks with 200s
        assert all(int(row[app].replace(",", "")) > 0 for app in ("tipline", "durable", "bare")), row[0]
    assert "failed" not in out.stdout, out.stdout
    assert re.search(r"Telegram path.*p50 [\d.]+ ms, p99 [\d.]+ ms$", out.stdout, re.MULTILINE), out.stdout
    assert "ready (process start to the first 200 on /healthz)" in out.stdout
    assert (ROOT / "bench" / "RESULTS.md").read_bytes() == before  # only --write-results writes


def test_interview_mix_never_lets_a_reporters_messages_race() -> None:
    by_sender: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for i, message in enumerate(islice(mixes.interviews(0), 50 * len(mixes.INTERVIEW) * 3)):
        by_sender[message.sender].append((i, message.text))
    assert len(by_sender) == 150  # a fresh number for each new interview
    for sent in by_sender.values():
        assert [text for _, text in sent] == mixes.INTERVIEW
        gaps = [b - a for (a, _), (b, _) in zip(sent, sent[1:], strict=False)]
        assert min(gaps) >= mixes.INTERVIEW_SLOTS  # 8 requests in flight cannot overlap two of them


def test_code_attempts_are_well_formed_wrong_codes_from_new_senders() -> None:
    stream = list(islice(mixes.interviews_with_codes(0, every=10), 1100))
    codes = [m for m in stream if refcodes.check(m.text).is_code_like]
    assert len(codes) == 100
    assert all(refcodes.check(m.text).is_valid for m in codes)  # past the check character: looked up
    assert len({m.sender for m in codes}) == 100
    assert not {m.sender for m in codes} & {m.sender for m in stream if m not in codes}
