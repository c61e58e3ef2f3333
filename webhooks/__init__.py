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
    if not settings.telegram_enabled:
        log.warning(
            "Telegram channel off: set TIPLINE_TELEGRAM_BOT_TOKEN and TIPLINE_TELEGRAM_WEBHOOK_SECRET to turn it on"
        )
