"""A small theft drill (issue 9): the attack finds what is planted, and what it finds after the windows.

The copy taken BEFORE the windows pass proves the drill able to find things; the copy taken
after is what issue 9 is about: with the short-lived keys on the ratchet, nothing older than the
current window opens, even with the copied secrets folder (the table is printed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from bench import theft_report
from bench.theft import run_attack
from bench.theft_attack import key_ring
from bench.theft_report import Row
from bench.theft_scenario import (
    OLD, Line, copy_stolen, current_interviews, old_interviews, open_line, pass_the_windows,
)
from storage.ratchet import Ratchet, Schedule

CANDIDATES = 10_000


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Line, Path, Path]]:
    line = open_line()
    try:
        old_interviews(line)
        before = copy_stolen(line, tmp_path_factory.mktemp("before"))
        pass_the_windows(line)
        current_interviews(line)
        after = copy_stolen(line, tmp_path_factory.mktemp("after"))
        yield line, before, after
    finally:
        line.close()


def _table(line: Line, copy: Path) -> dict[str, Row]:
    findings, _ = run_attack(line, copy, CANDIDATES)
    table = theft_report.rows(findings, line.planted)
    print(theft_report.render(table, findings, line.planted, title=copy.name))
    print(theft_report.details(table))
    return {r.category: r for r in table}


def test_a_copy_taken_before_the_windows_gives_up_the_planted_markers_and_addresses(
    drill: tuple[Line, Path, Path],
) -> None:
    line, before, _ = drill
    table = _table(line, before)
    old_markers = {m for m, phase in line.planted.markers.items() if phase == OLD}
    found = set(table["answers (markers)"].older)
    # Interviews still in progress then (the idle ones) are readable.  (What an EXIT dropped lives on
    # only in WAL frames that SQLite has not yet overwritten: found or not, depending on the traffic.)
    assert {m for m in old_markers if m.endswith("-idle")} <= found
    sms = {f"sms:{a}" for (c, a), phase in line.planted.addresses.items() if c == "sms" and phase == OLD}
    assert sms <= set(table["addresses (numbers, chat ids)"].older), "brute force finds every SMS number"
    assert table["stored replies"].older, "update ids and SIDs open stored replies"


def test_after_the_windows_nothing_older_than_the_window_is_recovered(drill: tuple[Line, Path, Path]) -> None:
    line, _, after = drill
    table = _table(line, after)
    assert table["answers (markers)"].current, "the drill still reads an interview in progress"
    assert theft_report.met(list(table.values())), "the thief recovered data older than the window"


def test_the_key_ring_holds_every_epoch_a_copied_ratchet_still_derives(tmp_path: Path) -> None:
    from storage.crypto import create_server_secrets

    create_server_secrets(tmp_path)
    now = 1_800_000_000.0
    hourly = Schedule(3600, keep=3)
    ratchet = Ratchet(tmp_path, "conversation-state", hourly, clock=lambda: now - 10 * 3600)
    ratchet.create()  # made ten hours ago, never advanced: every epoch since opens
    ring = key_ring(tmp_path, now)
    assert ring.ratchet_epochs == 12  # ten hours back, this hour, and the next (clock skew)
    Ratchet(tmp_path, "conversation-state", hourly, clock=lambda: now).advance()
    assert key_ring(tmp_path, now).ratchet_epochs == 5  # the window (3 back and now) and the next
