"""``Spool.holds``: a sender's later message queues behind the ones spooled earlier, also when the
spool was empty and quiet for a long time and the earlier ones came from another process."""

from __future__ import annotations

import os
import time
from pathlib import Path

from storage.epochs import EpochKeys, schedules
from storage.spool import Spool

SENDER = b"sms:+14155550123"
OTHER = b"sms:+14155550999"


def _spools(tmp_path: Path) -> tuple[Spool, Spool]:
    keys = EpochKeys(tmp_path / "secrets", schedules(idle_minutes=60, followup_days=7))
    keys.create_missing()
    folder = tmp_path / "spool"
    return Spool(folder, keys), Spool(folder, keys)  # two web processes on one host


def _quiet_for_an_hour(spool: Spool) -> None:
    past = time.time() - 3600
    for folder in (spool.ready, spool.claimed):
        os.utime(folder, (past, past))


def test_a_quiet_empty_spool_still_sees_a_message_another_process_kept(tmp_path: Path) -> None:
    web, other = _spools(tmp_path)
    _quiet_for_an_hour(web)
    assert not web.holds(SENDER)
    assert not web.holds(SENDER)  # asked again: still empty
    assert other.put(b"first words", sender=SENDER)
    assert web.holds(SENDER)
    assert not web.holds(OTHER)


def test_a_message_being_fed_still_holds_its_sender(tmp_path: Path) -> None:
    web, drainer = _spools(tmp_path)
    _quiet_for_an_hour(web)
    assert not web.holds(SENDER)
    assert drainer.put(b"first words", sender=SENDER)
    (name,) = os.listdir(drainer.ready)
    _quiet_for_an_hour(web)
    assert web.holds(SENDER)
    os.rename(drainer.ready / name, drainer.claimed / name)  # a drainer claims it
    assert web.holds(SENDER)
    os.unlink(drainer.claimed / name)  # the database has it
    assert not web.holds(SENDER)


def test_a_spool_changed_a_moment_ago_is_read_every_time(tmp_path: Path) -> None:
    web, other = _spools(tmp_path)
    assert not web.holds(SENDER)  # just created: its folders' times are recent
    assert other.put(b"first words", sender=SENDER)
    assert web.holds(SENDER)
