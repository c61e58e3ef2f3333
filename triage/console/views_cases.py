"""Forms on a tip's page for its casework: status, close, duplicate, note, link, refer, hold, no minor,
an interpreter, a question for the reporter.

A done action redirects to the tip (303, so a reload sends nothing twice); a refused one shows
the tip again with the reason (409); a tip the member holds no key for answers 404.
"""

from __future__ import annotations

from typing import Callable

from flask import Blueprint, Response, request

from triage.console import tip_page
from triage.console.asking import Asking
from triage.console.auth import Auth
from triage.console.cases import CaseError, Casework, NotVisible
from triage.console.config import ConsoleConfig
from triage.console.interpreting import Interpreting
from triage.console.referral import Referrals
from triage.console.web import page, redirect_to, require_member
from triage.console.work import Work

Action = Callable[[str], str]  # tip id -> the key of what was done


def _field(name: str) -> str:
    return request.form.get(name, "")


class CaseViews:
    def __init__(self, cfg: ConsoleConfig, auth: Auth) -> None:
        self.work = Work(cfg, auth)
        self.cases = Casework(cfg, auth)
        self.referrals = Referrals(self.cases)
        self.interpreting = Interpreting(self.cases)
        self.asking = Asking(self.cases)

    def _run(self, tip_id: str, action: Callable[..., str], *args: object) -> Response:
        found = require_member()
        try:
            done = action(found.keys, tip_id, *args)
        except NotVisible:
            return page("missing.html", 404)
        except CaseError as exc:
            return tip_page.render(self.work, self.cases, found, tip_id, error=str(exc), status=409)
        return redirect_to("queue.tip", tip_id=tip_id, done=done)

    def status(self, tip_id: str) -> Response:
        return self._run(tip_id, self.cases.set_status, _field("status"))

    def close(self, tip_id: str) -> Response:
        return self._run(tip_id, self.cases.close, _field("reason"), _field("words"))

    def duplicate(self, tip_id: str) -> Response:
        return self._run(tip_id, self.cases.duplicate, _field("other"))

    def note(self, tip_id: str) -> Response:
        return self._run(tip_id, self.cases.add_note, _field("words"))

    def link(self, tip_id: str) -> Response:
        return self._run(tip_id, self.cases.link, _field("other"))

    def refer(self, tip_id: str) -> Response:
        return self._run(tip_id, self.referrals.refer, _field("queue"), _field("reason"), _field("override"))

    def hold(self, tip_id: str) -> Response:
        return self._run(tip_id, self.cases.hold, _field("hold") == "on")

    def no_minor(self, tip_id: str) -> Response:
        return self._run(tip_id, self.cases.no_minor, _field("words"))

    def interpret(self, tip_id: str) -> Response:
        return self._run(tip_id, self.interpreting.ask, _field("interpreter"))

    def ask(self, tip_id: str) -> Response:
        return self._run(tip_id, self.asking.ask, _field("question"))


def make_blueprint(cfg: ConsoleConfig, auth: Auth) -> Blueprint:
    views = CaseViews(cfg, auth)
    bp = Blueprint("cases", __name__)
    for name in ("status", "close", "duplicate", "note", "link", "refer", "hold", "no_minor", "interpret", "ask"):
        bp.add_url_rule(f"/tips/<tip_id>/{name.replace('_', '-')}", name, getattr(views, name), methods=["POST"])
    return bp
