"""Logging set-up: events and opaque ids only, with a redacting filter as a second line.

Code in this project never passes message text, addresses, chat ids, codes,
tokens or keys to a logger.  Libraries are less careful: httpx logs request URLs
at INFO (a Telegram URL carries the bot token), python-telegram-bot logs update
bodies at DEBUG.  So their loggers are held at WARNING, and every record passes
through ``RedactingFilter``, which also scrubs exception text and tracebacks.
"""

from __future__ import annotations

import json
import logging
import re
import sys

# Bot tokens (123456:AA...), long digit runs (phone numbers, chat ids), E.164
# numbers, whatsapp: addresses, Twilio SIDs and Crockford-looking reference codes.
_C = "[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]"  # one Crockford base32 character, either case
_PATTERNS = [
    re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}"),  # no \b: in URLs the token follows "/bot"
    # A number stands on its own: not inside a hex id (a tip id's "4567890" is no phone number),
    # but right after a URL escape ("%2B1555...") it is.  IPv4 addresses are kept (``_kept``).
    re.compile(r"(?:whatsapp:)?(?:(?<![0-9A-Za-z])|(?<=%[0-9A-Fa-f]{2}))\+?\d[\d\s().-]{5,}\d(?![0-9A-Za-z])"),
    re.compile(r"\b(?:SM|MM|AC|PN|MG)[0-9a-fA-F]{32}\b"),
    # Reference codes however they are written: 4-4-5 Crockford characters (no I, L, O,
    # U, which keeps most words out) with dashes, spaces, dots or underscores between the
    # groups, or none, in any case; and the older 4-4-4 form.
    re.compile(rf"\b{_C}{{4}}[\s._-]{{0,3}}{_C}{{4}}[\s._-]{{0,3}}{_C}{{5}}\b"),
    re.compile(r"\b[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4,5}\b"),
    re.compile(rf"\b{_C}{{4}}[\s._-]{{1,3}}{_C}{{4}}[\s._-]{{1,3}}{_C}{{4}}\b"),
]
_NOISY = ("httpx", "httpcore", "telegram", "telegram.ext", "twilio", "twilio.http_client", "urllib3", "aiohttp")


def redact(text: str, secret_values: tuple[str, ...] = ()) -> str:
    """``text`` with tokens, numbers, codes and the given secret values cut out."""
    # Secrets by value first: a webhook secret or an auth token has no shape to match.
    for value in sorted(secret_values, key=len, reverse=True):
        text = text.replace(value, "[redacted]")
    for pattern in _PATTERNS:
        text = pattern.sub(_kept, text)
    return text


# Four dot-separated groups of one to three digits: an IPv4 address (a host in a URL the
# operator must read, as in the signature-failure hint), never a phone number or a chat id.
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def _kept(match: re.Match[str]) -> str:
    return match.group() if _IPV4.fullmatch(match.group()) else "[redacted]"


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (with its arguments) and exception text."""

    def __init__(self, secret_values: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secret_values = tuple(v for v in secret_values if v)

    def __repr__(self) -> str:
        return "RedactingFilter(<secrets>)"

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not take the log line down
            message = str(record.msg)
        record.msg = redact(message, self.secret_values)
        record.args = None
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted, self.secret_values)
            # The formatted text above replaces the traceback; drop the raw exception so
            # no handler formats it again with its unredacted message.
            record.exc_info = None
        return True


# What every LogRecord carries; anything else was passed as ``extra=`` (context fields: ids, counts).
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
FORMATS = ("text", "json")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the ``extra=`` context fields and
    any (already redacted) traceback.  Context values are redacted like the message."""

    def __init__(self, secret_values: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secret_values = secret_values

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
            "logger": record.name, "message": record.getMessage(),
        }
        line.update(context(record, self.secret_values))
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message key=value ...``: the context fields stay on the line."""

    def __init__(self, secret_values: tuple[str, ...] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secret_values = secret_values

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = context(record, self.secret_values)
        if not fields:
            return text
        head, sep, tail = text.partition("\n")  # a traceback stays below the line
        pairs = " ".join(f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in fields.items())
        return f"{head} {pairs}{sep}{tail}"


def context(record: logging.LogRecord, secret_values: tuple[str, ...] = ()) -> dict[str, object]:
    """The ``extra=`` fields of a record as JSON values, every string redacted."""
    return {key: _plain(value, secret_values) for key, value in vars(record).items()
            if key not in _RECORD_FIELDS and not key.startswith("_")}


def _plain(value: object, secret_values: tuple[str, ...]) -> object:
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {redact(str(k), secret_values): _plain(v, secret_values) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v, secret_values) for v in value]
    return redact(str(value), secret_values)


def configure_logging(level: str = "INFO", stream: object = None, secret_values: tuple[str, ...] = (),
                      fmt: str = "text") -> None:
    """Log to ``stream`` (stderr) through the redacting filter, as text or JSON lines (``fmt``);
    ``secret_values`` (the configured tokens and webhook secret) are cut wherever they appear."""
    root = logging.getLogger()
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(JsonFormatter(secret_values) if fmt == "json" else TextFormatter(secret_values))
    handler.addFilter(RedactingFilter(secret_values))
    root.handlers[:] = [handler]
    root.setLevel(level)
    install_library_guards(secret_values)


def install_library_guards(secret_values: tuple[str, ...] = ()) -> None:
    """Hold chatty libraries at WARNING and redact whatever they still emit."""
    for name in _NOISY:
        lib = logging.getLogger(name)
        lib.setLevel(logging.WARNING)
        existing = [f for f in lib.filters if isinstance(f, RedactingFilter)]
        if existing:  # called again (by the clients): keep the secrets it already knows
            existing[0].secret_values = tuple(dict.fromkeys(existing[0].secret_values + secret_values))
        else:
            lib.addFilter(RedactingFilter(secret_values))
