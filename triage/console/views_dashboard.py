"""The dashboard page and its CSV export: the same protected counts, drawn or downloaded."""

from __future__ import annotations

from flask import Blueprint, Response, make_response, request

from triage.console.auth import Auth
from triage.console.config import ConsoleConfig
from triage.console.dashboard import DEFAULT_WEEKS, MAX_WEEKS, Dashboard
from triage.console.dashboard_tables import to_csv
from triage.console.web import page, require_member


def _weeks() -> int | None:
    """The window asked for (?weeks=N), or None when it is not a whole number of 1..MAX_WEEKS."""
    raw = request.args.get("weeks", str(DEFAULT_WEEKS)).strip()
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_WEEKS else None


class DashboardViews:
    def __init__(self, dashboard: Dashboard) -> None:
        self.dashboard = dashboard

    def show(self) -> Response:
        found = require_member()
        weeks = _weeks()
        if weeks is None:
            return page("dashboard.html", 400, error=f"Weeks must be a whole number from 1 to {MAX_WEEKS}.",
                        board=None, max_weeks=MAX_WEEKS, weeks=DEFAULT_WEEKS)
        board = self.dashboard.page(found.keys, weeks=weeks, locale=found.session.locale, action="dashboard")
        return page("dashboard.html", board=board, max_weeks=MAX_WEEKS, weeks=weeks, error="")

    def export(self) -> Response:
        found = require_member()
        weeks = _weeks()
        if weeks is None:
            return make_response(f"weeks must be a whole number from 1 to {MAX_WEEKS}\n", 400,
                                 {"Content-Type": "text/plain; charset=utf-8"})
        board = self.dashboard.page(found.keys, weeks=weeks, locale=found.session.locale, action="dashboard_csv")
        prefix = "training-" if self.dashboard.cfg.training else ""  # a sandbox's counts are not the line's
        return make_response(to_csv(board.tables), 200, {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{prefix}tipline-dashboard-{weeks}w.csv"',
        })


def make_blueprint(cfg: ConsoleConfig, auth: Auth) -> Blueprint:
    views = DashboardViews(Dashboard(cfg, auth))
    bp = Blueprint("dashboard", __name__)
    bp.add_url_rule("/dashboard", "dashboard", views.show, methods=["GET"])
    bp.add_url_rule("/dashboard.csv", "export", views.export, methods=["GET"])
    return bp
