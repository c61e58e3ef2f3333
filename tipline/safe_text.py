"""Text a reporter wrote, made safe to print on a staff member's terminal.

Anything a reporter typed reaches staff views (``tips show``, questions, the
outbox).  A terminal obeys control characters: ESC starts sequences that clear
the screen, retitle the window or move the cursor, CR and backspace overwrite what
was printed (a fake "Priority P4" line), and bidi overrides reorder what the eye
reads.  Every staff-facing output passes through ``shown``, which prints such
characters as visible escapes (``\\x1b``, ``\\u202e``) instead of obeying them.
"""

from __future__ import annotations

import unicodedata

# Unicode format characters that reorder or hide text: bidi embeddings, overrides and
# isolates, marks, and zero-width joiners/spaces.  Category Cf covers them all (and the
# BOM, soft hyphen and tag characters, which are just as invisible).
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in _ESCAPED_CATEGORIES


def shown(value: object) -> str:
    """``value`` as one line of text, every control, format, surrogate or unassigned character escaped.

    Line breaks are escaped too: a reporter's "\\n" must not start a line that looks like
    ours.  Never raises: a lone surrogate is escaped like the rest.
    """
    text = value if isinstance(value, str) else str(value)
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")  # so a "\\x1b" a reporter typed is not mistaken for one we made
        elif _unsafe(char):
            out.append(_escape(char))
        else:
            out.append(char)
    return "".join(out)


def json_shown(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with the characters ``json``
    leaves raw but a terminal obeys (C1 controls such as CSI, bidi overrides, lone
    surrogates) written as JSON escapes, so the document parses to the same value.  Line
    breaks are left alone: inside strings ``json`` has escaped them already, the rest is indent."""
    return "".join(_json_escape(c) if c != "\n" and _unsafe(c) else c for c in text)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
