"""Request plumbing shared by the console's views: the member, CSRF, cookies, headers."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import Flask, Response, abort, g, make_response, redirect, render_template, request, url_for

from triage.console.auth import ENROL, FULL, Auth, Member
from triage.console.config import ConsoleConfig

COOKIE = "tipline_console"
LOGIN_COOKIE = "tipline_console_login"  # double-submit token of the login form (no session yet)
API_PREFIX = "/api/"

# Tip pages must never be cached, framed, or leak their URL to another site.
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def member() -> Member | None:
    found: Member | None = g.get("member")
    return found


def require_member(stage: str = FULL) -> Member:
    """The logged-in member at ``stage``; otherwise the request ends (redirect to log in)."""
    found = member()
    if found is None:
        abort(redirect_to("auth.login_form"))
    if found.session.stage != stage:
        abort(redirect_to("auth.enrol_form" if found.session.stage == ENROL else "queue.queue"))
    return found


def redirect_to(endpoint: str, **values: Any) -> Response:
    return make_response(redirect(url_for(endpoint, **values), code=303))


def page(template: str, status: int = 200, **context: Any) -> Response:
    return make_response(render_template(template, member=member(), **context), status)


def set_cookie(response: Response, cfg: ConsoleConfig, name: str, value: str, max_age: float) -> None:
    response.set_cookie(name, value, max_age=int(max_age), httponly=True, samesite="Strict",
                        secure=cfg.secure_cookies, path="/")


def clear_cookie(response: Response, cfg: ConsoleConfig, name: str) -> None:
    response.delete_cookie(name, httponly=True, samesite="Strict", secure=cfg.secure_cookies, path="/")


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


def _csrf_ok(expected: str | None) -> bool:
    given = request.form.get("csrf", "")
    return bool(expected) and hmac.compare_digest(given.encode(), str(expected).encode())


def install(app: Flask, cfg: ConsoleConfig, auth: Auth) -> None:
    """Load the member before each request, refuse a POST without its form token, add headers."""

    @app.before_request
    def _load() -> None:
        if request.path.startswith(API_PREFIX):
            return  # the JSON API takes a bearer token and no cookie, so no form token either (views_api.py)
        g.member = auth.current(request.cookies.get(COOKIE))
        if request.method != "POST":
            return
        found = member()
        # The login form is sent before any session exists: it carries a double-submit token instead.
        logging_in = found is None or request.endpoint == "auth.login"
        expected = request.cookies.get(LOGIN_COOKIE) if logging_in or found is None else found.session.csrf_token
        if not _csrf_ok(expected):
            abort(make_response(render_template("refused.html", member=found), 400))

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.update(_HEADERS)
        return response
