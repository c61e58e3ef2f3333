"""The redelivery drill still runs and passes, small (2 gunicorn workers, 6 conversations, every
delivery twice), and its comparison catches what it is there to catch."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from drills.redelivery import Conversation, mismatches
from drills.redelivery_script import LENGTH, VARIANTS, Expected, script
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(PG_URL is None, reason="the drill runs on PostgreSQL only")
def test_every_duplicate_is_absorbed_and_each_conversation_matches_its_script() -> None:
    out = subprocess.run(
        [sys.executable, "drills/redelivery.py", "--database-url", str(PG_URL), "--conversations", "6",
         "--workers", "2", "--clients", "4", "--timeout", "180"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    assert re.search(r"^redelivery drill: 6 conversations, 150 messages, 300 deliveries answered in [\d.]+ s: "
                     r"\d+ deliveries/s", out.stdout, re.MULTILINE), out.stdout
    assert "absorbed (the original's replies, no second step): 150 of 150" in out.stdout
    assert "rows: {'inbound': 150, 'conversation': 6, 'tip': 6, 'outbox': 0}" in out.stdout
    assert "mismatches: 0 conversations (must be 0); sent again after no answer: " in out.stdout
    assert "never answered: 0" in out.stdout


def _played(n: int) -> tuple[Conversation, Expected]:
    lines = script(n)
    answers = [(f"reply to {line}",) for line in lines]
    conv = Conversation(n, lines, [], next=len(lines), originals=list(answers),
                        duplicates=dict(enumerate(answers)), statuses=[200] * 2 * len(lines))
    return conv, Expected(tuple(answers), ("P2", "labour", "complete", 1), tips=1, outbox=0)


def test_a_duplicate_handled_as_a_new_step_or_a_lost_message_is_a_mismatch() -> None:
    assert len(script(0)) == LENGTH and len({script(n) for n in range(len(VARIANTS))}) == len(VARIANTS)
    conv, expected = _played(0)
    assert mismatches(conv, expected, expected.tip) == []
    conv.duplicates[3] = ("reply to the next step",)  # the redelivery moved the interview on
    assert mismatches(conv, expected, expected.tip) == ["1 duplicates answered differently, 0 unsent"]
    conv, expected = _played(1)
    conv.originals[5] = conv.originals[6]  # two messages interleaved: one answered from the wrong state
    conv.duplicates[5] = conv.originals[5]
    assert mismatches(conv, expected, ("P2", "labour", "complete", 2)) == [
        "replies differ from the reference from message 6",
        "tip ('P2', 'labour', 'complete', 2) instead of ('P2', 'labour', 'complete', 1)"]
