"""Questions staff leave for a reporter, shown when the reporter sends their reference code.

The public app must be able to show them, so they are not sealed to a queue key but under the
STAFF_QUESTIONS epoch keys (``storage.epochs``): staff wording often echoes what the reporter
said, so a question dies with its epoch, the follow-up window after it was asked.  A question
shown to the reporter keeps no body (only that and when it was delivered); one whose key died
unshown is dropped, and the worker purges both (``purge``).
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, delete, select, update

from storage.crypto import DecryptionFailed
from storage.epoch_blobs import Sealer
from storage.ratchet import EpochDestroyed
from storage.tables import StaffQuestion

log = logging.getLogger(__name__)

_T = StaffQuestion.__table__  # type: ignore[attr-defined]


def add(conn: Connection, *, box: Sealer, tip_id: str, text: str, now: float) -> int:
    result = conn.execute(
        _T.insert().values(tip_id=tip_id, body=box.encrypt(text.encode(), tip_id.encode()), created_at=now)
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def take_undelivered(conn: Connection, *, box: Sealer, tip_id: str, now: float) -> list[str]:
    """The questions not shown yet, oldest first; marks them delivered and drops their words."""
    rows = list(conn.execute(
        select(_T.c.id, _T.c.body).where(_T.c.tip_id == tip_id, _T.c.delivered_at.is_(None)).order_by(_T.c.id)
    ))
    if rows:
        conn.execute(update(_T).where(_T.c.id.in_([r.id for r in rows])).values(delivered_at=now, body=b""))
    shown = []
    for r in rows:
        try:
            shown.append(box.decrypt(bytes(r.body), tip_id.encode()).decode())
        except (EpochDestroyed, DecryptionFailed, UnicodeDecodeError):
            log.info("a staff question expired before the reporter came back")
    return shown


def purge(conn: Connection, *, before: float) -> int:
    """Delete questions asked before ``before`` (past their key's window, delivered or not)."""
    return int(conn.execute(delete(_T).where(_T.c.created_at < before)).rowcount or 0)
