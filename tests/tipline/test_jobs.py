"""A round of scheduled jobs (``tipline worker``): expiry seals, windows end, keys are destroyed."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from storage import outbox, periods, refcodes, tips
from storage.db import WAL_SIZE_LIMIT, truncate_wal
from tests.factories import FakeClock, Reporter, epochs_on, service_with_clock
from tipline.jobs import Jobs
from tipline.runtime import Runtime

DAY = 86400.0


def test_a_round_of_jobs_seals_idle_interviews_then_forgets_when_the_window_ends(rt: Runtime) -> None:
    # Given a Telegram interview left quiet three hours ago (its replies queued for the sender,
    # its chat id sealed under that day's ADDRESS epoch key) and a wrong code sent by SMS then.
    earlier = FakeClock(time.time() - 3 * 3600)
    service = service_with_clock(rt, earlier)
    witness = Reporter(service, "5550001234", channel="telegram", inline=False)
    for line in ["hi", "2", "1", "Workers sleep in the warehouse"]:
        witness.send(line)
    Reporter(service, "+15550009999").send(refcodes.display(refcodes.new_code()))
    with rt.db.connect() as conn:
        [queued, *_] = outbox.due(conn, box=outbox.box(epochs_on(rt, earlier), rt.secrets), now=earlier.now + 1)

    # When the worker runs now: both quiet conversations expire (one tip: the code sender gave
    # nothing), the wrong-code counters' hour is over, nothing is yet past the follow-up window.
    first = Jobs(rt).run_once()
    first.pop("destroyed_epochs")  # the test install's chains start back in time: those hours go now
    # The code sender's reply (kept for a Twilio redelivery) is past that window: cleared.
    assert first == {"expired": 2, "purged_conversations": 0, "purged_inbound": 0, "cleared_replies": 1,
                     "destroyed_period_keys": 0, "purged_outbox": 0, "pruned_throttles": 2, "purged_opt_outs": 0,
                     "purged_chat_log": 0, "purged_questions": 0, "spool_fed": 0,
                     "purged_held": 0, "purged_tips": 0}
    with rt.db.connect() as conn:
        [tip] = tips.list_tips(conn)
        assert (tip.status, tip.reason) == ("incomplete", "expiry")
        assert periods.open_address(conn, secrets=rt.secrets, epochs=rt.epochs, blob=queued.destination,
                                    period=queued.address_period or "") == "5550001234"

    # When it runs again once the follow-up window (counted from the end of the address's
    # day, a day at most) is over: everything that could link back is gone, keys included.
    later = Jobs(rt, clock=FakeClock(time.time() + (rt.settings.followup_days + 2) * DAY)).run_once()
    assert later["expired"] == 0
    assert later["purged_conversations"] == 2  # the witness's and the code sender's
    assert later["purged_inbound"] == 5  # every provider id
    assert later["destroyed_epochs"] >= 1
    assert later["purged_outbox"] >= 1
    assert later["pruned_throttles"] == 0
    with rt.db.connect() as conn:
        # Even a process whose clock still says "three hours ago" finds the day's key gone from the folder.
        behind = rt.epochs_on(lambda: earlier.now)
        assert periods.open_address(conn, secrets=rt.secrets, epochs=behind, blob=queued.destination,
                                    period=queued.address_period or "") is None
        assert [t.id for t in tips.list_tips(conn)] == [tip.id]  # the sealed tip stays


def test_a_round_with_nothing_to_do_reports_zeros(rt: Runtime) -> None:
    Jobs(rt).run_once()  # the test install's chains start a day back: the first round moves them
    report = Jobs(rt).run_once()
    assert set(report) == {"expired", "purged_conversations", "purged_inbound", "cleared_replies",
                           "destroyed_period_keys", "purged_outbox", "pruned_throttles", "purged_opt_outs",
                           "purged_chat_log", "purged_questions", "destroyed_epochs", "spool_fed",
                           "purged_held", "purged_tips"}
    assert not any(report.values())


def test_after_a_round_an_idle_lines_wal_is_empty(rt: Runtime) -> None:
    # Given interviews whose writes (and the old versions they replaced) sit in SQLite's WAL.
    service = service_with_clock(rt, FakeClock())
    for n in range(3):
        reporter = Reporter(service, f"+1555020{n:04d}")
        for line in ["hi", "2", "1", "Workers sleep in the warehouse", "EXIT"]:
            reporter.send(line)
    database = rt.db.url.database
    if rt.db.dialect.name != "sqlite" or not database:  # PostgreSQL: the server's WAL (README), a no-op here
        assert truncate_wal(rt.db)
        return
    wal = Path(database + "-wal")
    with rt.db.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_size_limit").scalar() == WAL_SIZE_LIMIT
        conn.rollback()
    assert wal.stat().st_size > 0
    # When the worker runs a round with no one writing: the WAL is checkpointed and truncated.
    Jobs(rt).run_once()
    assert wal.stat().st_size == 0


def test_queued_sms_replies_without_twilio_settings_are_said_once_and_wait(rt: Runtime,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    # Given SMS replies queued on a line whose worker has no Twilio settings (this install has none).
    Reporter(rt.intake, "+15550004321", inline=False).send("hi")
    with rt.db.connect() as conn:
        queued = outbox.pending_by_channel(conn)
    assert queued.get("sms", 0) >= 1
    # When the worker runs its rounds: one WARNING naming the settings and what becomes of the replies.
    caplog.set_level(logging.WARNING, logger="tipline.unsendable")
    jobs = Jobs(rt)
    jobs.run_once()
    jobs.run_once()
    said = [r for r in caplog.records if r.name == "tipline.unsendable"]
    assert len(said) == 1 and said[0].levelname == "WARNING"
    message = said[0].getMessage()
    assert f"{queued['sms']} sms replies are queued but this process cannot send them" in message
    assert "TIPLINE_TWILIO_ACCOUNT_SID, TIPLINE_TWILIO_AUTH_TOKEN, TIPLINE_TWILIO_FROM not set" in message
    assert "wait in the outbox" in message and f"({rt.settings.followup_days} days) they are deleted" in message
    # Then they wait, neither sent nor dead, for a worker that has the settings.
    with rt.db.connect() as conn:
        assert outbox.pending_by_channel(conn) == queued
        assert not outbox.list_items(conn, status="dead")


def test_only_the_missing_settings_are_named_and_a_configured_line_stays_quiet(rt: Runtime) -> None:
    from tipline.unsendable import missing_settings

    assert missing_settings(rt.settings)["sms"] == ("TIPLINE_TWILIO_ACCOUNT_SID", "TIPLINE_TWILIO_AUTH_TOKEN",
                                                    "TIPLINE_TWILIO_FROM")
    no_number = rt.settings.with_(twilio_account_sid="AC" + "0" * 32, twilio_auth_token="t" * 32)
    assert missing_settings(no_number)["sms"] == ("TIPLINE_TWILIO_FROM",)  # webhooks answered, replies never sent
    full = no_number.with_(twilio_from="+12025550100", telegram_bot_token="1:" + "a" * 30)
    assert missing_settings(full) == {}
