"""Questions staff leave for a reporter, shown when the reporter sends their reference code.

The public app must be able to show them, so they are sealed with the server key
(not a queue key); they hold staff wording, never reporter content.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from storage.crypto import Box
from storage.tables import StaffQuestion

_T = StaffQuestion.__table__  # type: ignore[attr-defined]


def add(conn: Connection, *, box: Box, tip_id: str, text: str, now: float) -> int:
    result = conn.execute(
        _T.insert().values(tip_id=tip_id, body=box.encrypt(text.encode(), tip_id.encode()), created_at=now)
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def take_undelivered(conn: Connection, *, box: Box, tip_id: str, now: float) -> list[str]:
    """The questions not shown yet, oldest first; marks them delivered."""
    rows = list(conn.execute(
        select(_T.c.id, _T.c.body).where(_T.c.tip_id == tip_id, _T.c.delivered_at.is_(None)).order_by(_T.c.id)
    ))
    if rows:
        conn.execute(update(_T).where(_T.c.id.in_([r.id for r in rows])).values(delivered_at=now))
    return [box.decrypt(r.body, tip_id.encode()).decode() for r in rows]
