"""The queue page, pulling the next tip, reading one, giving it back."""

from __future__ import annotations

import time

from flask import Blueprint, Response, request

from triage.console.auth import Auth
from triage.console import tip_page
from triage.console.cases import Casework
from triage.console.config import ConsoleConfig
from triage.console.work import Work
from triage.console.web import page, redirect_to, require_member

_NOTES = {"empty": "Nothing is waiting in your queues.", "released": "The tip went back to the queue."}
NOT_HELD = "You do not hold this tip; nothing changed."


def age(seconds: float) -> str:
    """A short age for the queue: 45 min, 3 h, 2 d."""
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h" if minutes < 48 * 60 else f"{minutes // 1440} d"


def clock_time(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))


class QueueViews:
    def __init__(self, cfg: ConsoleConfig, work: Work) -> None:
        self.cfg = cfg
        self.work = work
        self.cases = Casework(cfg, work.auth)

    def queue(self) -> Response:
        found = require_member()
        note = _NOTES.get(request.args.get("note", ""), "")
        return page("queue.html", queue=self.work.queue(found.keys), note=note)

    def pull_next(self) -> Response:
        found = require_member()
        claim = self.work.pull_next(found.keys)
        if claim is None:
            return redirect_to("queue.queue", note="empty")
        return redirect_to("queue.tip", tip_id=claim.tip_id)

    def tip(self, tip_id: str) -> Response:
        found = require_member()
        full = self.work.resolve(found.keys, tip_id)
        if full != tip_id:  # a short id: the page lives at the full one
            return redirect_to("queue.tip", tip_id=full)
        return tip_page.render(self.work, self.cases, found, tip_id, done=request.args.get("done", ""))

    def claim(self, tip_id: str) -> Response:
        found = require_member()
        if not self.work.sees(found.keys, tip_id):
            return page("missing.html", 404)
        refused = self.work.claim(found.keys, tip_id)
        if refused:
            return tip_page.render(self.work, self.cases, found, tip_id, error=refused, status=409)
        return redirect_to("queue.tip", tip_id=tip_id, done="claimed")

    def release(self, tip_id: str) -> Response:
        found = require_member()
        if not self.work.sees(found.keys, tip_id):
            return page("missing.html", 404)  # the same answer as for a tip that does not exist
        if not self.work.release(found.keys, tip_id):
            return tip_page.render(self.work, self.cases, found, tip_id, error=NOT_HELD, status=409)
        return redirect_to("queue.queue", note="released")


def make_blueprint(cfg: ConsoleConfig, auth: Auth) -> Blueprint:
    views = QueueViews(cfg, Work(cfg, auth))
    bp = Blueprint("queue", __name__)
    bp.add_url_rule("/", "queue", views.queue, methods=["GET"])
    bp.add_url_rule("/next", "pull_next", views.pull_next, methods=["POST"])
    bp.add_url_rule("/tips/<tip_id>", "tip", views.tip, methods=["GET"])
    bp.add_url_rule("/tips/<tip_id>/claim", "claim", views.claim, methods=["POST"])
    bp.add_url_rule("/tips/<tip_id>/release", "release", views.release, methods=["POST"])
    bp.app_template_filter("age")(age)
    bp.app_template_filter("clock")(clock_time)
    return bp
