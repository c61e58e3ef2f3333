"""The webhook's first read (issue 11): the abuse gate's numbers and the sender's conversation, one statement.

Every inbound message asks the limits two things (the sender's count in the window running,
and whether they have messages held back) and then reads their conversation.  As two statements
on Python 3.11's sqlite3 that is two rounds of statement setup, steps, column fetches and
resets, each of which lets go of the GIL; as one it is one.  The gate's two values come from a
one-row subselect (``held.screen_columns``), the conversation is LEFT JOINed to it (the row
``conversations.find`` reads), so a sender with no conversation yet still gets the gate's row.

One statement also reads one snapshot: the count, the held flag and the row agree with each
other, which two autocommit reads on SQLite did not promise.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection

from storage import held
from storage.conversation_state import StateBoxes
from storage.conversations import COLUMNS, ConversationRow, row_of
from storage.fastsql import Statement
from storage.lookups import Keyed, in_list

_ROW = ", ".join(f"c.{column}" for column in COLUMNS)


@dataclass(frozen=True)
class FirstRead:
    counted: int  # messages counted under the sender's current rate hash in the window still running
    held: bool  # messages of the sender held back, under any rate epoch still open
    conversation: ConversationRow | None  # as ``conversations.find`` reads it


@lru_cache(maxsize=32)
def _statement(rate_keys: int, lookups: int) -> Statement:
    """Built once per number of open rate and lookup epochs: no statement is made per message.

    The conversation is joined as a table, not as a subselect, so that SQLite reads it straight
    from its index (a subselect with its own LIMIT is materialised first: ~1.5 us more a read).
    Which row: the newest any open lookup finds, as ``conversations.find``; the one row of the
    gate's side comes back with NULLs when there is none (its ``ORDER BY`` then sorts one row).
    """
    return Statement(f"SELECT g.counted, g.held, {_ROW} FROM (SELECT {held.screen_columns(rate_keys)}) AS g"
                     f" LEFT JOIN conversation AS c ON c.lookup IN ({in_list(lookups)})"
                     " ORDER BY c.updated_at DESC LIMIT 1")


def gate_and_conversation(
    conn: Connection, *, boxes: StateBoxes, lookup: Keyed, rate_key: bytes, rate_keys: list[bytes],
    window_seconds: float, now: float,
) -> FirstRead:
    """``held.count_and_held`` for the rate hashes and ``conversations.find`` for ``lookup``, in one read.

    Plain (no lock): the caller's plain-read connection, as both of them."""
    params = held.screen_params(key=rate_key, keys=rate_keys, window_seconds=window_seconds, now=now)
    params.update(lookup.params())
    row = _statement(len(rate_keys), len(lookup.tried)).first(conn, params)
    assert row is not None  # the gate's side is one row whatever the conversation side holds
    conv = row_of(boxes, row[2:]) if row[2] is not None else None  # ``id`` is NULL only without a row
    return FirstRead(int(row[0] or 0), bool(row[1]), conv)
