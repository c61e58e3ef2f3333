"""Words a reporter adds to a finished tip, sealed as a version of their own (an addendum).

The public app cannot open the tip, so an addendum is sealed to the queues the tip already reached
and keeps its priority and categories, except that danger words make it P1 and raise its alert.
Both the follow-up by reference code (``triage.followup``) and the reporter coming back from their
own phone after the close (``triage.sealer``) seal through here.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import Connection

from storage import audit, cases, referrals, sealing, tip_mac, tips
from storage.crypto import ServerSecrets

log = logging.getLogger(__name__)

REOPENED = "in_review"  # triage.casework.CaseStatus.IN_REVIEW: a closed case the reporter added to
DANGER_PRIORITY = "P1"  # danger words make a tip P1 (never lowered) and raise its alert


def raise_danger_alert(conn: Connection, *, secrets: ServerSecrets, tip_id: str, now: float) -> None:
    """The tip's alert for danger said again (one open alert per tip, repeats counted)."""
    tips.raise_alert(conn, tip_id=tip_id, priority=DANGER_PRIORITY, reason="danger", now=now)
    tip_mac.refresh(conn, secrets=secrets, tip_id=tip_id)  # the alert count is covered


def seal_addendum(
    conn: Connection, *, secrets: ServerSecrets, tip_id: str, texts: list[str], now: float,
    raise_to: str | None = None,
) -> bool:
    """Seal texts a reporter added after the interview as a new version of the tip.

    Sealed to the queues the tip already reached; priority and categories stay as they
    are (the public app cannot open the tip to re-score it; staff re-rank on reading),
    except ``raise_to``: danger words after the close make the tip P1 (never lowered).
    Returns False if the tip no longer exists.
    """
    meta = tips.get_tip(conn, tip_id, for_update=True)
    if meta is None:
        return False
    version = meta.version + 1
    priority = min(meta.priority, raise_to) if raise_to else meta.priority  # "P1" < "P2": higher
    payload = {"kind": "addendum", "tip_id": tip_id, "version": version, "texts": texts, "sealed_at": now,
               "danger": raise_to is not None}
    sealing.seal_tip(conn, tip_id=tip_id, version=version,
                     payload=json.dumps(payload, separators=(",", ":")).encode(),
                     queues=referrals.with_referred(conn, tip_id, meta.queues), now=now)
    tips.record_seal(
        conn, tip_id=tip_id, version=version, status=meta.status, reason="follow-up",
        priority=priority, categories=meta.categories, rules_version=meta.rules_version,
        queues=meta.queues, now=now,
    )
    _reopen(conn, secrets=secrets, tip_id=tip_id, now=now)
    tip_mac.refresh(conn, secrets=secrets, tip_id=tip_id)
    return True


def _reopen(conn: Connection, *, secrets: ServerSecrets, tip_id: str, now: float) -> None:
    """New words on a closed or duplicate case reopen it ("in review") so the queue pulls it again;
    the line's action is audited like a member's."""
    left = cases.reopen(conn, tip_id=tip_id, status=REOPENED, now=now)
    if left is not None:
        audit.append(conn, secrets=secrets, actor="line", action="case.reopened", subject=tip_id, now=now)
        log.info("case reopened by a follow-up", extra={"tip": tip_id})
