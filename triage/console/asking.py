"""Asking the reporter a question from a tip's page (the console's ``tipline tips ask``).

The question waits under the STAFF_QUESTIONS epoch keys (``storage.questions``) so the public
app can show it when the reporter sends their reference code; it is also sealed as a note to
the tip's queues, so the members see what was asked beside the answer the reporter adds.
"""

from __future__ import annotations

from storage import case_notes, questions
from storage.keys import StaffKeys
from storage.purposes import Purpose
from triage.console.cases import CaseError, Casework, visible

MAX_QUESTION_CHARS = 300  # it goes out by SMS


class Asking:
    def __init__(self, casework: Casework) -> None:
        self.cases = casework
        self.cfg = casework.cfg

    def ask(self, member: StaffKeys, tip_id: str, question: str) -> str:
        text = question.strip()
        if not text or len(text) > MAX_QUESTION_CHARS:
            raise CaseError(f"A question is 1 to {MAX_QUESTION_CHARS} characters: it is sent by SMS.")
        if self.cfg.epochs is None:
            raise CaseError("This console cannot leave questions: it was started without the line's key chains.")
        note = self.cases.seal(member, tip_id, "question", f"Asked the reporter: {text}")
        now = self.cfg.clock()
        with self.cfg.db.begin() as conn:
            visible(conn, member, tip_id)
            questions.add(conn, box=self.cfg.epochs.box(Purpose.STAFF_QUESTIONS), tip_id=tip_id, text=text, now=now)
            case_notes.write_note(conn, note, staff_id=member.staff_id, now=now)
            self.cases.auth.audit(conn, member.username, "ask", tip_id)
        return "question"
