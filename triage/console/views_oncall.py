"""On-call pages: the rota (admins only) and the open P1 alerts with their acknowledge buttons."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from storage.oncall import CHANNELS, RotaError
from triage.console.auth import Auth, Member
from triage.console.config import ConsoleConfig
from triage.console.oncall_work import OncallWork
from triage.console.web import page, redirect_to, require_member

_NOTES = {
    "added": "Added to the rota.", "removed": "Removed from the rota.", "moved": "The rota order changed.",
    "acked": "Acknowledged: nobody else is alerted about this tip.",
}


class OncallViews:
    def __init__(self, cfg: ConsoleConfig, work: OncallWork) -> None:
        self.cfg = cfg
        self.work = work

    def _admin(self) -> Member:
        found = require_member()
        if not found.keys.is_admin:
            # The same answer as the other admin pages (views_admin): the rota is the admins' business.
            abort(page("forbidden.html", 403))
        return found

    def _rota_page(self, status: int = 200, *, error: str = "", link: str = "", linked: str = "") -> Response:
        return page("oncall.html", status, rota=self.work.rota(), channels=CHANNELS, locales=self.cfg.locales,
                    default_locale=self.cfg.default_locale, note=_NOTES.get(request.args.get("note", ""), ""),
                    error=error, link=link, linked=linked, form=request.form,
                    unreachable=self.cfg.oncall_unreachable)

    def rota(self) -> Response:
        self._admin()
        return self._rota_page()

    def add(self) -> Response:
        found = self._admin()
        form = request.form
        try:
            self.work.add(found.keys, name=form.get("name", ""), channel=form.get("channel", ""),
                          address=form.get("address", ""), locale=form.get("locale", self.cfg.default_locale))
        except RotaError as exc:
            return self._rota_page(400, error=str(exc))
        return redirect_to("oncall.rota", note="added")

    def change(self, member_id: str) -> Response:
        found = self._admin()
        action = request.form.get("action", "")
        if action == "link":
            try:
                link = self.work.link(found.keys, member_id)
            except RotaError as exc:
                return self._rota_page(400, error=str(exc))
            # Shown once in this response, never put in a URL.
            return self._rota_page(link=link, linked=member_id)
        if action == "remove":
            done, note = self.work.remove(found.keys, member_id), "removed"
        elif action in ("up", "down"):
            done, note = self.work.move(found.keys, member_id, delta=-1 if action == "up" else 1), "moved"
        else:
            return self._rota_page(400, error="Choose up, down, remove or a new link.")
        return redirect_to("oncall.rota", note=note if done else "")

    def alerts(self) -> Response:
        found = require_member()
        return page("alerts.html", alerts=self.work.alerts(found.keys),
                    note=_NOTES.get(request.args.get("note", ""), ""))

    def acknowledge(self, tip_id: str) -> Response:
        found = require_member()
        if not self.work.acknowledge(found.keys, tip_id):
            return page("missing.html", 404)
        return redirect_to("oncall.alerts", note="acked")


def make_blueprint(cfg: ConsoleConfig, auth: Auth) -> Blueprint:
    views = OncallViews(cfg, OncallWork(cfg, auth))
    bp = Blueprint("oncall", __name__)
    bp.add_url_rule("/oncall", "rota", views.rota, methods=["GET"])
    bp.add_url_rule("/oncall/people", "add", views.add, methods=["POST"])
    bp.add_url_rule("/oncall/people/<member_id>", "change", views.change, methods=["POST"])
    bp.add_url_rule("/alerts", "alerts", views.alerts, methods=["GET"])
    bp.add_url_rule("/alerts/<tip_id>/ack", "acknowledge", views.acknowledge, methods=["POST"])
    return bp
