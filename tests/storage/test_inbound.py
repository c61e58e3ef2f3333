"""Provider message ids: a redelivery is recognised, answered with the same (sealed) replies, then forgotten."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from sqlalchemy import Engine, select

from storage import inbound
from storage.crypto import Box, DecryptionFailed, ServerSecrets
from storage.tables import Inbound
from tests.factories import table_of

NOW = 1_795_000_000.0
REPLIES = [{"text": "Thank you. Is anyone in danger right now? 1 Yes 2 No"}, {"text": "Your code: 7KQ2-M9XD-4TRW5"}]


def reply_box(provider_id: str) -> Box:
    """A box only this provider id opens (the intake service derives its own the same way)."""
    return Box(hmac.new(b"k" * 32, provider_id.encode(), hashlib.sha256).digest())


def test_inbound_key_is_keyed_and_per_channel(server_secrets: ServerSecrets) -> None:
    key = inbound.inbound_key(server_secrets, "sms", "SM123")
    assert key == inbound.inbound_key(server_secrets, "sms", "SM123")
    assert key != inbound.inbound_key(server_secrets, "telegram", "SM123")
    assert key != inbound.inbound_key(ServerSecrets(b"\x01" * 32), "sms", "SM123")
    assert b"SM123" not in key


def test_claim_first_delivery_then_redelivery_is_refused(engine: Engine, server_secrets: ServerSecrets) -> None:
    key = inbound.inbound_key(server_secrets, "sms", "SM1")
    with engine.begin() as conn:
        assert inbound.claim(conn, key=key, now=NOW)
    with engine.begin() as conn:
        assert not inbound.claim(conn, key=key, now=NOW + 5)
        # A claim with no replies stored (the message was answered with silence) replays as silence.
        assert inbound.stored_response(conn, box=reply_box("SM1"), key=key) == []


def test_redelivery_gets_the_stored_replies_sealed_to_the_provider_id(
    engine: Engine, server_secrets: ServerSecrets
) -> None:
    key = inbound.inbound_key(server_secrets, "sms", "SM2")
    with engine.begin() as conn:
        assert inbound.claim(conn, key=key, now=NOW)
        inbound.store_response(conn, box=reply_box("SM2"), key=key, replies=REPLIES)
    with engine.begin() as conn:
        assert not inbound.claim(conn, key=key, now=NOW + 1)
        assert inbound.stored_response(conn, box=reply_box("SM2"), key=key) == REPLIES
        with pytest.raises(DecryptionFailed):  # the server key alone does not open them
            inbound.stored_response(conn, box=reply_box("SM-other"), key=key)
        [stored] = conn.execute(select(table_of(Inbound).c.response)).scalars().all()
    assert b"7KQ2" not in bytes(stored) and b"danger" not in bytes(stored)


def test_claim_with_response_stores_replies_computed_before_the_lock(
    engine: Engine, server_secrets: ServerSecrets
) -> None:
    key = inbound.inbound_key(server_secrets, "telegram", "42")
    sealed = inbound.seal_response(reply_box("42"), key, REPLIES)
    with engine.begin() as conn:
        assert inbound.claim_with_response(conn, key=key, now=NOW, response=sealed)
    with engine.begin() as conn:
        # The loser of a race (or a redelivery) learns it and stores nothing of its own.
        assert not inbound.claim_with_response(conn, key=key, now=NOW, response=inbound.seal_response(
            reply_box("42"), key, [{"text": "other"}]))
        assert not inbound.claim(conn, key=key, now=NOW)
        assert inbound.stored_response(conn, box=reply_box("42"), key=key) == REPLIES


def test_purge_forgets_ids_received_before_the_cutoff_only(engine: Engine, server_secrets: ServerSecrets) -> None:
    old = inbound.inbound_key(server_secrets, "sms", "SMold")
    new = inbound.inbound_key(server_secrets, "sms", "SMnew")
    with engine.begin() as conn:
        inbound.claim(conn, key=old, now=NOW)
        inbound.claim(conn, key=new, now=NOW + 100)
    with engine.begin() as conn:
        assert inbound.purge(conn, before=NOW + 50) == 1
    with engine.begin() as conn:
        assert inbound.claim(conn, key=old, now=NOW + 200)  # forgotten: it would be handled anew
        assert not inbound.claim(conn, key=new, now=NOW + 200)
        assert inbound.purge(conn, before=NOW) == 0
