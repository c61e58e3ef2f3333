"""Near misses of a reference code in a message: codes typed with a mistake, cut from what is kept.

A near miss gives the real code away to whoever reads the text (a wrong check character is
recomputed, a wrong or missing character is one of a few hundred guesses), so the intake never keeps
one (thief trial, issue 11).  Finding them is ``storage.refcodes.mistyped``'s scan, repeated.
"""

from __future__ import annotations

import re

from storage.refcodes import _DIGIT, _IGNORED, _RUN, MAX_CANDIDATES, Candidate, mistyped


def near_misses(text: str, *, besides: tuple[Candidate, ...] = (), limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """Every code typed with a mistake in ``text`` (``mistyped``'s spans), to cut out of what is kept.

    A near miss gives the real code away to whoever reads the text: a wrong check character is
    recomputed, a wrong or missing character is one of a few hundred guesses.  A span joined to
    another group of 3-6 characters with a digit is part of a longer number ("4111 1111 1111 1111",
    an IBAN), not a code, and stays, as do spans overlapping ``besides`` (the valid codes found).
    First ones first.
    """
    found: list[Candidate] = []
    at = 0
    while len(found) < limit:
        near = mistyped(text[at:])
        if near is None:
            return found
        start, end = at + near.start, at + near.end
        if _in_longer_number(text, start, end) or any(c.start < end and start < c.end for c in besides):
            first = _RUN.match(text, start)  # look again from the span's second word ("code 7KQ2 M9XD 4TRW6")
            at = first.end() if first is not None else end
            continue
        found.append(Candidate(start, end, "", near.whole))
        at = end
    return found


_JOINERS = "".join(sorted(_IGNORED))
_LAST_RUN = re.compile(r"[0-9A-Za-z]+\Z")


def _in_longer_number(text: str, start: int, end: int) -> bool:
    """Whether the span at ``start:end`` is joined (spaces, dashes, dots) to a number's group: 3-6
    characters with a digit ("10 people" or "MARKER88" next to a code do not make it a number)."""
    left = text[:start].rstrip(_JOINERS)
    before = _LAST_RUN.search(left) if len(left) < start else None
    right = text[end:]
    after = _RUN.match(right, len(right) - len(right.lstrip(_JOINERS))) if right[:1] in _IGNORED else None
    return any(m is not None and 3 <= len(m.group()) <= 6 and _DIGIT.search(m.group()) is not None
               for m in (before, after))
