"""Admin pages (admins only; others get 403): members, queues and keys, the audit log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, request

from triage.console.admin import Admin, AdminError
from triage.console.auth import Auth, Member
from triage.console.config import ConsoleConfig
from triage.console.web import page, redirect_to, require_member

_NOTES = {
    "added": "Added {who}. They log in with the passphrase given and set up their second factor.",
    "reset": "The second factor of {who} was reset: their sessions ended, and their next login sets up a new one.",
    "created": "Queue {who} was created and you hold its key. Grant it to members below.",
    "granted": "Granted {who}.",
    "revoked": "Revoked {who}. Now rotate the queue's key below: they may have copied keys they held.",
    "rotated": "Queue {who} now seals new tips to a new key; older tips still open for every holder.",
}


def _note() -> str:
    template = _NOTES.get(request.args.get("note", ""), "")
    return template.format(who=request.args.get("who", "")) if template else ""


class AdminViews:
    def __init__(self, cfg: ConsoleConfig, admin: Admin) -> None:
        self.cfg = cfg
        self.admin = admin

    @staticmethod
    def _admin() -> Member:
        found = require_member()
        if not found.keys.is_admin:
            abort(page("forbidden.html", 403))
        return found

    def members(self, error: AdminError | None = None, **form: Any) -> Response:
        found = self._admin()
        return page("admin_members.html", error.status if error else 200, members=self.admin.members(),
                    own_queues=self._own_queues(found), error=error, note=_note(), form=form)

    def _own_queues(self, found: Member) -> list[str]:
        return [q.name for q in self.admin.queues() if found.username in q.holders]

    def add_member(self) -> Response:
        found = self._admin()
        f = request.form
        username, is_admin = f.get("username", "").strip(), f.get("admin") == "1"
        try:
            if f.get("passphrase", "") != f.get("passphrase_again", ""):
                raise AdminError("The two new passphrases differ. Nobody was added.")
            self.admin.add_member(found, username=username, passphrase=f.get("passphrase", ""), is_admin=is_admin,
                                  queues=f.getlist("queue"), admin_passphrase=f.get("admin_passphrase", ""),
                                  client=request.remote_addr or "-")
        except AdminError as exc:
            return self.members(exc, username=username, admin=is_admin)
        return redirect_to("admin.members", note="added", who=username)

    def reset_second_factor(self, username: str) -> Response:
        found = self._admin()
        try:
            self.admin.reset_second_factor(found, username)
        except AdminError as exc:
            return self.members(exc)
        return redirect_to("admin.members", note="reset", who=username)

    def queues(self, error: AdminError | None = None) -> Response:
        self._admin()
        return page("admin_queues.html", error.status if error else 200, queues=self.admin.queues(),
                    members=self.admin.members(), error=error, note=_note())

    def create_queue(self) -> Response:
        found = self._admin()
        name = request.form.get("name", "").strip()
        try:
            self.admin.create_queue(found, name=name, title=request.form.get("title", "").strip())
        except AdminError as exc:
            return self.queues(exc)
        return redirect_to("admin.queues", note="created", who=name)

    def grant(self, queue: str) -> Response:
        found = self._admin()
        username = request.form.get("member", "")
        try:
            self.admin.grant(found, username=username, queue=queue)
        except AdminError as exc:
            return self.queues(exc)
        return redirect_to("admin.queues", note="granted", who=f"{username} the keys of {queue}")

    def revoke(self, queue: str) -> Response:
        found = self._admin()
        username = request.form.get("member", "")
        lose = request.form.get("lose_queue", "")
        try:
            if lose and lose != queue:
                raise AdminError(f"To confirm, type the queue's name ({queue}) exactly. Nothing was revoked.")
            self.admin.revoke(found, username=username, queue=queue, lose_queue=lose == queue)
        except AdminError as exc:
            return self.queues(exc)
        return redirect_to("admin.queues", note="revoked", who=f"{queue} from {username}")

    def rotate(self, queue: str) -> Response:
        found = self._admin()
        try:
            self.admin.rotate(found, queue)
        except AdminError as exc:
            return self.queues(exc)
        return redirect_to("admin.queues", note="rotated", who=queue)

    def audit(self) -> Response:
        self._admin()
        before = request.args.get("before", "")
        head = request.args.get("head", "").strip()
        view = self.admin.audit_page(before=int(before) if before.isdigit() else None, head=head or None)
        return page("admin_audit.html", audit=view, given_head=head)


def make_blueprint(cfg: ConsoleConfig, auth: Auth) -> Blueprint:
    views = AdminViews(cfg, Admin(cfg, auth))
    bp = Blueprint("admin", __name__, url_prefix="/admin")
    bp.add_url_rule("/members", "members", lambda: views.members(), methods=["GET"])
    bp.add_url_rule("/members", "add_member", views.add_member, methods=["POST"])
    bp.add_url_rule("/members/<username>/second-factor", "reset_second_factor", views.reset_second_factor,
                    methods=["POST"])
    bp.add_url_rule("/queues", "queues", lambda: views.queues(), methods=["GET"])
    bp.add_url_rule("/queues", "create_queue", views.create_queue, methods=["POST"])
    bp.add_url_rule("/queues/<queue>/grant", "grant", views.grant, methods=["POST"])
    bp.add_url_rule("/queues/<queue>/revoke", "revoke", views.revoke, methods=["POST"])
    bp.add_url_rule("/queues/<queue>/rotate", "rotate", views.rotate, methods=["POST"])
    bp.add_url_rule("/audit", "audit", views.audit, methods=["GET"])
    return bp
