"""Helpers for the storage tests (the ``engine`` fixture comes from tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.crypto import ServerSecrets
from storage.epochs import EpochKeys, schedules


@pytest.fixture
def server_secrets() -> ServerSecrets:
    return ServerSecrets(os.urandom(32))


class EpochClock:
    """The fake clock the ``epoch_keys`` ratchets run on; tests move it to pass windows."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


EPOCH_START = 1_700_000_000.0


@pytest.fixture
def epoch_clock() -> EpochClock:
    return EpochClock(EPOCH_START)


@pytest.fixture
def epoch_keys(tmp_path: Path, epoch_clock: EpochClock) -> EpochKeys:
    """Every short-lived purpose's ratchet in this test's secrets folder, started at its clock."""
    ring = EpochKeys(tmp_path / "secrets", schedules(idle_minutes=60, followup_days=7), clock=epoch_clock)
    ring.create_missing()
    return ring
