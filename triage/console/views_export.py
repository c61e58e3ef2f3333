"""Exporting one tip to PDF for a partner without console access (issue 14).

The PDF is made in memory and streamed to the member's browser: nothing is written on the
server (no file, no temporary copy).  Each page is marked with who exported it, when and for
whom; the export is written to the audit log with the partner's queue.  INTAKE decision 8
holds as for a referral: an adult self-report whose reporter did not agree to police goes to
no police partner on paper either, unless a danger or child override applies and is named.
The partner's queue is chosen, never defaulted, and is an outside partner's (not the task
force's own triage queue), so decision 8 is met on every export; a refusal is audited (the queue's
kind, no tip content), and the recipient as typed is sealed in the tip's history, readable by
the tip's queues, so who got the paper can be compared with the queue named.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, request

from storage import case_notes
from storage.db import deferred
from storage.tip_mac import MacStatus
from triage.casework import referral_check
from triage.console import case_panel, tip_page
from triage.console.auth import Auth, Member
from triage.console.cases import CaseError, Casework, NotVisible, words_of
from triage.console.config import ConsoleConfig
from triage.console.referral import current_answers
from triage.console.tip_page import partner_queues
from triage.console.web import page, require_member
from triage.console.work import Work
from triage.fonts import FontMissing

MAX_FOR_WHOM = 200
EXPORTED = "export_pdf_"  # + the partner's queue: the audit action (case_panel shows it in the history)
REFUSED = "export_refused_"  # + the kind of queue decision 8 kept the tip from
RECIPIENT_NOTE = "export"  # the sealed note naming for whom a PDF was made


class ExportViews:
    def __init__(self, cfg: ConsoleConfig, auth: Auth) -> None:
        self.cfg = cfg
        self.work = Work(cfg, auth)
        self.cases = Casework(cfg, auth)

    def export(self, tip_id: str) -> Response:
        found = require_member()
        try:
            return self._export(found, tip_id)
        except NotVisible:
            return page("missing.html", 404)
        except CaseError as exc:
            return tip_page.render(self.work, self.cases, found, tip_id, error=str(exc), status=409)

    def _export(self, found: Member, tip_id: str) -> Response:
        for_whom = words_of(request.form.get("for_whom", ""), required=True, what="for whom you export it")
        if len(for_whom) > MAX_FOR_WHOM:
            raise CaseError(f"For whom: at most {MAX_FOR_WHOM} characters.")
        partner = request.form.get("partner", "")
        if partner not in dict(partner_queues(self.cases.routing)):
            raise CaseError("Not exported: choose the partner's queue from the list (the task force's own "
                            "triage queue is not a partner).")
        opened = self.work.open(found.keys, tip_id, locale=found.session.locale)
        if opened is None:
            raise NotVisible(tip_id)
        if opened.metadata is MacStatus.TAMPERED:
            raise CaseError("Not exported: this tip's metadata does not verify (see the warning above).")
        override = self._decision_8(found, tip_id, partner, opened.view.meta.categories)
        panel = case_panel.build(self.cases, found.keys, tip_id)
        from triage.console import tip_pdf  # fpdf2 takes seconds to import: not at the console's start

        marking = tip_pdf.Marking(by=found.keys.username, at=self.cfg.clock(), for_whom=for_whom, partner=partner,
                                  training=self.cfg.training)
        try:
            document = tip_pdf.render(opened.view, panel, marking, locale=found.session.locale)
        except FontMissing as exc:
            raise CaseError(f"Not exported: {exc}.") from None
        with deferred(self.cfg.db) as conn:  # sealed before the write, as every note is
            note = case_notes.seal_note(conn, tip_id=tip_id, kind=RECIPIENT_NOTE, queues=case_notes.tip_queues(
                conn, tip_id), text=f"Exported to PDF for {for_whom} ({partner})")
        with self.cfg.db.begin() as conn:
            self.cases.auth.audit(conn, found.keys.username, EXPORTED + partner, tip_id)
            if override:
                self.cases.auth.audit(conn, found.keys.username, f"export_override_{override}", tip_id)
            case_notes.write_note(conn, note, staff_id=found.keys.staff_id, now=self.cfg.clock())
        return _attachment(document, marking.file_name(tip_id))

    def _decision_8(self, found: Member, tip_id: str, partner: str, categories: tuple[str, ...]) -> str:
        """The override named for this export ("" when none is needed); refuses what decision 8 forbids."""
        with deferred(self.cfg.db) as conn:
            answers = current_answers(conn, found.keys, tip_id)
        check = referral_check(categories, answers, queue=partner, routing=self.cases.routing)
        override = request.form.get("override", "")
        if not check.allowed:
            kind = dict(partner_queues(self.cases.routing)).get(partner, "police")
            with self.cfg.db.begin() as conn:  # a refusal is on record: who tried, which tip, which kind
                self.cases.auth.audit(conn, found.keys.username, REFUSED + kind, tip_id)
            raise CaseError(f"Not exported: {check.why}.")
        if check.grounds and override not in check.grounds:
            raise CaseError(f"Not exported yet: {check.why}. Name the override that applies "
                            f"({' or '.join(check.grounds)}); it is written to the audit log.")
        return override if check.grounds else ""


def _attachment(document: bytes, name: str) -> Response:
    response = Response(document, mimetype="application/pdf")
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response


def make_blueprint(cfg: ConsoleConfig, auth: Auth) -> Blueprint:
    views = ExportViews(cfg, auth)
    bp = Blueprint("export", __name__)
    bp.add_url_rule("/tips/<tip_id>/export", "export", views.export, methods=["POST"])
    return bp
