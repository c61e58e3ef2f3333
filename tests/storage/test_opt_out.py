"""Carrier opt-outs: recorded once, by keyed hash, cancelling what was still queued."""

from __future__ import annotations

from sqlalchemy import Engine

from storage import conversations, outbox
from storage.crypto import ServerSecrets
from storage.purposes import Purpose

NOW = 1_795_000_000.0


def test_record_opt_out_marks_the_address_and_cancels_its_pending_replies(
    engine: Engine, server_secrets: ServerSecrets
) -> None:
    lookup = conversations.lookup_key(server_secrets, "sms", "+15550001")
    box = server_secrets.box(Purpose.OUTBOX)
    with engine.begin() as conn:
        for conv in ("stopped", "other"):
            outbox.enqueue(conn, box=box, conversation_id=conv, channel="sms", destination=b"d", address_period=None,
                           messages=[{"text": "next question"}], now=NOW)
        conversations.record_opt_out(conn, lookup=lookup, now=NOW, conversation_id="stopped")
        conversations.record_opt_out(conn, lookup=lookup, now=NOW + 1)  # again, with no conversation: one row
    with engine.begin() as conn:
        assert conversations.is_opted_out(conn, lookup)
        assert [i.conversation_id for i in outbox.due(conn, box=box, now=NOW + 5)] == ["other"]
        conversations.set_opt_out(conn, lookup=lookup, opted_out=False, now=NOW + 2)
        assert not conversations.is_opted_out(conn, lookup)
