"""Near misses of a reference code in a message: codes typed with a mistake, cut from what is kept.

A near miss gives the real code away to whoever reads the text (a wrong check character is
recomputed, a wrong or missing character is one of a few hundred guesses), so the intake never keeps
one (thief trial, issue 11).  The spans are ``storage.refcodes.mistyped``'s, found in one pass over
the message's words: every message is read here, so a long one must cost no more than its length.
"""

from __future__ import annotations

from storage.refcodes import _DIGIT, _NEAR_LENGTHS, _RUN, MAX_CANDIDATES, Candidate, _joined, _near, _runs


def near_misses(text: str, *, besides: tuple[Candidate, ...] = (), limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """Every code typed with a mistake in ``text`` (``mistyped``'s spans), to cut out of what is kept.

    A near miss gives the real code away to whoever reads the text: a wrong check character is
    recomputed, a wrong or missing character is one of a few hundred guesses.  A span joined to
    another group of 3-6 characters with a digit is part of a longer number ("4111 1111 1111 1111",
    an IBAN), not a code, and stays, as do spans overlapping ``besides`` (the valid codes found).
    First ones first, at most ``limit``.
    """
    runs = _runs(text)
    digits = [_DIGIT.search(text, a, b) is not None for a, b in runs]
    if not any(digits):
        return []
    joined = _joined(text, runs)

    def group(k: int) -> bool:  # a number's group: 3-6 characters with a digit
        return 0 <= k < len(runs) and digits[k] and 3 <= runs[k][1] - runs[k][0] <= 6

    found: list[Candidate] = []
    i = 0
    while i < len(runs) and len(found) < limit:
        j = _span_from(text, runs, joined, digits, i)
        if j is None:
            i += 1
            continue
        start, end = runs[i][0], runs[j][1]
        longer = (joined[i] and group(i - 1)) or (j + 1 < len(runs) and joined[j + 1] and group(j + 1))
        if longer or any(c.start < end and start < c.end for c in besides):
            i += 1  # look again from the span's second word ("code 7KQ2 M9XD 4TRW6")
            continue
        whole = not _RUN.search(text, 0, start) and not _RUN.search(text, end)
        found.append(Candidate(start, end, "", whole))
        i = j + 1
    return found


def _span_from(text: str, runs: list[tuple[int, int]], joined: list[bool], digits: list[bool], i: int) -> int | None:
    """The last word of the near miss that starts at word ``i``, as ``mistyped`` reads it, if one does."""
    length, digit = 0, False
    for j in range(i, min(i + 4, len(runs))):
        if j > i and not joined[j]:
            return None
        length, digit = length + runs[j][1] - runs[j][0], digit or digits[j]
        if digit and _NEAR_LENGTHS[0] <= length <= _NEAR_LENGTHS[1] and _near(text[runs[i][0]:runs[j][1]]):
            return j
    return None
