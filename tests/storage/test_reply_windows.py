"""Reply windows: opened by an inbound message, open for 24 hours, releasing held replies, purged after."""

from __future__ import annotations

from sqlalchemy import Engine

from storage import outbox, reply_windows
from storage.crypto import ServerSecrets
from storage.purposes import Purpose

NOW = 1_700_000_000.0
W = reply_windows.WINDOW_SECONDS


def test_a_window_is_open_for_its_length_after_the_last_message(engine: Engine) -> None:
    with engine.begin() as conn:
        assert not reply_windows.is_open(conn, conversation_id="c1", now=NOW)
        reply_windows.open(conn, conversation_id="c1", now=NOW)
        assert reply_windows.is_open(conn, conversation_id="c1", now=NOW + W - 1)
        assert not reply_windows.is_open(conn, conversation_id="c1", now=NOW + W + 1)
        reply_windows.open(conn, conversation_id="c1", now=NOW + W)  # the reporter wrote again
        assert reply_windows.is_open(conn, conversation_id="c1", now=NOW + W + 1)
        assert not reply_windows.is_open(conn, conversation_id="c2", now=NOW + W + 1)


def test_purge_forgets_closed_windows_only(engine: Engine) -> None:
    with engine.begin() as conn:
        reply_windows.open(conn, conversation_id="old", now=NOW)
        reply_windows.open(conn, conversation_id="new", now=NOW + W)
        assert reply_windows.purge(conn, now=NOW + W + 10) == 1
        assert reply_windows.is_open(conn, conversation_id="new", now=NOW + W + 10)
        assert reply_windows.purge(conn, now=NOW + W + 10) == 0


def test_opening_releases_the_replies_held_for_the_window(engine: Engine, server_secrets: ServerSecrets) -> None:
    box = server_secrets.box(Purpose.OUTBOX)
    with engine.begin() as conn:
        [held] = outbox.enqueue(conn, box=box, conversation_id="c3", channel="whatsapp", destination=b"d",
                                address_period="p", messages=[{"text": "x"}], now=NOW)
        outbox.hold(conn, item_id=held, until=NOW + 3600)
        assert outbox.due(conn, box=box, now=NOW + 10) == []
        reply_windows.open(conn, conversation_id="c3", now=NOW + 20)
        [item] = outbox.due(conn, box=box, now=NOW + 20)
        assert item.id == held and item.attempts == 0
