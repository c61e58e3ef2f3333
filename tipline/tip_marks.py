"""What the staff commands say about a tip whose metadata MAC fails (storage.tip_mac).

A mark in lists, a footer that says what it means, and a warning printed before a tip's
content.  Checking never raises: a tip that fails is shown, flagged, never hidden.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from sqlalchemy import Connection

from storage import tip_mac
from storage.crypto import ServerSecrets
from storage.tip_mac import MacStatus

MARKS = {MacStatus.OK: " ", MacStatus.TAMPERED: "!", MacStatus.UNAUTHENTICATED: "?"}


def statuses(conn: Connection, secrets: ServerSecrets, tip_ids: Iterable[str]) -> dict[str, MacStatus]:
    return tip_mac.check_many(conn, secrets=secrets, tip_ids=list(tip_ids))


def mark(found: Mapping[str, MacStatus], tip_id: str) -> str:
    return MARKS[found.get(tip_id, MacStatus.TAMPERED)]


def footer(found: Mapping[str, MacStatus]) -> list[str]:
    """The lines under a list that has flagged tips (none when every tip verifies)."""
    tampered = sum(1 for s in found.values() if s is MacStatus.TAMPERED)
    unsealed = sum(1 for s in found.values() if s is MacStatus.UNAUTHENTICATED)
    lines = []
    if tampered:
        lines.append(
            f"! {tampered} tip(s) FAIL the metadata check: their priority, categories, queues, status, "
            "envelopes or alerts were changed in the database outside the line. Do not trust what is "
            "shown for them; run 'tipline audit verify' and tell whoever runs the database."
        )
    if unsealed:
        lines.append(f"? {unsealed} tip(s) not yet authenticated (written before the metadata check): "
                     "run 'tipline init' to seal them.")
    return lines


def warning(status: MacStatus, tip_id: str) -> str | None:
    """Printed before a tip's content when its metadata does not verify."""
    if status is MacStatus.TAMPERED:
        return (
            f"WARNING: TAMPERING. The metadata of tip {tip_id[:8]} does not verify: its priority, categories, "
            "queues, status, envelopes or alerts were changed in the database outside the line (an envelope "
            "may have been swapped or deleted, an alert removed). Treat the priority and routing below as "
            "untrusted and report it ('tipline audit verify' lists every such tip)."
        )
    if status is MacStatus.UNAUTHENTICATED:
        return (f"Note: tip {tip_id[:8]} is not yet authenticated (written before the metadata check); "
                "run 'tipline init' to seal it.")
    return None
