"""The public app's channels: Twilio SMS/WhatsApp and Telegram webhooks, and their senders."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask

if TYPE_CHECKING:
    from tipline.runtime import Runtime

log = logging.getLogger(__name__)


def register_channels(app: Flask, runtime: "Runtime") -> None:
    """Register the blueprint of each configured channel; say which are off and why."""
    settings = runtime.settings
    if not settings.sms_enabled:
        log.warning("SMS channel off: set TIPLINE_TWILIO_ACCOUNT_SID and TIPLINE_TWILIO_AUTH_TOKEN to turn it on")
    elif not settings.public_base_url:
        log.warning(
            "SMS channel off: set TIPLINE_PUBLIC_BASE_URL (the https:// address Twilio calls) so that "
            "Twilio signatures can be checked"
        )
    else:
        from webhooks import twilio_sms

        app.register_blueprint(twilio_sms.blueprint(runtime))
        log.info("SMS channel on: POST /webhooks/twilio/sms")
    if not settings.telegram_enabled:
        log.warning(
            "Telegram channel off: set TIPLINE_TELEGRAM_BOT_TOKEN and TIPLINE_TELEGRAM_WEBHOOK_SECRET to turn it on"
        )
    else:
        from webhooks import telegram

        app.register_blueprint(telegram.blueprint(runtime))
        log.info("Telegram channel on: POST /webhooks/telegram")
