"""Asking an interpreter to translate a tip's free text, and the translation coming back.

Only the reporter's free text (their own words at text questions and what they added later)
is sealed, to the interpreter's own public key: an interpreter holds no queue and opens nothing
else.  The translation comes back as a note sealed to the tip's queues.  Both steps are audited.
No machine translation: a person reads and writes.
"""

from __future__ import annotations

import uuid

from storage import case_notes, interpreters, tips
from storage.db import deferred
from storage.interpreters import Request
from storage.keys import StaffKeys
from triage.console import tipview
from triage.console.cases import CaseError, Casework, words_of, visible
from triage.console.work import Work


class Interpreting:
    def __init__(self, casework: Casework) -> None:
        self.casework = casework
        self.cfg = casework.cfg

    def free_text(self, member: StaffKeys, tip_id: str) -> tuple[str, str]:
        """(reporter's locale, the free text as one document) of the tip, opened with the member's keys."""
        with deferred(self.cfg.db) as conn:
            meta = visible(conn, member, tip_id)
            versions, _ = Work._open_versions(conn, member, tip_id)
        if not versions:
            raise CaseError("None of this tip's versions opens with your keys.")
        view = tipview.build(meta, versions, flow=self.cfg.flow, catalogs=self.cfg.catalogs, region=self.cfg.region,
                             locale=self.cfg.default_locale, default_locale=self.cfg.default_locale)
        parts = [f"{a.question}\n{a.words}" for a in view.answers if a.words]
        parts += [f"(added later, version {v})\n{t}" for v, texts in view.additions for t in texts]
        if not parts:
            raise CaseError("This tip has no free text to translate.")
        locale = next((str(v.get("locale")) for v in reversed(versions) if v.get("locale")), "und")
        return locale, "\n\n".join(parts)

    def ask(self, member: StaffKeys, tip_id: str, username: str) -> str:
        language, text = self.free_text(member, tip_id)
        request_id = uuid.uuid4().hex
        with deferred(self.cfg.db) as conn:
            sealed = interpreters.seal_for(conn, request_id=request_id, username=username, text=text)
        if sealed is None:
            raise CaseError("Choose an interpreter from the list.")
        with self.cfg.db.begin() as conn:
            visible(conn, member, tip_id)
            interpreters.ask(conn, request_id=request_id, tip_id=tip_id, requested_by=member.staff_id,
                             interpreter=sealed[0], language=language, sealed=sealed[1], now=self.cfg.clock())
            self.casework.auth.audit(conn, member.username, "interpret_request", tip_id)
        return "asked"

    def requests(self, member: StaffKeys) -> list[Request]:
        with deferred(self.cfg.db) as conn:
            return interpreters.requests_for(conn, staff_id=member.staff_id)

    def request(self, member: StaffKeys, request_id: str) -> tuple[Request, str | None] | None:
        """The member's request and its text (None once done); None when it is not theirs."""
        with self.cfg.db.begin() as conn:
            found = interpreters.requests_for(conn, staff_id=member.staff_id, request_id=request_id)
            if not found or found[0].done_at is not None:
                return (found[0], None) if found else None
            self.casework.auth.audit(conn, member.username, "interpret_open", found[0].tip_id)
        return found[0], interpreters.open_text(found[0], staff_id=member.staff_id, private=member.private)

    def translate(self, member: StaffKeys, request_id: str, words: str) -> bool:
        """Seal the translation to the tip's queues as a note; False when the request is not the member's."""
        text = words_of(words, required=True, what="the translation")
        with deferred(self.cfg.db) as conn:
            found = interpreters.requests_for(conn, staff_id=member.staff_id, request_id=request_id)
            if not found or found[0].done_at is not None:
                return False
            tip_id = found[0].tip_id
            note = case_notes.seal_note(conn, tip_id=tip_id, kind="translation", queues=case_notes.tip_queues(
                conn, tip_id), text=f"Translation from {found[0].language}:\n{text}")
        with self.cfg.db.begin() as conn:
            if tips.get_tip(conn, tip_id) is None or not interpreters.complete(
                    conn, request_id=request_id, staff_id=member.staff_id, note_id=note.note_id, now=self.cfg.clock()):
                return False
            case_notes.write_note(conn, note, staff_id=member.staff_id, now=self.cfg.clock())
            self.casework.auth.audit(conn, member.username, "interpret_done", tip_id)
        return True


__all__ = ["Interpreting"]
