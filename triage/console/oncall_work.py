"""The console's on-call service: the rota (admins) and acknowledging P1 alerts (members).

Addresses are sealed to the rota key as they are entered; the console shows only whether
a person is reachable, never an address.  Every change and every acknowledgement is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import Connection

from storage import keys, oncall, oncall_pages
from storage.keys import StaffKeys
from storage.oncall import RotaEntry
from storage.oncall_pages import AlertLine
from triage import oncall_rota
from triage.console.auth import Auth
from triage.console.config import ConsoleConfig


@dataclass(frozen=True)
class AlertsPage:
    alerts: tuple[AlertLine, ...]
    now: float
    rota_warning: str = ""  # urgent tips alert nobody, and why: every member is warned


def rota_warning(conn: Connection, unreachable: Mapping[str, str]) -> str:
    """Why urgent tips alert nobody ("" when someone on the rota can be reached).

    A rota of people nobody can reach (no provider for their channel, Telegram not enrolled)
    alerts nobody just as an empty one does: both warn.
    """
    rota = oncall.list_members(conn)
    if not rota:
        return "ask an admin to set the on-call rota."
    why = [unreachable.get(p.channel) or ("" if p.enrolled else "Telegram not enrolled yet") for p in rota]
    if all(why):
        return f"nobody on the rota can be reached: {'; '.join(dict.fromkeys(why))}. Ask an admin to fix it."
    return ""


class OncallWork:
    def __init__(self, cfg: ConsoleConfig, auth: Auth) -> None:
        self.cfg = cfg
        self.auth = auth

    def rota(self) -> list[RotaEntry]:
        with self.cfg.db.begin() as conn:
            return oncall.list_members(conn)

    def add(self, member: StaffKeys, *, name: str, channel: str, address: str, locale: str) -> str:
        """Append a person; raises ``RotaError`` with what to fix."""
        with self.cfg.db.begin() as conn:
            member_id = oncall_rota.add_member(conn, name=name, channel=channel, address=address or None,
                                               locale=locale, locales=self.cfg.locales, now=self.cfg.clock())
            self.auth.audit(conn, member.username, "oncall_add", member_id)
        return member_id

    def remove(self, member: StaffKeys, member_id: str) -> bool:
        with self.cfg.db.begin() as conn:
            gone = oncall.remove_member(conn, member_id)
            if gone:
                self.auth.audit(conn, member.username, "oncall_remove", member_id)
        return gone

    def move(self, member: StaffKeys, member_id: str, *, delta: int) -> bool:
        with self.cfg.db.begin() as conn:
            moved = oncall.move_member(conn, member_id, delta=delta)
            if moved:
                self.auth.audit(conn, member.username, "oncall_move", member_id)
        return moved

    def link(self, member: StaffKeys, member_id: str) -> str:
        """A new one-time enrolment link (shown once); raises ``RotaError`` for a non-Telegram person."""
        with self.cfg.db.begin() as conn:
            token = oncall.new_enrolment(conn, member_id=member_id, now=self.cfg.clock())
            self.auth.audit(conn, member.username, "oncall_link", member_id)
        return oncall_rota.enrol_link(self.cfg.oncall_bot_username, token)

    def alerts(self, member: StaffKeys) -> AlertsPage:
        """Open alerts of tips in the member's queues (others' are not theirs to see)."""
        with self.cfg.db.begin() as conn:
            queues = keys.member_queues(conn, member.staff_id)
            lines = oncall_pages.open_alert_lines(conn, queues=queues)
            warning = rota_warning(conn, self.cfg.oncall_unreachable)
        return AlertsPage(alerts=tuple(lines), now=self.cfg.clock(), rota_warning=warning)

    def acknowledge(self, member: StaffKeys, tip_id: str) -> bool:
        """Stop the alerts of one tip; False when the member has no open alert of it to see."""
        with self.cfg.db.begin() as conn:
            queues = keys.member_queues(conn, member.staff_id)
            if not any(a.tip_id == tip_id for a in oncall_pages.open_alert_lines(conn, queues=queues)):
                return False
            oncall_pages.acknowledge_tip(conn, tip_id=tip_id, now=self.cfg.clock())
            self.auth.audit(conn, member.username, "alert_ack", tip_id)
        return True
