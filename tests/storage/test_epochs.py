"""Epoch boxes and keyed hashes: a blob or a lookup lives exactly as long as its purpose's window."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.crypto import DecryptionFailed
from storage.epochs import HOUR, EpochDestroyed, EpochKeys, peek, schedules
from storage.purposes import Purpose
from storage.ratchet import RatchetMissing

START = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def keys(folder: Path, clock: Clock) -> EpochKeys:
    return EpochKeys(folder, schedules(idle_minutes=60, followup_days=7), clock=clock)


def test_a_blob_opens_inside_its_window_and_never_after(tmp_path: Path) -> None:
    clock = Clock()
    ring = keys(tmp_path, clock)
    assert set(ring.create_missing()) == set(schedules(idle_minutes=60, followup_days=7))
    box = ring.box(Purpose.CONVERSATION_STATE)
    blob = box.encrypt(b"answers", b"conv-1")
    sealed = peek(blob)
    assert sealed is not None and sealed.purpose is Purpose.CONVERSATION_STATE
    clock.now += 4 * HOUR
    assert box.decrypt(blob, b"conv-1") == b"answers"
    with pytest.raises(DecryptionFailed):
        box.decrypt(blob, b"conv-2")  # bound to its row
    with pytest.raises(DecryptionFailed):
        ring.box(Purpose.OUTBOX).decrypt(blob, b"conv-1")  # bound to its purpose
    clock.now += 2 * HOUR
    with pytest.raises(EpochDestroyed):
        box.decrypt(blob, b"conv-1")
    ring.advance()
    copy = keys(tmp_path, Clock())  # even a process whose clock is behind: the file moved on
    with pytest.raises(EpochDestroyed):
        copy.box(Purpose.CONVERSATION_STATE).decrypt(blob, b"conv-1")


def test_a_lookup_written_today_is_found_until_the_follow_up_window_ends(tmp_path: Path) -> None:
    clock = Clock()
    ring = keys(tmp_path, clock)
    ring.create_missing()
    written = ring.mac(Purpose.LOOKUP, b"sms:+15550001111")
    clock.now += 8 * 86400
    assert written in ring.macs(Purpose.LOOKUP, b"sms:+15550001111")
    assert written not in ring.macs(Purpose.LOOKUP, b"sms:+15550001112")
    clock.now += 86400
    assert written not in ring.macs(Purpose.LOOKUP, b"sms:+15550001111")


def test_a_derived_key_is_found_again_by_its_epoch(tmp_path: Path) -> None:
    clock = Clock()
    ring = keys(tmp_path, clock)
    ring.create_missing()
    epoch, key = ring.derived(Purpose.INBOUND_REPLIES, b"sms:SM1")
    clock.now += HOUR
    assert ring.derived_at(Purpose.INBOUND_REPLIES, epoch, b"sms:SM1") == key
    clock.now += HOUR
    with pytest.raises(EpochDestroyed):
        ring.derived_at(Purpose.INBOUND_REPLIES, epoch, b"sms:SM1")


def test_a_missing_chain_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(RatchetMissing, match="tipline init"):
        keys(tmp_path, Clock()).check()


def test_a_backdated_start_serves_a_fake_clock_in_the_past(tmp_path: Path) -> None:
    clock = Clock()
    clock.now = 1_000_000.0
    ring = keys(tmp_path, clock)
    ring.create_missing(start=0.0)
    blob = ring.box(Purpose.OUTBOX).encrypt(b"reply")
    assert ring.box(Purpose.OUTBOX).decrypt(blob) == b"reply"


def test_a_lookup_hashes_each_epoch_once_and_matches_mac_and_macs(tmp_path: Path) -> None:
    clock = Clock()
    ring = keys(tmp_path, clock)
    ring.create_missing(start=START - 3 * 86400)
    data = b"sms:+15550001111"
    for day in range(8):  # the window (8 days back) fills, then slides
        current, tried = ring.current_and_macs(Purpose.LOOKUP, data)
        assert current == ring.mac(Purpose.LOOKUP, data) and tried[0] == current
        assert list(tried) == ring.macs(Purpose.LOOKUP, data) and len(tried) == min(4 + day, 9)
        clock.now += 86400


def test_a_box_refuses_a_closed_epoch_even_after_sealing_in_it(tmp_path: Path) -> None:
    clock = Clock()
    ring = keys(tmp_path, clock)
    ring.create_missing()
    box = ring.box(Purpose.INBOUND_REPLIES)  # hour epochs, one kept
    first = box.encrypt(b"reply")
    assert box.decrypt(first) == b"reply"
    clock.now += 2 * HOUR
    later = box.encrypt(b"later")  # a new epoch's AEAD: the closed one's is let go
    with pytest.raises(EpochDestroyed):
        box.decrypt(first)
    assert box.decrypt(later) == b"later"
