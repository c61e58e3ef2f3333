"""An interpreter's pages: the texts they were asked to translate, and sending a translation back."""

from __future__ import annotations

from flask import Blueprint, Response, request

from storage.crypto import DecryptionFailed
from triage.console.auth import Auth
from triage.console.cases import CaseError, Casework
from triage.console.config import ConsoleConfig
from triage.console.interpreting import Interpreting
from triage.console.web import page, redirect_to, require_member


class TranslationViews:
    def __init__(self, cfg: ConsoleConfig, auth: Auth) -> None:
        self.interpreting = Interpreting(Casework(cfg, auth))

    def index(self) -> Response:
        found = require_member()
        done = request.args.get("done") == "1"
        return page("translations.html", requests=self.interpreting.requests(found.keys), done=done)

    def show(self, request_id: str, error: str = "", status: int = 200) -> Response:
        found = require_member()
        try:
            opened = self.interpreting.request(found.keys, request_id)
        except DecryptionFailed:
            opened = None  # a copy moved from another request or member: as good as missing
        if opened is None:
            return page("missing.html", 404)
        return page("translation.html", status, request=opened[0], text=opened[1], error=error)

    def send(self, request_id: str) -> Response:
        found = require_member()
        try:
            sent = self.interpreting.translate(found.keys, request_id, request.form.get("words", ""))
        except CaseError as exc:
            return self.show(request_id, error=str(exc), status=409)
        if not sent:
            return page("missing.html", 404)
        return redirect_to("translations.index", done="1")


def make_blueprint(cfg: ConsoleConfig, auth: Auth) -> Blueprint:
    views = TranslationViews(cfg, auth)
    bp = Blueprint("translations", __name__)
    bp.add_url_rule("/translations", "index", views.index, methods=["GET"])
    bp.add_url_rule("/translations/<request_id>", "show", views.show, methods=["GET"])
    bp.add_url_rule("/translations/<request_id>", "send", views.send, methods=["POST"])
    return bp
