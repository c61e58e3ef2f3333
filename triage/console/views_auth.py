"""Log in (passphrase and second factor), enrol the second factor, log out, choose a language."""

from __future__ import annotations

from flask import Blueprint, Response, request

from triage.console import totp
from triage.console.auth import ENROL, FULL, Auth, Outcome
from triage.console.config import ConsoleConfig
from triage.console.web import (
    COOKIE, LOGIN_COOKIE, clear_cookie, member, new_login_token, page, redirect_to, require_member, set_cookie,
)

_MESSAGES = {
    Outcome.REFUSED: ("That username, passphrase or code is not right. Nothing was opened.", 401),
    Outcome.THROTTLED: ("Too many wrong attempts. Wait 15 minutes, then try again.", 429),
}


class AuthViews:
    def __init__(self, cfg: ConsoleConfig, auth: Auth) -> None:
        self.cfg = cfg
        self.auth = auth

    def _client(self) -> str:
        return request.remote_addr or "-"

    def login_form(self, error: str = "", status: int = 200) -> Response:
        found = member()
        if found is not None and found.session.stage == FULL and not error:
            return redirect_to("queue.queue")
        token = new_login_token()
        response = page("login.html", status, login_token=token, error=error, locales=self.cfg.locales,
                        default_locale=self.cfg.default_locale)
        set_cookie(response, self.cfg, LOGIN_COOKIE, token, max_age=3600)
        return response

    def login(self) -> Response:
        form = request.form
        outcome, cookie = self.auth.login(
            username=form.get("username", "").strip(), passphrase=form.get("passphrase", ""),
            code=form.get("code", ""), client=self._client(), locale=form.get("locale", self.cfg.default_locale),
        )
        if cookie is None:
            message, status = _MESSAGES[outcome]
            return self.login_form(message, status)
        response = redirect_to("auth.enrol_form" if outcome is Outcome.ENROL else "queue.queue")
        set_cookie(response, self.cfg, COOKIE, cookie, max_age=self.cfg.session_seconds)
        clear_cookie(response, self.cfg, LOGIN_COOKIE)
        return response

    def enrol_form(self, error: str = "", status: int = 200) -> Response:
        found = require_member(ENROL)
        secret = found.pending_secret or ""
        return page("enrol.html", status, error=error, secret=secret,
                    qr=totp.qr_svg(totp.provisioning_uri(secret, found.username, training=self.cfg.training)))

    def enrol(self) -> Response:
        found = require_member(ENROL)
        if not self.auth.enrol(found, request.form.get("code", ""), client=self._client()):
            return self.enrol_form("That code does not match. Check the time on your phone and type the new code.",
                                   401)
        return redirect_to("queue.queue")

    def logout(self) -> Response:
        found = member()
        if found is not None:
            self.auth.logout(found, everywhere=request.form.get("everywhere") == "1")
        response = redirect_to("auth.login_form")
        clear_cookie(response, self.cfg, COOKIE)
        return response

    def language(self) -> Response:
        found = require_member()
        self.auth.set_locale(found, request.form.get("locale", ""))
        back = request.form.get("back", "")
        return redirect_to("queue.tip", tip_id=back) if back.isalnum() else redirect_to("queue.queue")


def make_blueprint(cfg: ConsoleConfig, auth: Auth) -> Blueprint:
    views = AuthViews(cfg, auth)
    bp = Blueprint("auth", __name__)
    bp.add_url_rule("/login", "login_form", lambda: views.login_form(), methods=["GET"])
    bp.add_url_rule("/login", "login", views.login, methods=["POST"])
    bp.add_url_rule("/enrol", "enrol_form", lambda: views.enrol_form(), methods=["GET"])
    bp.add_url_rule("/enrol", "enrol", views.enrol, methods=["POST"])
    bp.add_url_rule("/logout", "logout", views.logout, methods=["POST"])
    bp.add_url_rule("/language", "language", views.language, methods=["POST"])
    return bp
