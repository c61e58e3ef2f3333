"""Telegram message ids kept (sealed) for EXIT's deletion, only while the Bot API can still delete them."""

from __future__ import annotations

from sqlalchemy import Engine, select

from storage import chatlog, outbox
from storage.crypto import ServerSecrets
from storage.epochs import HOUR, EpochKeys, schedules
from storage.purposes import Purpose
from storage.tables import ChatMessage
from tests.factories import table_of
from tests.storage.conftest import Clock

NOW = 1_795_000_000.0
WINDOW = chatlog.DELETABLE_SECONDS


def test_deletable_lists_a_conversations_ids_oldest_first(engine: Engine, server_secrets: ServerSecrets) -> None:
    box = server_secrets.box(Purpose.OUTBOX)
    with engine.begin() as conn:
        for i, ref in enumerate(["101", "102", "103"]):
            chatlog.record(conn, box=box, conversation_id="conv-a", message_id=ref, now=NOW + i)
        chatlog.record(conn, box=box, conversation_id="conv-b", message_id="900", now=NOW)
    with engine.connect() as conn:
        assert chatlog.deletable(conn, box=box, conversation_id="conv-a", now=NOW + 10) == ["101", "102", "103"]
        assert chatlog.deletable(conn, box=box, conversation_id="conv-b", now=NOW + 10) == ["900"]
        refs = conn.execute(select(table_of(ChatMessage).c.ref)).scalars().all()
    assert refs and all(b"101" not in bytes(r) and b"900" not in bytes(r) for r in refs)  # sealed at rest


def test_ids_past_the_deletion_window_are_not_offered_and_are_purged(
    engine: Engine, server_secrets: ServerSecrets
) -> None:
    box = server_secrets.box(Purpose.OUTBOX)
    with engine.begin() as conn:
        chatlog.record(conn, box=box, conversation_id="conv", message_id="1", now=NOW)
        chatlog.record(conn, box=box, conversation_id="conv", message_id="2", now=NOW + 3600)
    later = NOW + WINDOW + 600 + 1  # rows keep their times rounded up to ten minutes
    with engine.begin() as conn:
        assert chatlog.deletable(conn, box=box, conversation_id="conv", now=later) == ["2"]
        assert chatlog.purge(conn, now=later) == 1
        assert chatlog.purge(conn, now=later) == 0
    with engine.connect() as conn:
        assert chatlog.deletable(conn, box=box, conversation_id="conv", now=NOW + 3600) == ["2"]


def test_forget_drops_one_conversations_ids_only(engine: Engine, server_secrets: ServerSecrets) -> None:
    box = server_secrets.box(Purpose.OUTBOX)
    with engine.begin() as conn:
        chatlog.record(conn, box=box, conversation_id="gone", message_id="7", now=NOW)
        chatlog.record(conn, box=box, conversation_id="kept", message_id="8", now=NOW)
        chatlog.forget(conn, conversation_id="gone")
    with engine.connect() as conn:
        assert chatlog.deletable(conn, box=box, conversation_id="gone", now=NOW) == []
        assert chatlog.deletable(conn, box=box, conversation_id="kept", now=NOW) == ["8"]


def test_ids_are_sealed_under_the_outbox_epochs_for_the_whole_deletion_window(
    engine: Engine, server_secrets: ServerSecrets, epochs: EpochKeys, epoch_clock: Clock,
) -> None:
    box = outbox.box(epochs, server_secrets)
    start = epoch_clock.now
    with engine.begin() as conn:
        chatlog.record(conn, box=box, conversation_id="conv", message_id="31", now=start)
        # One recorded before the upgrade, under the server key: still read.
        chatlog.record(conn, box=server_secrets.box(Purpose.OUTBOX), conversation_id="conv", message_id="30",
                       now=start)
    epoch_clock.now = start + WINDOW - 1  # the Bot API could still delete it: its key must still live
    with engine.begin() as conn:
        assert sorted(chatlog.deletable(conn, box=box, conversation_id="conv", now=epoch_clock.now)) == ["30", "31"]
    window = epochs.ratchet(Purpose.OUTBOX).schedule
    epoch_clock.now = start + (window.keep + 1) * window.epoch_seconds
    with engine.begin() as conn:  # past the window (and the Bot API's 48 hours): skipped, never a crash
        assert chatlog.deletable(conn, box=box, conversation_id="conv", now=start + WINDOW - 1) == ["30"]


def test_the_outbox_window_covers_the_deletion_window_and_every_retry() -> None:
    window = schedules(idle_minutes=60, followup_days=7)[Purpose.OUTBOX]
    lives = window.keep * window.epoch_seconds
    assert lives >= chatlog.DELETABLE_SECONDS + HOUR  # EXIT can delete what the Bot API still can
    retries = sum(min(outbox.MAX_DELAY, outbox.BASE_DELAY * 2 ** a) for a in range(1, outbox.MAX_ATTEMPTS))
    assert lives > retries  # a failing reply is dead (with a reason) long before its body's key goes
