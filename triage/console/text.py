"""Reporters' words made safe to show: the idea of ``tipline/safe_text.py`` for HTML pages.

Jinja's autoescape stops markup; this stops what autoescape lets through and a reader's
eye obeys: control characters, bidi overrides that reorder a line, zero-width and other
invisible characters.  They are shown as visible escapes (``\\x1b``, ``\\u202e``).  Line
breaks stay (the page shows them as breaks; they cannot fake a line of ours in HTML).
"""

from __future__ import annotations

import unicodedata

_ESCAPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_KEPT = frozenset({"\n", "\t"})


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible(value: object) -> str:
    """``value`` with every control, format, surrogate or unassigned character written as an escape."""
    text = value if isinstance(value, str) else str(value)
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")  # a "\\x1b" the reporter typed stays distinguishable from one we wrote
        elif char not in _KEPT and unicodedata.category(char) in _ESCAPED:
            out.append(_escape(char))
        else:
            out.append(char)
    return "".join(out)
