"""Conversation rows under the epoch keys: found by any open lookup epoch, re-keyed on save,
states opening only inside their window, coarse times."""

from __future__ import annotations

from sqlalchemy import Engine, select

from storage import conversations, lookups
from storage.conversation_state import StateBoxes
from storage.conversations import COARSE_SECONDS, RowStatus
from storage.crypto import Box, ServerSecrets
from storage.epochs import EpochKeys
from storage.purposes import Purpose
from storage.tables import Conversation
from tests.factories import table_of
from tests.storage.conftest import Clock

DAY = 86400.0
IDLE, RETAIN = 3600, 7 * 86400


def _create(engine: Engine, epochs: EpochKeys, address: str, state: dict[str, object], *, resting: bool,
            status: RowStatus = RowStatus.FINISHED) -> str:
    conv_id = conversations.new_id()
    with engine.begin() as conn:
        assert conversations.create_with_state(
            conn, conv_id=conv_id, lookup=lookups.address(epochs, "sms", address), channel="sms",
            sealed_state=StateBoxes(epochs).seal(conv_id, state, resting=resting), status=status,
            tip_id=None, now=epochs.clock(), idle_seconds=IDLE, retain_seconds=RETAIN)
    return conv_id


def test_a_row_is_found_by_an_older_open_epoch_and_re_keyed_by_a_save(
    engine: Engine, epochs: EpochKeys, epoch_clock: Clock
) -> None:
    conv_id = _create(engine, epochs, "+15550001", {"locale": "en"}, resting=True)
    epoch_clock.now += 3 * DAY
    boxes, lookup = StateBoxes(epochs), lookups.address(epochs, "sms", "+15550001")
    with engine.begin() as conn:
        conv = conversations.find(conn, boxes=boxes, lookup=lookup)
        assert conv is not None and conv.id == conv_id and conv.state == {"locale": "en"}
        assert conversations.find(conn, boxes=boxes, lookup=lookups.address(epochs, "sms", "+15550002")) is None
        conversations.save_conversation(
            conn, conv=conv, lookup=lookup, status=RowStatus.FINISHED, now=epoch_clock.now, idle_seconds=IDLE,
            retain_seconds=RETAIN, sealed_state=boxes.seal(conv_id, {"locale": "fr"}, resting=True))
        row = conn.execute(select(table_of(Conversation))).one()
    assert bytes(row.lookup) == lookup.current
    assert row.updated_at % COARSE_SECONDS == 0 and row.updated_at <= epoch_clock.now
    assert row.expires_at >= epoch_clock.now + IDLE and row.purge_at >= epoch_clock.now + RETAIN


def test_a_state_whose_epoch_is_gone_reads_as_lost_not_as_an_error(
    engine: Engine, epochs: EpochKeys, epoch_clock: Clock
) -> None:
    _create(engine, epochs, "+15550003", {"locale": "en", "answers": {"B1": "x"}}, resting=False,
            status=RowStatus.ACTIVE)
    old = lookups.address(epochs, "sms", "+15550003")
    epoch_clock.now += 6 * 3600  # the idle hour and its three hours of grace are over
    epochs.advance()
    with engine.begin() as conn:
        conv = conversations.find(conn, boxes=StateBoxes(epochs), lookup=lookups.address(epochs, "sms", "+15550003"))
        assert conv is not None and conv.lost and conv.state is None
        [idle] = conversations.lock_idle(conn, boxes=StateBoxes(epochs), now=epoch_clock.now + RETAIN)
        assert idle.lost
    epoch_clock.now += 9 * DAY
    epochs.advance()
    with engine.begin() as conn:  # the lookup of that day is gone too: the number finds nothing
        assert conversations.find(conn, boxes=StateBoxes(epochs), lookup=lookups.address(epochs, "sms", "+15550003")) \
            is None
        assert set(old.tried).isdisjoint(lookups.address(epochs, "sms", "+15550003").tried)


def test_a_state_from_before_the_epoch_keys_still_opens_during_the_transition(
    engine: Engine, epochs: EpochKeys, server_secrets: ServerSecrets
) -> None:
    legacy: Box = server_secrets.box(Purpose.CONVERSATION_STATE)
    conv_id = conversations.new_id()
    blob = legacy.encrypt(b'{"locale":"de"}', conv_id.encode())
    assert StateBoxes(epochs, legacy=legacy).open(conv_id, blob) == {"locale": "de"}
    sealed = StateBoxes(epochs, legacy=legacy).seal(conv_id, {"locale": "de"}, resting=False)
    assert sealed[0] == 0x02  # new writes never use the server key
