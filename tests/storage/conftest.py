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


class Clock:
    """A clock the test moves by hand (the epoch keys' windows)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


EPOCHS_START = 1_795_000_000.0  # 2026-11-18 (UTC)


@pytest.fixture
def epoch_clock() -> Clock:
    return Clock(EPOCHS_START)


@pytest.fixture
def epochs(tmp_path: Path, epoch_clock: Clock) -> EpochKeys:
    """Every short-lived purpose's chain in a fresh secrets folder, on ``epoch_clock`` (at
    EPOCHS_START); the chains start a day before (what ``tipline init`` makes)."""
    keys = EpochKeys(tmp_path / "secrets", schedules(idle_minutes=60, followup_days=7), clock=epoch_clock)
    keys.create_missing(start=EPOCHS_START - 86400)
    return keys
