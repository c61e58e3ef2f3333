"""Casework on a tip: status, closing, duplicates, notes, links, legal hold, "no minor involved".

Every action checks first that the member holds a key for the tip (otherwise ``NotVisible``:
the views answer 404, as for a tip that does not exist) and is written to the audit log in the
transaction that makes it.  Words a member writes are sealed (``storage.case_notes``) from plain
reads before the write transaction.
"""

from __future__ import annotations

from sqlalchemy import Connection

from storage import case_notes, cases, claims, tip_mac, tips
from storage.db import deferred
from storage.keys import StaffKeys
from storage.tips import TipMeta
from triage.casework import CLOSE_REASONS, SETTABLE, CaseRuleError, CaseStatus, check_transition
from triage.console import alert_ack
from triage.console.auth import Auth
from triage.console.config import ConsoleConfig
from triage.routing import Routing, load_routing

MAX_NOTE_CHARS = 8000


class NotVisible(Exception):
    """No such tip, or none of its keys is the member's."""


class CaseError(Exception):
    """An action refused; the message tells the member what to do."""


def visible(conn: Connection, member: StaffKeys, tip_id: str) -> TipMeta:
    meta = tips.get_tip(conn, tip_id)
    if meta is None or not case_notes.tip_key_ids(conn, tip_id) & member.held_key_ids(conn):
        raise NotVisible(tip_id)
    return meta


def words_of(text: str, *, required: bool, what: str) -> str:
    clean = text.strip()
    if required and not clean:
        raise CaseError(f"Write {what}.")
    if len(clean) > MAX_NOTE_CHARS:
        raise CaseError(f"{what.capitalize()} is too long: at most {MAX_NOTE_CHARS} characters.")
    return clean


