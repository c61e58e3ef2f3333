"""The claims drill still runs and passes, small: 3 processes pulling 60 tips through the console's path."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(PG_URL is None, reason="the drill runs on PostgreSQL only")
def test_every_tip_is_claimed_once_by_processes_pulling_at_once() -> None:
    out = subprocess.run(
        [sys.executable, "drills/claims.py", "--database-url", str(PG_URL), "--processes", "3", "--tips", "60",
         "--timeout", "90"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    assert re.search(r"^claims drill: 3 processes, 60 tips on PostgreSQL, 60 claims in [\d.]+ s: \d+ claims/s$",
                     out.stdout, re.MULTILINE), out.stdout
    counts = re.search(r"per process: puller0 (\d+), puller1 (\d+), puller2 (\d+)", out.stdout)
    assert counts and sum(map(int, counts.groups())) == 60, out.stdout
    assert "duplicates: 0 (must be 0); unclaimed: 0 (must be 0)" in out.stdout
    assert "claim rows agree with what each process was told: True; audited claims 60, audited twice 0, " \
           "audit chain verifies: True" in out.stdout
