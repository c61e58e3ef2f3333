"""Issue 9: several hosts must derive the same epoch keys; a host with chains of its own is refused."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from storage import chain_check
from storage.crypto import CryptoError
from storage.ratchet import FOLDER
from tipline.install import InstallError, prepare
from tipline.jobs import Jobs
from tipline.runtime import Runtime
from tipline.settings import Settings


def _second_host(settings: Settings, tmp_path: Path, *, with_chains: bool) -> Settings:
    """A second host's secrets folder: the first host's server.key, and its chains only if copied."""
    other = settings.with_(secrets_dir=tmp_path / "second-host-secrets")
    other.secrets_dir.mkdir(mode=0o700)
    shutil.copy2(settings.secrets_dir / "server.key", other.secrets_dir / "server.key")
    if with_chains:
        shutil.copytree(settings.secrets_dir / FOLDER, other.secrets_dir / FOLDER)
    return other


def test_init_on_a_second_host_without_the_chains_refuses_to_start_new_ones(
    rt: Runtime, settings: Settings, tmp_path: Path
) -> None:
    other = _second_host(settings, tmp_path, with_chains=False)
    with pytest.raises(InstallError, match="copy of the first host's secrets folder"):
        prepare(other)
    assert not (other.secrets_dir / FOLDER).exists() or not any((other.secrets_dir / FOLDER).iterdir())


def test_a_host_whose_chains_were_started_there_does_not_start(rt: Runtime, settings: Settings, tmp_path: Path) -> None:
    other = _second_host(settings, tmp_path, with_chains=False)
    stray = Runtime(other)
    try:
        stray.epochs.create_missing()  # chains of its own, as a hand-made folder would have
        with pytest.raises(CryptoError, match="not this line's"):
            stray.check_ready()
    finally:
        stray.close()


def test_a_host_with_the_copied_folder_starts_and_the_worker_keeps_the_fingerprints_fresh(
    rt: Runtime, settings: Settings, tmp_path: Path
) -> None:
    other = _second_host(settings, tmp_path, with_chains=True)
    second, _ = prepare(other)
    try:
        second.check_ready()
        Jobs(second).run_once()
        with second.db.connect() as conn:
            assert chain_check.recorded(conn)
            assert chain_check.mismatched(conn, epochs=rt.epochs) == []
    finally:
        second.close()


def test_two_workers_refreshing_the_fingerprints_at_once_both_finish_their_round(rt: Runtime) -> None:
    """Several 'tipline worker' processes on PostgreSQL: a refresh that waits on another's must not
    fail (it did with delete-then-insert, and the failed refresh took that worker's whole round,
    deliveries included, down with it)."""
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with rt.db.begin() as conn:
                chain_check.record(conn, epochs=rt.epochs, now=time.time())
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)

    with rt.db.begin() as conn:
        chain_check.record(conn, epochs=rt.epochs, now=time.time())
        other = threading.Thread(target=second)
        other.start()
        other.join(0.5)  # the second refresh now waits for this transaction's rows
    other.join(30)
    assert not other.is_alive()
    assert errors == []
    with rt.db.connect() as conn:
        assert chain_check.recorded(conn)
        assert chain_check.mismatched(conn, epochs=rt.epochs) == []
