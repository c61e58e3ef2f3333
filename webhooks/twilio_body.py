"""An inbound Twilio ``Body`` that Twilio delivered base64-encoded.

Twilio sometimes hands a concatenated SMS over as a base64 body.  The line decodes it
exactly when RapidPro's courier does (``handlers.DecodePossibleBase64``, applied to
every non-empty TwiML ``Body``), so a reporter's own words are never mistaken for
base64: at least 60 characters once line breaks are removed, a length divisible by
4, nothing but base64 characters, a canonical (strict) encoding, and a decoding that
is at least half ASCII.  Courier counts control characters as ASCII; here they must
also be mostly printable, so random bytes that happen to pass are kept as typed.
Short words such as ``MENU`` or ``aide`` are never touched.
"""

from __future__ import annotations

import base64
import binascii
import re

MIN_LENGTH = 60
MIN_ASCII = 0.5  # courier's share of ASCII characters in the decoding
MIN_PRINTABLE = 0.9
_GROUPS = re.compile(r"(?:[A-Za-z0-9+/=]{4})+")  # courier's base64Regex, without its padding check
_REPLACEMENT = "\ufffd"


def decode_possible_base64(body: str) -> str:
    """``body`` decoded when it is base64 by courier's rule, else ``body`` unchanged."""
    stripped = body.replace("\r", "").replace("\n", "").strip()
    if len(stripped) < MIN_LENGTH or len(stripped) % 4 or not _GROUPS.fullmatch(stripped):
        return body
    try:
        raw = base64.b64decode(stripped, validate=True)
    except (binascii.Error, ValueError):
        return body
    if base64.b64encode(raw).decode("ascii") != stripped:
        return body  # not the strict encoding (stray padding or non-zero trailing bits), as courier's Strict()
    decoded = raw.decode("utf-8", "replace")
    return decoded.replace(_REPLACEMENT, "") if _mostly_text(decoded) else body


def _mostly_text(decoded: str) -> bool:
    if not decoded:
        return False
    ascii_chars = sum(1 for c in decoded if c <= "\x7f")
    printable = sum(1 for c in decoded if c != _REPLACEMENT and (c.isprintable() or c in "\n\r\t"))
    return ascii_chars >= MIN_ASCII * len(decoded) and printable >= MIN_PRINTABLE * len(decoded)
