"""Why an on-call alert did not go out, as a short class staff can act on ("provider refused (HTTP 400)").

Never the provider's message nor the exception's text: both may carry the address. Stored on the
alert's page (``storage.oncall_pages``) and shown on the console's /alerts.
"""

from __future__ import annotations

from telegram import error as tg_error
from twilio.base.exceptions import TwilioRestException

NOT_ENROLLED = "no Telegram chat enrolled"
KEY_MISMATCH = "address does not open with this rota key"

# python-telegram-bot raises by kind, not by status: the status each kind stands for.
_TELEGRAM = (
    (tg_error.InvalidToken, "provider refused the bot token (HTTP 401)"),
    (tg_error.Forbidden, "provider refused (HTTP 403)"),
    (tg_error.BadRequest, "provider refused (HTTP 400)"),
    (tg_error.RetryAfter, "provider rate limit (HTTP 429)"),
    (tg_error.TimedOut, "provider timed out"),
    (tg_error.NetworkError, "provider unreachable or failing"),
)


def reason_of(exc: BaseException) -> str:
    """The class of a failed send, at most 64 characters."""
    if isinstance(exc, TwilioRestException):
        status = int(exc.status or 0)
        if status == 429:
            return "provider rate limit (HTTP 429)"
        return f"provider {'error' if status >= 500 else 'refused'} (HTTP {status})"
    for kind, reason in _TELEGRAM:
        if isinstance(exc, kind):
            return reason
    if isinstance(exc, TimeoutError):
        return "provider timed out"
    if isinstance(exc, OSError):  # requests' connection errors are OSErrors too
        return "provider unreachable"
    return f"send failed ({type(exc).__name__})"[:64]
