"""One home for a carrier opt-out: the row is recorded and, given a conversation, its queue cancelled."""

from __future__ import annotations

from sqlalchemy import Engine, select

from storage import lookups, opt_outs, outbox
from storage.crypto import ServerSecrets
from storage.epochs import EpochKeys
from storage.purposes import Purpose
from storage.tables import OptOut
from tests.factories import table_of
from tests.storage.conftest import Clock

DAY = 86400.0

NOW = 1_700_000_000.0


def test_record_opt_out_marks_the_address_and_cancels_only_that_queue(
    engine: Engine, server_secrets: ServerSecrets, epochs: EpochKeys,
) -> None:
    box = server_secrets.box(Purpose.OUTBOX)
    lookup = lookups.address(epochs, "sms", "+14155550160")
    with engine.begin() as conn:
        for conv in ("c-out", "c-other"):
            outbox.enqueue(conn, box=box, conversation_id=conv, channel="sms", destination=b"d",
                           address_period="p", messages=[{"text": "a"}, {"text": "b"}], now=NOW)
        opt_outs.record_opt_out(conn, lookup=lookup, now=NOW)  # a status callback knows no conversation
        assert opt_outs.is_opted_out(conn, lookup)
        assert len(outbox.list_items(conn)) == 4
        opt_outs.record_opt_out(conn, lookup=lookup, now=NOW + 1, conversation_id="c-out")  # again: one row
        assert {i.conversation_id for i in outbox.list_items(conn)} == {"c-other"}
        opt_outs.set_opt_out(conn, lookup=lookup, opted_out=False, now=NOW + 2)  # START
        assert not opt_outs.is_opted_out(conn, lookup)


def test_an_opt_out_is_remembered_for_the_lookup_window_then_cannot_be_matched(
    engine: Engine, epochs: EpochKeys, epoch_clock: Clock,
) -> None:
    """The carrier enforces STOP itself; the line remembers it for the follow-up window and a day."""
    with engine.begin() as conn:
        opt_outs.record_opt_out(conn, lookup=lookups.address(epochs, "sms", "+14155550161"), now=epoch_clock.now)
    epoch_clock.now += 8 * DAY
    with engine.begin() as conn:
        assert opt_outs.is_opted_out(conn, lookups.address(epochs, "sms", "+14155550161"))
        assert not opt_outs.is_opted_out(conn, lookups.address(epochs, "sms", "+14155550162"))
        # Recorded again (a later STOP or a 21610): one row, under today's epoch.
        opt_outs.record_opt_out(conn, lookup=lookups.address(epochs, "sms", "+14155550161"), now=epoch_clock.now)
        assert len(list(conn.execute(select(table_of(OptOut))))) == 1
    epoch_clock.now += 9 * DAY
    epochs.advance()
    with engine.begin() as conn:
        assert not opt_outs.is_opted_out(conn, lookups.address(epochs, "sms", "+14155550161"))
        assert opt_outs.purge(conn, before=epoch_clock.now - 9 * DAY) == 1
