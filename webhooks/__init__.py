"""The public app's channels: Twilio SMS/WhatsApp and Telegram webhooks, and the outbox sender.

Everything here is built from plain values by the composition root (``tipline/``),
which this package never imports.
"""

from __future__ import annotations

import logging
from typing import Callable

from flask import Flask
from sqlalchemy import Engine

from storage.crypto import ServerSecrets
from triage.intake import IntakeService
from triage.oncall_enrol import OncallEnrol
from webhooks.spooling import Keep

log = logging.getLogger(__name__)


def register_channels(
    app: Flask, *, intake: IntakeService, db: Engine, secrets: ServerSecrets, wake: Callable[[], None],
    twilio_account_sid: str, twilio_auth_token: str, public_base_url: str,
    telegram_bot_token: str, telegram_webhook_secret: str, enrol: OncallEnrol | None = None,
    spool: Keep | None = None, spooled_reply: str = "",
) -> None:
    """Register the blueprint of each configured channel; say which are off and why.

    ``spool`` keeps authenticated messages while the database is away (``webhooks.spooling``);
    ``spooled_reply`` is what an SMS sender is told then.  Without it such messages get 503.
    """
    if not (twilio_account_sid and twilio_auth_token):
        log.warning("SMS channel off: set TIPLINE_TWILIO_ACCOUNT_SID and TIPLINE_TWILIO_AUTH_TOKEN to turn it on")
    elif not public_base_url:
        log.warning(
            "SMS channel off: set TIPLINE_PUBLIC_BASE_URL (the https:// address Twilio calls) so that "
            "Twilio signatures can be checked"
        )
    else:
        from webhooks import twilio_sms

        twilio_sms.register(
            app, intake=intake, auth_token=twilio_auth_token, public_base_url=public_base_url, db=db, secrets=secrets,
            spool=spool, spooled_reply=spooled_reply,
        )
        log.info("SMS channel on: POST /webhooks/twilio/sms")
    if not (telegram_bot_token and telegram_webhook_secret):
        log.warning(
            "Telegram channel off: set TIPLINE_TELEGRAM_BOT_TOKEN and TIPLINE_TELEGRAM_WEBHOOK_SECRET to turn it on"
        )
    else:
        from webhooks import telegram

        app.register_blueprint(telegram.blueprint(intake=intake, secret=telegram_webhook_secret, wake=wake,
                                                  enrol=enrol, spool=spool))
        log.info("Telegram channel on: POST /webhooks/telegram")
