"""Pulling, opening one's claimed tip and closing its case acknowledge the tip's open alert.

The on-call alert asks someone to look at the tip; a member who pulled it is looking, so the
pages stop (README "On-call alerts").  Every acknowledgement is audited as the button's is.
"""

from __future__ import annotations

from sqlalchemy import Connection

from storage import claims, oncall_pages
from storage.keys import StaffKeys
from triage.console.auth import Auth


def acknowledge(conn: Connection, auth: Auth, member: StaffKeys, tip_id: str, now: float) -> bool:
    """Acknowledge the tip's open alerts; True (and audited) when there was one."""
    if not oncall_pages.acknowledge_tip(conn, tip_id=tip_id, now=now):
        return False
    auth.audit(conn, member.username, "alert_ack", tip_id)
    return True


def settle(conn: Connection, auth: Auth, member: StaffKeys, tip_id: str, now: float) -> None:
    """A closed (or duplicate) case: the member's claim goes back and its alert is acknowledged."""
    if claims.release(conn, tip_id=tip_id, staff_id=member.staff_id):
        auth.audit(conn, member.username, "release", tip_id)
    acknowledge(conn, auth, member, tip_id, now)
