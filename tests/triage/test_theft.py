"""What a thief gets with a copy of the database AND the server secrets.

Promise (README, threat model): no tip opens, no answer of a finished interview is
readable, and no stored row says which address made which tip.  The documented limit:
someone who already knows a reporter's number can, during the follow-up window, find
that number's conversation and the tip it made (not the tip's content).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from sqlalchemy import select

from storage import lookups, conversations, crypto, tips
from storage.conversation_state import StateBoxes
from storage.crypto import DecryptionFailed, ServerSecrets
from storage.purposes import Purpose
from storage.tables import Conversation, Inbound, Tip, TipEnvelope
from tests.factories import FakeClock, Reporter, service_with_clock, table_of
from tipline.runtime import Runtime

WITNESS = ["hi", "2", "1", "SECRET-ANSWER-WOMBAT at the nail salon", "4", "2", "1 2 6", "2", "2", "0", "1", "2", "2"]
SELF_REPORT = ["hi", "2", "2", "1", "2 5", "2", "1 2", "SECRET-ANSWER-PLATYPUS city", "2"]
PURPOSES = list(Purpose)  # every key the server secret derives, from the one registry


def finished(rt: Runtime, clock: FakeClock) -> None:
    service = service_with_clock(rt, clock)
    for address, script in [("+15553330001", WITNESS), ("+15553330002", SELF_REPORT)]:
        reporter = Reporter(service, address)
        for line in script:
            reporter.send(line)
        assert "reference code" in reporter.last.lower()
    reporter = Reporter(service, "+15553330003")
    for line in ["hi", "2", "1", "SECRET-ANSWER-NUMBAT behind the mall"]:
        reporter.send(line)
    reporter.send("EXIT")


def server_boxes(secrets: ServerSecrets) -> list[crypto.Box]:
    return [secrets.box(p) for p in PURPOSES]


def try_all(blob: bytes, boxes: list[crypto.Box], aads: list[bytes]) -> bytes | None:
    for box, aad in itertools.product(boxes, aads):
        try:
            return box.decrypt(blob, aad)
        except DecryptionFailed:
            continue
    return None


def test_database_and_secrets_open_no_tip_and_link_no_address(rt: Runtime) -> None:
    finished(rt, FakeClock())
    secrets = rt.secrets  # the thief has these, and every row below
    boxes = server_boxes(secrets)
    with rt.db.connect() as conn:
        convs = list(conn.execute(select(table_of(Conversation))))
        inbound_rows = list(conn.execute(select(table_of(Inbound))))
        envelopes = list(conn.execute(select(table_of(TipEnvelope))))
        tip_ids = [t.id for t in tips.list_tips(conn)]
    assert len(tip_ids) == 3 and len(convs) == 3
    readable: list[str] = []
    for conv in convs:
        assert conv.tip_id is None  # no stored column links a finished conversation to its tip
        assert try_all(conv.state, boxes, [conv.id.encode()]) is None, "no state opens with a server key"
        # The live epoch keys open them (the live server needs them), until the window ends.
        data: dict[str, Any] = StateBoxes(rt.epochs).open(conv.id, conv.state)
        assert data["answers"] == {}, "a finished interview's answers live only in the sealed tip"
        readable.append(json.dumps(data))
    for row in inbound_rows:  # stored replies need the provider's message id, which is not stored
        assert row.response is None or try_all(row.response, boxes, [row.key]) is None
    subkeys = [secrets.subkey(p) for p in PURPOSES] + [secrets.master]
    for env in envelopes:  # no server-derived key is a queue private key
        for key in subkeys:
            with pytest.raises(DecryptionFailed):
                crypto.open_sealed(env.envelope, recipient_private=key,
                                   context=f"{env.tip_id}:{env.version}:{env.queue}".encode())
    everything = "\n".join(readable)
    for tip_id in tip_ids:
        assert tip_id not in everything
    assert "SECRET-ANSWER" not in everything


def test_documented_limit_a_known_number_finds_its_tip_until_the_window_ends(rt: Runtime) -> None:
    clock = FakeClock()
    finished(rt, clock)
    service = service_with_clock(rt, clock)
    lookup = lookups.address(service.epochs, "sms", "+15553330001")
    with rt.db.begin() as conn:
        conv, _ = conversations.open_conversation(conn, boxes=service._states, lookup=lookup, channel="sms",
                                                  now=clock(), idle_seconds=60, retain_seconds=60)
        assert conv.state is not None
        linked = service.links.open(conv.state["extra"]["tip_link"], channel="sms", address="+15553330001")
        conn.rollback()
    with rt.db.connect() as conn:
        assert linked in {t.id for t in tips.list_tips(conn)}
    clock.advance(rt.settings.followup_days * 86400 + conversations.COARSE_SECONDS)
    with rt.db.begin() as conn:
        assert conversations.purge_finished(conn, now=clock()) == 3
    with rt.db.connect() as conn:
        assert list(conn.execute(select(table_of(Conversation)))) == []
        assert len(list(conn.execute(select(table_of(Tip))))) == 3  # tips stay, unlinked


def test_dead_letters_keep_no_body_or_destination(rt: Runtime) -> None:
    from storage import outbox

    service = service_with_clock(rt, FakeClock())
    reporter = Reporter(service, "5550001234", channel="telegram", inline=False)
    for line in ["hi", "2", "1", "SECRET-ANSWER-QUOLL by the docks", "DONE"]:
        reporter.send(line)
    refused = 0
    while True:  # the provider refuses each reply in turn (one per conversation is due at a time)
        with rt.db.begin() as conn:
            items = outbox.due(conn, box=service._outbox_box, now=FakeClock().now + 1, limit=500)
            for item in items:
                assert outbox.failed(conn, item_id=item.id, attempts=item.attempts, error="telegram forbidden",
                                     now=FakeClock().now, permanent=True) == "dead"
                refused += 1
        if not items:
            break
    assert refused >= 2, "replies waited in the outbox for the sender"
    with rt.db.connect() as conn:
        rows = list(conn.execute(select(outbox._T)))
    assert rows and all(r.status == "dead" and r.body == b"" and r.destination == b"" for r in rows)
