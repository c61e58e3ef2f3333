"""Whether an on-call alert can go out on a channel with this deployment's provider settings.

Shown instead of "ready" by `tipline oncall list` and the console's `/oncall`: a rota of people
nobody can reach must look broken, not ready.
"""

from __future__ import annotations

from tipline.settings import Settings


def unreachable(settings: Settings, channel: str) -> str:
    """Why no alert can go out on ``channel`` ("" when it can)."""
    if channel == "sms" and not (settings.sms_enabled and settings.twilio_from):
        return "SMS provider not configured"
    if channel == "telegram" and not settings.telegram_bot_token:
        return "Telegram bot not configured"
    return ""
