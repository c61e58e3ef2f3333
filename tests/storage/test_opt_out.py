"""One home for a carrier opt-out: the row is recorded and, given a conversation, its queue cancelled."""

from __future__ import annotations

from sqlalchemy import Engine

from storage import conversations, outbox
from storage.crypto import ServerSecrets
from storage.purposes import Purpose

NOW = 1_700_000_000.0


def test_record_opt_out_marks_the_address_and_cancels_only_that_queue(engine: Engine,
                                                                       server_secrets: ServerSecrets) -> None:
    box = server_secrets.box(Purpose.OUTBOX)
    lookup = conversations.lookup_key(server_secrets, "sms", "+14155550160")
    with engine.begin() as conn:
        for conv in ("c-out", "c-other"):
            outbox.enqueue(conn, box=box, conversation_id=conv, channel="sms", destination=b"d",
                           address_period="p", messages=[{"text": "a"}, {"text": "b"}], now=NOW)
        conversations.record_opt_out(conn, lookup=lookup, now=NOW)  # a status callback knows no conversation
        assert conversations.is_opted_out(conn, lookup)
        assert len(outbox.list_items(conn)) == 4
        conversations.record_opt_out(conn, lookup=lookup, now=NOW + 1, conversation_id="c-out")  # again: one row
        assert {i.conversation_id for i in outbox.list_items(conn)} == {"c-other"}
        conversations.set_opt_out(conn, lookup=lookup, opted_out=False, now=NOW + 2)  # START
        assert not conversations.is_opted_out(conn, lookup)
