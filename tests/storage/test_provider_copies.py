"""Provider copies to delete: sealed, leased, retried with back-off, given up with a warning, counted."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from storage import provider_copies
from storage.crypto import ServerSecrets
from storage.epochs import HOUR, EpochKeys, schedules
from storage.purposes import Purpose
from storage.tables import ProviderDeletion
from tests.storage.conftest import EPOCHS_START, Clock

NOW = EPOCHS_START
SID = "SM" + "ab" * 16


def test_queued_copies_are_sealed_and_due_after_the_first_delay(
    engine: Engine, server_secrets: ServerSecrets, epochs: EpochKeys,
) -> None:
    box = provider_copies.box(epochs, server_secrets)
    with engine.begin() as conn:
        provider_copies.queue(conn, box=box, channel="sms", sid=SID, now=NOW)
        assert provider_copies.pending(conn) == 1
        assert provider_copies.take(conn, box=box, now=NOW) == []  # Twilio gets a moment first
        [due] = provider_copies.take(conn, box=box, now=NOW + provider_copies.FIRST_DELAY)
        assert due.sid == SID and due.channel == "sms" and due.attempts == 0 and SID not in repr(due)
        stored = conn.execute(select(ProviderDeletion.__table__.c.ref)).scalar_one()  # type: ignore[attr-defined]
    assert SID.encode() not in bytes(stored)


def test_a_taken_copy_is_leased_then_done(engine: Engine, server_secrets: ServerSecrets, epochs: EpochKeys) -> None:
    box = provider_copies.box(epochs, server_secrets)
    later = NOW + provider_copies.FIRST_DELAY
    with engine.begin() as conn:
        provider_copies.queue(conn, box=box, channel="sms", sid=SID, now=NOW)
        [due] = provider_copies.take(conn, box=box, now=later)
        assert provider_copies.take(conn, box=box, now=later + 1) == []  # leased to the first taker
        assert len(provider_copies.take(conn, box=box, now=later + provider_copies.LEASE)) == 1  # lease ran out
        provider_copies.done(conn, item_id=due.id)
        assert provider_copies.pending(conn) == 0


def test_retries_back_off_then_give_up_with_a_warning(engine: Engine, server_secrets: ServerSecrets,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    box = server_secrets.box(Purpose.PROVIDER_COPIES)  # the retry schedule alone (no clock to move)
    now = NOW
    with engine.begin() as conn:
        provider_copies.queue(conn, box=box, channel="whatsapp", sid=SID, now=now, delay=0)
        for attempt in range(1, provider_copies.MAX_ATTEMPTS):
            [due] = provider_copies.take(conn, box=box, now=now)
            assert provider_copies.retry(conn, item_id=due.id, attempts=due.attempts, now=now)
            [row] = conn.execute(select(ProviderDeletion.__table__)).all()  # type: ignore[attr-defined]
            assert row.attempts == attempt
            ceiling = min(provider_copies.MAX_DELAY, provider_copies.FIRST_DELAY * 2 ** attempt)
            assert now <= row.next_attempt_at <= now + ceiling
            now += provider_copies.MAX_DELAY
        assert "provider copy not deleted" not in caplog.text
        [due] = provider_copies.take(conn, box=box, now=now)
        assert not provider_copies.retry(conn, item_id=due.id, attempts=due.attempts, now=now)
        assert provider_copies.pending(conn) == 0
    assert "provider copy not deleted after retries" in caplog.text


def test_the_key_window_outlasts_every_retry() -> None:
    window = schedules(idle_minutes=60, followup_days=7)[Purpose.PROVIDER_COPIES]
    assert window.keep * window.epoch_seconds >= provider_copies.retry_span() + HOUR  # an hour's grace


def test_an_id_past_its_window_is_dropped_with_a_warning_and_ids_from_before_the_upgrade_still_read(
    engine: Engine, server_secrets: ServerSecrets, epochs: EpochKeys, epoch_clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    box = provider_copies.box(epochs, server_secrets)
    old_sid = "SM" + "cd" * 16
    with engine.begin() as conn:
        provider_copies.queue(conn, box=box, channel="sms", sid=SID, now=NOW)
        # Queued before the upgrade, under the server key: still read, for deleting only.
        provider_copies.queue(conn, box=server_secrets.box(Purpose.PROVIDER_COPIES), channel="sms", sid=old_sid,
                              now=NOW)
    schedule = epochs.ratchet(Purpose.PROVIDER_COPIES).schedule
    epoch_clock.now += (schedule.keep + 1) * schedule.epoch_seconds  # a worker down for more than a day
    with engine.begin() as conn:
        [due] = provider_copies.take(conn, box=box, now=epoch_clock.now)
        assert due.sid == old_sid
        assert provider_copies.pending(conn) == 1  # the expired one is gone, the old one leased
    assert "provider copy not deleted: its id is past its window" in caplog.text
