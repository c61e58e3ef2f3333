"""Operations endpoints of the staff app: ``/healthz``, ``/readyz`` and the protected ``/metrics``.

``/metrics`` answers only when the operator configured who may scrape (README, "Health and
metrics"): a peer address inside ``metrics_networks`` or the bearer ``metrics_token``.  With
neither set it does not exist (404), so a console exposed by mistake shows no figures.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, jsonify, make_response, request

from sqlalchemy.exc import SQLAlchemyError

from storage import health, metrics_snapshot
from storage.db import read_only
from triage.console import metrics
from triage.console.config import ConsoleConfig


def _token_ok(cfg: ConsoleConfig) -> bool:
    given = request.headers.get("Authorization", "")
    expected = f"Bearer {cfg.metrics_token}"
    return bool(cfg.metrics_token) and hmac.compare_digest(given.encode(), expected.encode())


def make_blueprint(cfg: ConsoleConfig) -> Blueprint:
    bp = Blueprint("ops", __name__)

    @bp.get("/healthz")
    def healthz() -> tuple[Response, int]:
        return jsonify(status="ok"), 200  # alive: the process answers; the database is /readyz's

    @bp.get("/readyz")
    def readyz() -> tuple[Response, int]:
        problem = health.readiness_problem(cfg.db, cfg.secrets)
        if problem is not None:
            return jsonify(status="unavailable", reason=problem), 503
        return jsonify(status="ready"), 200

    @bp.get("/metrics")
    def scrape() -> Response:
        if not (cfg.metrics_token or cfg.metrics_networks):
            return make_response("not found\n", 404)
        if not (metrics.address_allowed(request.remote_addr, cfg.metrics_networks) or _token_ok(cfg)):
            return make_response("forbidden\n", 403)
        try:
            with read_only(cfg.db) as conn:
                snap = metrics_snapshot.read(conn, now=cfg.clock())
        except (SQLAlchemyError, OSError):  # a scrape reports the outage, it does not raise a 500
            return make_response("database unavailable\n", 503)
        response = make_response(metrics.render(snap))
        response.headers["Content-Type"] = metrics.CONTENT_TYPE
        return response

    return bp


__all__ = ["make_blueprint"]
