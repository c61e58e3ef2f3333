"""App factories.  The public app faces the internet and holds no key that opens a tip."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify

from storage.health import readiness_problem
from storage.epochs import EpochKeys
from tipline.logs import install_library_guards
from tipline.runtime import Runtime
from tipline.settings import Settings
from triage.oncall_enrol import OncallEnrol

log = logging.getLogger(__name__)


def create_public_app(
    settings: Settings, runtime: Runtime | None = None, *, epoch_keys: EpochKeys | None = None
) -> Flask:
    """The public app: provider webhooks, ``GET /healthz`` (alive) and ``GET /readyz`` (can serve).

    ``epoch_keys`` (else the runtime's) seal the inbound spool: a database outage longer than the
    providers' retries is kept there, not lost.
    """
    rt = runtime or Runtime(settings)
    rt.check_ready()
    app = Flask("tipline.public")
    # Webhook bodies are small; anything larger is refused before it is parsed.
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.extensions["tipline.runtime"] = rt
    rt.intake  # noqa: B018 - build (and validate) the flow before the first request

    _probes(app, rt)

    from webhooks import register_channels
    from tipline import spooling

    install_library_guards()
    s = rt.settings
    register_channels(
        app, intake=rt.intake, db=rt.db, secrets=rt.secrets, wake=rt.wake_sender,
        twilio_account_sid=s.twilio_account_sid, twilio_auth_token=s.twilio_auth_token,
        public_base_url=s.public_base_url, telegram_bot_token=s.telegram_bot_token,
        telegram_webhook_secret=s.telegram_webhook_secret,
        # On-call enrolment seals a chat id to the rota key's public half; this app cannot open it.
        enrol=OncallEnrol(db=rt.db, secrets=rt.secrets, catalogs=rt.engine.catalogs,
                          default_locale=s.default_locale),
        spool=spooling.keeper(rt, epoch_keys), spooled_reply=spooling.spooled_reply(s),
    )
    return app


def _probes(app: Flask, rt: Runtime) -> None:
    """``GET /healthz`` (alive) and ``GET /readyz`` (can serve)."""
    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        # Alive only, no database: a restart would not cure an outage (that is /readyz's to report).
        return jsonify(status="ok"), 200

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        problem = readiness_problem(rt.db, rt.secrets)
        if problem is not None:
            return jsonify(status="unavailable", reason=problem), 503
        return jsonify(status="ready", sms=rt.settings.sms_enabled, telegram=rt.settings.telegram_enabled), 200
