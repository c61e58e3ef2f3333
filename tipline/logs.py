"""Logging set-up: events and opaque ids only, with a redacting filter as a second line.

Code in this project never passes message text, addresses, chat ids, codes,
tokens or keys to a logger.  Libraries are less careful: httpx logs request URLs
at INFO (a Telegram URL carries the bot token), python-telegram-bot logs update
bodies at DEBUG.  So their loggers are held at WARNING, and every record passes
through ``RedactingFilter``, which also scrubs exception text and tracebacks.
"""

from __future__ import annotations

import logging
import re
import sys

# Bot tokens (123456:AA...), long digit runs (phone numbers, chat ids), E.164
# numbers, whatsapp: addresses, Twilio SIDs and Crockford-looking reference codes.
_PATTERNS = [
    re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}"),  # no \b: in URLs the token follows "/bot"
    re.compile(r"(?:whatsapp:)?\+?\d[\d\s().-]{5,}\d"),
    re.compile(r"\b(?:SM|MM|AC|PN|MG)[0-9a-fA-F]{32}\b"),
    re.compile(r"\b[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4,5}\b"),
]
_NOISY = ("httpx", "httpcore", "telegram", "telegram.ext", "twilio", "twilio.http_client", "urllib3", "aiohttp")


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub("[redacted]", text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (with its arguments) and exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not take the log line down
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted)
            # The formatted text above replaces the traceback; drop the raw exception so
            # no handler formats it again with its unredacted message.
            record.exc_info = None
        return True


def configure_logging(level: str = "INFO", stream: object = None) -> None:
    root = logging.getLogger()
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.handlers[:] = [handler]
    root.setLevel(level)
    install_library_guards()


def install_library_guards() -> None:
    """Hold chatty libraries at WARNING and redact whatever they still emit."""
    for name in _NOISY:
        lib = logging.getLogger(name)
        lib.setLevel(logging.WARNING)
        if not any(isinstance(f, RedactingFilter) for f in lib.filters):
            lib.addFilter(RedactingFilter())
