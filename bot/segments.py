"""SMS segment counting by the characters actually used (3GPP TS 23.038, CHANNELS C7).

One character outside the GSM-7 default alphabet and its extension table turns the
whole message into UCS-2, so a single curly quote can triple the cost of a reply.
"""

from __future__ import annotations

# GSM 03.38 default alphabet (basic table), as Unicode characters.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs two septets (escape + character).
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

MAX_SEGMENTS = 3


_GSM7_ALL = GSM7_BASIC | GSM7_EXTENDED


def is_gsm7(text: str) -> bool:
    # A set difference runs in C: this is on every reply's path.
    return not set(text) - _GSM7_ALL


def _extended_count(text: str) -> int:
    return sum(text.count(c) for c in GSM7_EXTENDED)


def segments(text: str) -> int:
    """Number of SMS segments ``text`` needs (GSM-7 160/153, UCS-2 70/67)."""
    if is_gsm7(text):
        single, multi, length = 160, 153, len(text) + _extended_count(text)
    else:
        single, multi, length = 70, 67, len(text.encode("utf-16-le")) // 2
    if length <= single:
        return 1
    return -(-length // multi)


def fits(text: str, max_segments: int = MAX_SEGMENTS) -> bool:
    return segments(text) <= max_segments
