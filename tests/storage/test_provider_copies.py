"""Provider copies to delete: sealed, leased, retried with back-off, given up with a warning, counted."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from storage import provider_copies
from storage.crypto import ServerSecrets
from storage.tables import ProviderDeletion

NOW = 1_700_000_000.0
SID = "SM" + "ab" * 16


def test_queued_copies_are_sealed_and_due_after_the_first_delay(engine: Engine, server_secrets: ServerSecrets) -> None:
    box = provider_copies.box(server_secrets)
    with engine.begin() as conn:
        provider_copies.queue(conn, box=box, channel="sms", sid=SID, now=NOW)
        assert provider_copies.pending(conn) == 1
        assert provider_copies.take(conn, box=box, now=NOW) == []  # Twilio gets a moment first
        [due] = provider_copies.take(conn, box=box, now=NOW + provider_copies.FIRST_DELAY)
        assert due.sid == SID and due.channel == "sms" and due.attempts == 0 and SID not in repr(due)
        stored = conn.execute(select(ProviderDeletion.__table__.c.ref)).scalar_one()  # type: ignore[attr-defined]
    assert SID.encode() not in bytes(stored)


def test_a_taken_copy_is_leased_then_done(engine: Engine, server_secrets: ServerSecrets) -> None:
    box = provider_copies.box(server_secrets)
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
    box = provider_copies.box(server_secrets)
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
