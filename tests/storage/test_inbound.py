"""Provider message ids: a redelivery is recognised under any open epoch, answered with the same
(sealed) replies while Twilio could still retry, and the replies go as soon as they are delivered."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from storage import inbound
from storage.epochs import DAY, HOUR, EpochKeys
from storage.tables import Inbound
from tests.factories import table_of
from tests.storage.conftest import Clock

REPLIES = [{"text": "Thank you. Is anyone in danger right now? 1 Yes 2 No"}, {"text": "Your code: 7KQ2-M9XD-4TRW5"}]


def _stored(conn: object, keys: EpochKeys, pid: str, channel: str = "sms") -> list[dict[str, object]]:
    _, replies = inbound.stored_response(conn, keys=keys, channel=channel, provider_id=pid,  # type: ignore[arg-type]
                                         lookups=inbound.inbound_keys(keys, channel, pid))
    return replies


def test_the_id_hash_is_keyed_per_channel_and_per_epoch(epochs: EpochKeys, epoch_clock: Clock) -> None:
    [key] = inbound.inbound_keys(epochs, "sms", "SM123")[:1]
    assert key == inbound.inbound_keys(epochs, "sms", "SM123")[0]
    assert key != inbound.inbound_keys(epochs, "telegram", "SM123")[0]
    assert b"SM123" not in key
    epoch_clock.now += DAY
    later = inbound.inbound_keys(epochs, "sms", "SM123")
    assert later[0] != key and key in later  # a new day writes a new hash; yesterday's is still tried


def test_a_redelivery_is_refused_under_any_open_epoch_and_not_after(
    engine: Engine, epochs: EpochKeys, epoch_clock: Clock,
) -> None:
    now = epoch_clock.now
    with engine.begin() as conn:
        assert inbound.claim(conn, keys=inbound.inbound_keys(epochs, "telegram", "731"), now=now)
    epoch_clock.now += DAY  # past midnight: the hash under which it was claimed is an older epoch's
    with engine.begin() as conn:
        assert not inbound.claim(conn, keys=inbound.inbound_keys(epochs, "telegram", "731"), now=now + DAY)
        assert _stored(conn, epochs, "731", "telegram") == []  # acknowledged, no reply kept
        assert inbound.claim(conn, keys=inbound.inbound_keys(epochs, "telegram", "732"), now=now + DAY)


def test_stored_replies_open_only_with_the_provider_id_and_only_within_their_hour(
    engine: Engine, epochs: EpochKeys, epoch_clock: Clock,
) -> None:
    lookups = inbound.inbound_keys(epochs, "sms", "SM2")
    sealed = inbound.seal_response(epochs, "sms", "SM2", lookups[0], REPLIES)
    with engine.begin() as conn:
        assert inbound.claim(conn, keys=lookups, now=epoch_clock.now, response=sealed)
    with engine.begin() as conn:
        # The loser of a race (or a redelivery) learns it and stores nothing of its own.
        other = inbound.seal_response(epochs, "sms", "SM2", lookups[0], [{"text": "other"}])
        assert not inbound.claim(conn, keys=lookups, now=epoch_clock.now, response=other)
        key, replies = inbound.stored_response(conn, keys=epochs, channel="sms", provider_id="SM2",
                                               lookups=lookups)
        assert key == lookups[0] and replies == REPLIES
        # Another id's key does not open them, even pointed at this row.
        assert inbound.stored_response(conn, keys=epochs, channel="sms", provider_id="SM3",
                                       lookups=lookups) == (None, [])
        [stored] = conn.execute(select(table_of(Inbound).c.response)).scalars().all()
    assert b"7KQ2" not in bytes(stored) and b"danger" not in bytes(stored)
    epoch_clock.now += 2 * HOUR + 1  # the hour's key has died: the row is still there, closed for good
    with engine.begin() as conn:
        assert not inbound.claim(conn, keys=inbound.inbound_keys(epochs, "sms", "SM2"), now=epoch_clock.now)
        assert _stored(conn, epochs, "SM2") == []


def test_delivered_replies_are_forgotten_and_the_job_clears_what_is_left(
    engine: Engine, epochs: EpochKeys, epoch_clock: Clock,
) -> None:
    now = epoch_clock.now
    for pid in ("SMa", "SMb", "SMc"):
        lookups = inbound.inbound_keys(epochs, "sms", pid)
        with engine.begin() as conn:
            inbound.claim(conn, keys=lookups, now=now, response=inbound.seal_response(
                epochs, "sms", pid, lookups[0], REPLIES))
        now += inbound.REPLY_RETENTION / 2
    with engine.begin() as conn:
        assert inbound.forget_response(conn, key=inbound.inbound_keys(epochs, "sms", "SMa")[0]) == 1
        assert _stored(conn, epochs, "SMa") == [] and _stored(conn, epochs, "SMb") == REPLIES
        assert inbound.clear_responses(conn, before=now - inbound.REPLY_RETENTION + 1) == 1  # SMb only
        assert _stored(conn, epochs, "SMb") == [] and _stored(conn, epochs, "SMc") == REPLIES
        # The ids stay: a late redelivery is still recognised.
        assert not inbound.claim(conn, keys=inbound.inbound_keys(epochs, "sms", "SMa"), now=now)


def test_purge_forgets_ids_received_before_the_cutoff_only(engine: Engine, epochs: EpochKeys) -> None:
    old, new = inbound.inbound_keys(epochs, "sms", "SMold"), inbound.inbound_keys(epochs, "sms", "SMnew")
    now = epochs.clock()
    with engine.begin() as conn:
        inbound.claim(conn, keys=old, now=now)
        inbound.claim(conn, keys=new, now=now + 100)
    with engine.begin() as conn:
        assert inbound.purge(conn, before=now + 50) == 1
    with engine.begin() as conn:
        assert inbound.claim(conn, keys=old, now=now + 200)  # forgotten: it would be handled anew
        assert not inbound.claim(conn, keys=new, now=now + 200)
        assert inbound.purge(conn, before=now) == 0


@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_a_claim_without_replies_keeps_none(engine: Engine, epochs: EpochKeys, channel: str) -> None:
    with engine.begin() as conn:
        assert inbound.claim(conn, keys=inbound.inbound_keys(epochs, channel, "9"), now=epochs.clock())
        assert conn.execute(select(table_of(Inbound).c.response)).scalar_one() is None