class Casework:
    def __init__(self, cfg: ConsoleConfig, auth: Auth, routing: Routing | None = None) -> None:
        self.cfg = cfg
        self.auth = auth
        self.routing = routing or cfg.routing or load_routing()

    def child_queues(self) -> list[str]:
        return [q.name for q in self.routing.queues if q.kind == "child_protection"]

    def seal(self, member: StaffKeys, tip_id: str, kind: str, text: str) -> case_notes.SealedNote:
        """Seal words to every queue of the tip (reads only, no lock held)."""
        with deferred(self.cfg.db) as conn:
            visible(conn, member, tip_id)
            return case_notes.seal_note(conn, tip_id=tip_id, kind=kind, text=text,
                                        queues=case_notes.tip_queues(conn, tip_id))

    def check_not_held_by_another(self, conn: Connection, member: StaffKeys, tip_id: str) -> None:
        claim = claims.holder(conn, tip_id=tip_id, now=self.cfg.clock())
        if claim is not None and claim.staff_id != member.staff_id:
            raise CaseError("Another member holds this tip: wait until they give it back or their claim ends.")

    def _child_gate(self, conn: Connection, meta: TipMeta, case: cases.CaseRow) -> None:
        if "child" not in meta.categories or case.no_minor_at is not None:
            return
        if case_notes.first_sealed_at(conn, meta.id, self.child_queues()) is None:
            raise CaseError("A possible minor: child protection has not received this tip. Refer it to child "
                            "protection first, or record that no minor is involved, with a reason.")

    def _move(self, conn: Connection, member: StaffKeys, tip_id: str, wanted: str, *,
              close_reason: str | None = None, duplicate_of: str | None = None) -> None:
        meta = visible(conn, member, tip_id)
        self.check_not_held_by_another(conn, member, tip_id)
        case = cases.get(conn, tip_id)
        try:
            target = check_transition(case.status, wanted)
        except CaseRuleError as exc:
            raise CaseError(f"{str(exc).capitalize()}.") from None
        if target in (CaseStatus.CLOSED, CaseStatus.DUPLICATE):
            self._child_gate(conn, meta, case)
        if not cases.set_status(conn, tip_id=tip_id, expect=case.status, status=target, staff_id=member.staff_id,
                                now=self.cfg.clock(), close_reason=close_reason, duplicate_of=duplicate_of):
            raise CaseError("Someone changed this case at the same moment: look again and retry.")
        self.auth.audit(conn, member.username, f"status_{target.value}", tip_id)
        if target in (CaseStatus.CLOSED, CaseStatus.DUPLICATE):
            alert_ack.settle(conn, self.auth, member, tip_id, self.cfg.clock())
        self.covered(conn, tip_id)

    def covered(self, conn: Connection, *tip_ids: str) -> None:
        """Casework is tip metadata: re-MAC what was written (storage.tip_mac), last in the transaction."""
        for tip_id in tip_ids:
            tip_mac.refresh(conn, secrets=self.cfg.secrets, tip_id=tip_id)

    def set_status(self, member: StaffKeys, tip_id: str, wanted: str) -> str:
        if wanted not in {s.value for s in SETTABLE}:
            raise CaseError("Choose a status from the list.")
        with self.cfg.db.begin() as conn:
            self._move(conn, member, tip_id, wanted)
        return "status"

    def close(self, member: StaffKeys, tip_id: str, reason: str, words: str) -> str:
        if reason not in CLOSE_REASONS:
            raise CaseError("Choose why the case closes from the list.")
        text = words_of(words, required=False, what="the closing note")
        note = self.seal(member, tip_id, "close", f"{CLOSE_REASONS[reason]}. {text}".strip()) if text else None
        with self.cfg.db.begin() as conn:
            self._move(conn, member, tip_id, CaseStatus.CLOSED, close_reason=reason)
            if note is not None:
                case_notes.write_note(conn, note, staff_id=member.staff_id, now=self.cfg.clock())
        return "closed"

    def duplicate(self, member: StaffKeys, tip_id: str, other: str) -> str:
        with self.cfg.db.begin() as conn:
            original = self._other_tip(conn, member, tip_id, other)
            self._move(conn, member, tip_id, CaseStatus.DUPLICATE, duplicate_of=original)
            self._link(conn, member, tip_id, original)
        return "duplicate"

    def _other_tip(self, conn: Connection, member: StaffKeys, tip_id: str, other: str) -> str:
        """The tip a member named by its id (or the start of it, as pages show), if they may see it."""
        found = cases.tips_starting(conn, other) if len(other.strip()) >= 6 else []
        if len(found) != 1:
            raise CaseError("No single tip in your queues starts with that id: type at least 8 characters of it.")
        try:
            visible(conn, member, found[0])
        except NotVisible:
            raise CaseError("No single tip in your queues starts with that id.") from None
        if found[0] == tip_id:
            raise CaseError("That is this tip: name another one.")
        return found[0]

    def _link(self, conn: Connection, member: StaffKeys, tip_id: str, other: str) -> bool:
        if not cases.link(conn, tip_id=tip_id, other=other, staff_id=member.staff_id, now=self.cfg.clock()):
            return False
        for subject in (tip_id, other):  # each tip's history shows the link
            self.auth.audit(conn, member.username, "link", subject)
        self.covered(conn, tip_id, other)
        return True

    def link(self, member: StaffKeys, tip_id: str, other: str) -> str:
        with self.cfg.db.begin() as conn:
            visible(conn, member, tip_id)
            if not self._link(conn, member, tip_id, self._other_tip(conn, member, tip_id, other)):
                raise CaseError("These tips are linked already.")
        return "linked"

    def add_note(self, member: StaffKeys, tip_id: str, words: str) -> str:
        note = self.seal(member, tip_id, "note", words_of(words, required=True, what="the note"))
        with self.cfg.db.begin() as conn:
            case_notes.write_note(conn, note, staff_id=member.staff_id, now=self.cfg.clock())
            self.auth.audit(conn, member.username, "note", tip_id)
        return "noted"

    def hold(self, member: StaffKeys, tip_id: str, on: bool) -> str:
        with self.cfg.db.begin() as conn:
            visible(conn, member, tip_id)
            if not cases.set_hold(conn, tip_id=tip_id, hold=on, staff_id=member.staff_id, now=self.cfg.clock()):
                raise CaseError("The legal hold already was so.")
            self.auth.audit(conn, member.username, "legal_hold_on" if on else "legal_hold_off", tip_id)
            self.covered(conn, tip_id)
        return "hold" if on else "unhold"

    def no_minor(self, member: StaffKeys, tip_id: str, words: str) -> str:
        note = self.seal(member, tip_id, "no_minor", words_of(words, required=True, what="why no minor is involved"))
        with self.cfg.db.begin() as conn:
            visible(conn, member, tip_id)
            cases.record_no_minor(conn, tip_id=tip_id, staff_id=member.staff_id, now=self.cfg.clock())
            case_notes.write_note(conn, note, staff_id=member.staff_id, now=self.cfg.clock())
            self.auth.audit(conn, member.username, "no_minor", tip_id)
            self.covered(conn, tip_id)
        return "no_minor"
