"""The worker's round while the database is away: keys still die on time, jobs fail one by one."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from storage.crypto import DecryptionFailed
from storage.db import make_engine
from storage.epochs import EpochKeys, schedules
from storage.purposes import Purpose
from storage.ratchet import EpochDestroyed
from storage.spool import SPOOL_AAD, Spool
from tests.tipline.test_cli import init, run
from tests.webhooks.helpers import post_sms, sms_params
from tests.webhooks.test_spool import epoch_keys, outage_app
from tipline.jobs import Jobs
from tipline.runtime import Runtime

DAY = 86400.0
MARKER = "outagejobsmarker4K2 they sleep in the van"


def away(rt: Runtime, tmp_path: Path) -> Runtime:
    """The same install (secrets, data, spool) with its database unreachable: a SQLite path that is
    a folder, or a PostgreSQL port nothing listens on."""
    if rt.settings.is_sqlite:
        folder = tmp_path / "away" / "tipline.sqlite3"
        folder.mkdir(parents=True)
        url = f"sqlite:///{folder}"
    else:
        url = "postgresql+psycopg://postgres@127.0.0.1:9/test?connect_timeout=2"
    return Runtime(rt.settings.with_(database_url=url))


def fresh_keys(rt: Runtime) -> EpochKeys:
    """What a copy of the secrets folder opens with, on today's clock (a thief's, say)."""
    s = rt.settings
    return EpochKeys(s.secrets_dir, schedules(idle_minutes=s.conversation_idle_minutes, followup_days=s.followup_days))


def test_a_round_with_the_database_away_still_destroys_expired_keys_and_spool_files(
    rt: Runtime, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    # Given an SMS kept in the spool while the database was away.
    down_rt = away(rt, tmp_path)
    spool = Spool(rt.settings.data_dir / "spool", epoch_keys(rt))
    assert post_sms(outage_app(rt, down_rt.db, spool), sms_params(MARKER, sender="+14155550199")).status_code == 200
    [kept] = list(spool.ready.iterdir())
    blob = kept.read_bytes()
    assert fresh_keys(rt).box(Purpose.SPOOL).decrypt(blob, SPOOL_AAD)  # it opens today

    # When the worker runs rounds two days on, the database still away.
    later = time.time() + 2 * DAY
    jobs = Jobs(down_rt, clock=lambda: later, epoch_keys=down_rt.epochs_on(lambda: later))
    with caplog.at_level(logging.WARNING, logger="tipline"):
        first = jobs.run_once()
        second = jobs.run_once()

    # Then every epoch past its window is gone from the secrets folder: the spool's hour key too,
    # so a copy of the folder taken now does not open the file, even on a clock set back.
    assert first["destroyed_epochs"] > 0
    with pytest.raises((EpochDestroyed, DecryptionFailed)):
        fresh_keys(rt).box(Purpose.SPOOL).decrypt(blob, SPOOL_AAD)
    assert spool.usage().files == 0  # past its window: deleted unread
    # The database jobs did not run and say so once each, in one line, not every round.
    assert "purged_outbox" not in first and "expired" not in first
    assert second.get("destroyed_epochs") == 0
    failures = [r for r in caplog.records if r.getMessage().startswith("scheduled job failed")]
    assert failures and len({r.getMessage() for r in failures}) == len(failures)
    assert all(r.exc_info is None for r in caplog.records)
    assert not any("scheduled jobs failed" in r.getMessage() for r in caplog.records)
    assert all(MARKER not in r.getMessage() and "4155550199" not in r.getMessage() for r in caplog.records)


def test_one_failing_job_leaves_the_others_running(rt: Runtime) -> None:
    # Given a job that fails every round (here: a damaged table the expiry reads).
    with rt.db.begin() as conn:
        conn.exec_driver_sql("DROP TABLE outbox CASCADE" if not rt.settings.is_sqlite else "DROP TABLE outbox")
    # When the worker runs a round: the outbox purge fails, every other job still reports.
    report = Jobs(rt).run_once()
    assert "purged_outbox" not in report
    for job in ("purged_conversations", "purged_inbound", "purged_opt_outs", "purged_tips", "destroyed_epochs"):
        assert job in report


def test_worker_once_exits_1_naming_the_job_that_failed(cli_env: dict[str, str]) -> None:
    env = cli_env
    init(env)
    cheap = ("STAFF_KDF_TIME", "STAFF_KDF_MEMORY_KIB", "CODE_KDF_TIME", "CODE_KDF_MEMORY_KIB", "TEST_ONLY_CHEAP_KDF")
    for name in cheap:
        env.pop(f"TIPLINE_{name}")  # the worker runs with the real costs
    engine = make_engine(env["TIPLINE_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE held_message" if "sqlite" in env["TIPLINE_DATABASE_URL"]
                                 else "DROP TABLE held_message CASCADE")
    finally:
        engine.dispose()
    result = run(env, "worker", "--once", check=False)
    assert result.returncode == 1
    assert "destroyed_epochs" in result.stdout and "purged_outbox: 0" in result.stdout  # the others ran
    assert "failed: purged_held" in result.stderr and "scheduled job failed: purged_held" in result.stderr
    assert "Traceback" not in result.stderr
