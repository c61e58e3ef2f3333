"""App factories.  The public app faces the internet and holds no key that opens a tip."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify

from storage.db import ping
from storage.epochs import EpochKeys
from tipline.logs import install_library_guards
from tipline.runtime import Runtime
from tipline.settings import Settings

log = logging.getLogger(__name__)


def create_public_app(
    settings: Settings, runtime: Runtime | None = None, *, epoch_keys: EpochKeys | None = None
) -> Flask:
    """The public app: provider webhooks and ``GET /healthz``.

    ``epoch_keys`` (else the runtime's) seal the inbound spool; without them a database outage
    is answered 503 and left to the providers' retries.
    """
    rt = runtime or Runtime(settings)
    rt.check_ready()
    app = Flask("tipline.public")
    # Webhook bodies are small; anything larger is refused before it is parsed.
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.extensions["tipline.runtime"] = rt
    rt.intake  # noqa: B018 - build (and validate) the flow before the first request

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        try:
            ping(rt.db)
        except Exception:  # the health check reports, it does not raise
            log.warning("health check: database unavailable")
            return jsonify(status="unavailable", database="down"), 503
        return jsonify(status="ok", sms=settings.sms_enabled, telegram=settings.telegram_enabled), 200

    from webhooks import register_channels
    from tipline import spooling

    install_library_guards()
    s = rt.settings
    register_channels(
        app, intake=rt.intake, db=rt.db, secrets=rt.secrets, wake=rt.wake_sender,
        twilio_account_sid=s.twilio_account_sid, twilio_auth_token=s.twilio_auth_token,
        public_base_url=s.public_base_url, telegram_bot_token=s.telegram_bot_token,
        telegram_webhook_secret=s.telegram_webhook_secret,
        spool=spooling.keeper(rt, epoch_keys), spooled_reply=spooling.spooled_reply(s),
    )
    return app
