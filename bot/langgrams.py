"""langdetect's n-grams of a text, cut without a Python loop per character (issue 11).

``NGram.add_char`` keeps the last three characters of the current word, a space before it;
after each character it offers the last one, two and three of them, and none while a word is
in capitals (from its second capital letter in a row on).  Equivalently, once the text is
normalised and its runs of spaces are one space: at every position, the piece of one, two and
three characters ending there, except pieces with a space inside (those straddle two words;
the model never holds them) and the lone space; and nothing at a capital that follows a
capital.  ``candidates`` yields exactly those pieces, plus straddling ones and empty strings
that no profile holds, in ``add_char``'s order.
"""

from __future__ import annotations

from operator import add

from langdetect.utils.ngram import NGram

# Long texts add nothing to a decision but time: score the first characters only.
MAX_CHARS = 120


class _Normaliser(dict[int, str]):
    """``NGram.normalize`` as a ``str.translate`` table, filled as characters are first seen
    (at most one entry per distinct character read, like the ``cache`` it replaces)."""

    def __missing__(self, code: int) -> str:
        found: str = NGram.normalize(chr(code))
        self[code] = found
        return found


class _Capitals(dict[int, str]):
    """A ``str.translate`` table: "1" for a capital letter, "0" for any other character."""

    def __missing__(self, code: int) -> str:
        found = "1" if chr(code).isupper() else "0"
        self[code] = found
        return found


_NORMALISER = _Normaliser()
_CAPITALS = _Capitals()


def candidates(text: str) -> list[str]:
    """Every piece ``add_char`` could read from ``text``, in its order (see the module doc)."""
    normal = text[:MAX_CHARS].translate(_NORMALISER)
    padded = " " + " ".join(filter(None, normal.split(" ")))
    if normal.endswith(" ") and len(padded) > 1:
        padded += " "
    ones = padded[1:]
    twos = list(map(add, padded, ones))  # twos[k] ends where ones[k] does, threes[k] at ones[k + 1]
    found = [""] * (3 * len(ones))
    found[::3] = ones
    found[1::3] = twos
    found[5::3] = map(add, twos, ones[1:])
    capitals = padded.translate(_CAPITALS)
    k = capitals.find("11")
    while k >= 0:  # the second of two capitals in a row (k in ``ones`` is k + 1 in ``padded``)
        found[3 * k:3 * k + 3] = "", "", ""
        k = capitals.find("11", k + 1)
    return found
