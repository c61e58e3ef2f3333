"""The JSON API under ``/api/v1/``: log in for a bearer token, the queue, pull, read, give back, log out.

A token is a console session of its own stage (``auth.API``): the member's unwrapped keys are
sealed under a random key that only the token carries, it lasts 15 minutes at most and 5 idle.
Requests carry it as ``Authorization: Bearer``; cookies are ignored here, so CSRF does not apply
(``web.py`` leaves ``/api/`` alone).  Every error is JSON: ``{"error": {"status", "message"}}``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from triage.console import api_json
from triage.console.api_spec import document
from triage.console.auth import API_IDLE_SECONDS, API_SECONDS, Auth, Member, Outcome
from triage.console.config import ConsoleConfig
from triage.console.web import API_PREFIX
from triage.console.work import Work

_LOGIN_REFUSED = {
    Outcome.REFUSED: (401, "That username, passphrase or code is not right. Nothing was opened."),
    Outcome.THROTTLED: (429, "Too many wrong attempts. Wait 15 minutes, then try again."),
    Outcome.ENROL: (403, "Set up your second factor in the staff console first (log in at /login), then use the API."),
}
_NO_TIP = "No tip with that id in your queues."


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error(status: int, message: str) -> Response:
    response = jsonify({"error": {"status": status, "message": message}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tipline"'
    return response


def _json() -> Any:
    """The request's JSON, or None; nesting too deep for the parser is a bad request, not a 500."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def _body() -> dict[str, Any]:
    data = _json()
    if not isinstance(data, dict):
        raise ApiError(422, "Send a JSON object (Content-Type: application/json).")
    return data


def _text_fields(body: dict[str, Any], *names: str) -> list[str]:
    missing = [n for n in names if not isinstance(body.get(n), str) or not body[n]]
    if missing:
        raise ApiError(422, f"These fields are missing or not text: {', '.join(missing)}.")
    if any("\x00" in body[n] for n in names):  # PostgreSQL text cannot hold it: refuse before any query
        raise ApiError(422, "A field holds a NUL character.")
    return [str(body[n]) for n in names]


def _tip_id(tip_id: str) -> str:
    """Tip ids are short and alphanumeric; anything else names no tip (and never reaches a query)."""
    if not (tip_id.isascii() and tip_id.isalnum() and len(tip_id) <= 64):
        raise ApiError(404, _NO_TIP)
    return tip_id


class ApiViews:
    def __init__(self, cfg: ConsoleConfig, auth: Auth) -> None:
        self.cfg = cfg
        self.auth = auth
        self.work = Work(cfg, auth)

    def _member(self) -> Member:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "Send 'Authorization: Bearer <token>'; POST /api/v1/login gives a token.")
        found = self.auth.current(token.strip(), bearer=True)
        if found is None:
            raise ApiError(401, "This token is unknown or has expired (15 minutes, 5 idle). Log in again.")
        return found

    def login(self) -> Response:
        body = _body()
        username, passphrase, code = _text_fields(body, "username", "passphrase", "code")
        locale = body.get("locale", self.cfg.default_locale)
        if locale not in self.cfg.locales:
            raise ApiError(422, f"Unknown locale; use one of: {', '.join(self.cfg.locales)}.")
        outcome, token = self.auth.login(username=username.strip(), passphrase=passphrase, code=code,
                                         client=request.remote_addr or "-", locale=str(locale), api=True)
        if token is None:
            raise ApiError(*_LOGIN_REFUSED[outcome])
        response = jsonify({"token": token, "token_type": "Bearer", "expires_in": int(API_SECONDS),
                            "idle_timeout": int(API_IDLE_SECONDS)})
        response.status_code = 201
        return response

    def logout(self) -> Response:
        found = self._member()
        everywhere = _json() == {"everywhere": True}
        self.auth.logout(found, everywhere=everywhere)
        return jsonify({"logged_out": True, "everywhere": everywhere})

    def queue(self) -> Response:
        return jsonify(api_json.queue(self.work.queue(self._member().keys)))

    def pull_next(self) -> Response:
        return jsonify(api_json.claim(self.work.pull_next(self._member().keys)))

    def tip(self, tip_id: str) -> Response:
        found = self._member()
        locale = request.args.get("locale", found.session.locale)
        if locale not in self.cfg.locales:
            raise ApiError(422, f"Unknown locale; use one of: {', '.join(self.cfg.locales)}.")
        opened = self.work.open(found.keys, self.work.resolve(found.keys, _tip_id(tip_id)), locale=locale)
        if opened is None:  # the same answer for a tip that does not exist and one in another partner's queue
            raise ApiError(404, _NO_TIP)
        return jsonify(api_json.tip(opened.view, opened.claim, opened.mine, locale))

    def release(self, tip_id: str) -> Response:
        found = self._member()
        tip_id = self.work.resolve(found.keys, _tip_id(tip_id))
        if not self.work.sees(found.keys, tip_id):
            raise ApiError(404, _NO_TIP)
        if not self.work.release(found.keys, tip_id):
            raise ApiError(409, "You do not hold this tip (never pulled, given back, or its lease ran out).")
        return jsonify({"released": True, "tip_id": tip_id})


def _http_error(exc: HTTPException) -> HTTPException | Response:
    """Unknown paths, wrong methods, bodies too large: JSON under /api/, the usual page elsewhere."""
    if not request.path.startswith(API_PREFIX) or exc.code is None:
        return exc
    messages = {404: "No such endpoint; GET /api/v1/openapi.json lists them.",
                405: "This endpoint does not take that method; GET /api/v1/openapi.json lists them."}
    return error(exc.code, messages.get(exc.code, exc.description or exc.name))


def make_blueprint(cfg: ConsoleConfig, auth: Auth) -> Blueprint:
    views = ApiViews(cfg, auth)
    bp = Blueprint("api", __name__, url_prefix="/api/v1")
    bp.add_url_rule("/login", "login", views.login, methods=["POST"])
    bp.add_url_rule("/logout", "logout", views.logout, methods=["POST"])
    bp.add_url_rule("/queue", "queue", views.queue, methods=["GET"])
    bp.add_url_rule("/next", "pull_next", views.pull_next, methods=["POST"])
    bp.add_url_rule("/tips/<tip_id>", "tip", views.tip, methods=["GET"])
    bp.add_url_rule("/tips/<tip_id>/release", "release", views.release, methods=["POST"])
    bp.add_url_rule("/openapi.json", "openapi", lambda: jsonify(document()), methods=["GET"])
    bp.register_error_handler(ApiError, lambda exc: error(exc.status, exc.message))
    bp.record_once(lambda state: state.app.register_error_handler(HTTPException, _http_error))
    return bp
