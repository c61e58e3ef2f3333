"""The forward-secure key ratchet: what a copy of the secrets folder can and cannot open."""

from __future__ import annotations

import multiprocessing
import shutil
import stat
from pathlib import Path

import pytest

from storage.ratchet import EpochDestroyed, Ratchet, RatchetMissing, Schedule

HOUR = 3600
SCHEDULE = Schedule(epoch_seconds=HOUR, keep=2)
START = 1_800_000_000.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def ratchet(folder: Path, clock: Clock, purpose: str = "conversation-state") -> Ratchet:
    return Ratchet(folder, purpose, SCHEDULE, clock=clock)


def test_keys_inside_the_window_open_and_older_ones_are_refused(tmp_path: Path) -> None:
    clock = Clock(START)
    r = ratchet(tmp_path, clock)
    assert r.create() and not r.create()
    epoch, key = r.current()
    assert r.key(epoch) == key and len(key) == 32
    clock.now += 2 * HOUR
    assert r.key(epoch) == key  # still inside the window (keep=2)
    clock.now += HOUR
    with pytest.raises(EpochDestroyed):
        r.key(epoch)  # refused by the clock even though this process still holds the chain
    assert [e for e, _ in r.window()] == [epoch + 3, epoch + 2, epoch + 1]


def test_purposes_and_epochs_never_share_a_key(tmp_path: Path) -> None:
    clock = Clock(START)
    a, b = ratchet(tmp_path, clock, "outbox"), ratchet(tmp_path, clock, "inbound")
    a.create()
    shutil.copy(a.path, b.path)  # even the same chain gives each purpose its own keys
    epoch, key = a.current()
    assert b.key(epoch) != key
    clock.now += HOUR
    assert a.key(epoch + 1) != key


def test_a_copy_taken_after_advancing_opens_nothing_older(tmp_path: Path) -> None:
    clock = Clock(START)
    live = ratchet(tmp_path / "live", clock)
    live.create()
    old_epoch, old_key = live.current()
    before = tmp_path / "backup-before"
    shutil.copytree(tmp_path / "live", before)
    clock.now += 5 * HOUR
    assert live.advance() == 3  # epochs old_epoch .. old_epoch+2 destroyed on this host
    after = tmp_path / "backup-after"
    shutil.copytree(tmp_path / "live", after)
    # A thief with the later copy, even with the clock set back, cannot go back in the chain.
    thief = ratchet(after, Clock(START))
    with pytest.raises(EpochDestroyed):
        thief.key(old_epoch)
    assert old_key.hex() not in (after / "ratchet" / "conversation-state.json").read_text()
    # The copy taken before still opens it: a backup of the secrets folder is short-lived.
    assert ratchet(before, Clock(START)).key(old_epoch) == old_key


def test_hosts_that_copied_the_folder_once_derive_the_same_keys(tmp_path: Path) -> None:
    clock = Clock(START)
    first = ratchet(tmp_path / "host1", clock)
    first.create()
    shutil.copytree(tmp_path / "host1", tmp_path / "host2")
    second = ratchet(tmp_path / "host2", clock)
    clock.now += 7 * HOUR
    first.advance()  # one host advanced, the other did not: same keys in the window
    assert first.window() == second.window()


def _advance_in_a_process(folder: str, now: float) -> str:
    r = Ratchet(Path(folder), "outbox", SCHEDULE, clock=lambda: now)
    r.advance()
    return r.current()[1].hex()


def test_two_processes_reaching_a_new_epoch_at_once_agree(tmp_path: Path) -> None:
    clock = Clock(START)
    r = ratchet(tmp_path, clock, "outbox")
    r.create()
    later = START + 30 * HOUR
    with multiprocessing.get_context("fork").Pool(4) as pool:
        keys = pool.starmap(_advance_in_a_process, [(str(tmp_path), later)] * 8)
    assert len(set(keys)) == 1
    clock.now = later
    fresh = ratchet(tmp_path, clock, "outbox")
    assert fresh.current()[1].hex() == keys[0]
    assert not [p for p in (tmp_path / "ratchet").iterdir() if p.name.endswith(".tmp")]


def test_the_file_is_private_and_a_missing_or_damaged_one_says_what_to_do(tmp_path: Path) -> None:
    clock = Clock(START)
    r = ratchet(tmp_path, clock)
    with pytest.raises(RatchetMissing, match="tipline init"):
        r.current()
    r.create()
    assert stat.S_IMODE(r.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(r.path.parent.stat().st_mode) == 0o700
    r.path.write_text("{not json")
    with pytest.raises(RatchetMissing, match="restore"):
        ratchet(tmp_path, clock).current()


def test_a_process_that_never_advances_lets_go_of_closed_epochs(tmp_path: Path) -> None:
    """A web process never runs ``advance`` (the worker does): deriving a later key is when it
    drops the chain and keys the clock has closed, so a dump of its memory opens nothing older."""
    clock = Clock(START)
    r = ratchet(tmp_path, clock)
    r.create()
    first, _ = r.current()
    clock.now += 5 * HOUR
    newest, _ = r.current()
    assert newest == first + 5
    held_epochs = set(r._cache) | {r._base[0] if r._base else newest}
    assert min(held_epochs) >= newest - SCHEDULE.keep
    assert [e for e, _ in r.window()] == [newest, newest - 1, newest - 2]
    copy = Ratchet(tmp_path, "conversation-state", SCHEDULE, clock=clock)  # the file itself was not advanced
    assert copy.key(newest) == r.key(newest)
