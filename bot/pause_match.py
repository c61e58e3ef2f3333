"""The pause phrases of a ``PauseWords`` table compiled once for the hot path (``bot.pause``).

Every message in a conversation is read for a pause, against every pause phrase of every
enabled locale (hundreds).  Cutting them one by one, each a substring test, was a tenth of the
web workers' time.  The cut itself is unchanged (``Cutter.cut`` gives what cutting every phrase,
longest first, gives); only phrases that cannot be in the text are skipped, for reasons that
hold whatever was cut before them:

- a spaced phrase (" i have to go ") needs its first word as a whole word of the text; a cut
  replaces a phrase by a space, so without a dense-script cut no new word ever appears and the
  message's own words are all there is to look up;
- a dense-script phrase ("有人来了", matched inside words) holds a Han, kana, Hangul or Thai letter
  and a cut never adds a letter: a text without one skips them all.  A dense cut may leave new
  words ("有人来了吗" -> " 吗"), so after one the text's words are read again.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Mapping

from bot.langscript import letters

DENSE_SCRIPTS = ("han", "kana", "hangul", "thai")  # scripts written without spaces between words


def fold(text: str) -> str:
    """Accents off Latin letters ("están" -> "estan"): hurried typing drops them, the lists
    may too.  Marks on other scripts (Devanagari vowel signs, Thai tones) are the word's own."""
    if text.isascii():  # nothing to fold: nearly every message
        return text
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and out and out[-1].isascii():
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def is_dense(text: str) -> bool:
    """Whether ``text`` holds a letter of a script written without spaces between words."""
    if text.isascii():
        return False
    counts = letters(text).counts
    return any(counts[s] for s in DENSE_SCRIPTS)


@dataclass(frozen=True)
class Cutter:
    """Phrases in cutting order (longest first), each as the needle searched for in the text."""

    needles: tuple[tuple[str, str | None], ...]  # (needle, first word; None for a dense phrase)
    by_first: Mapping[str, tuple[int, ...]]  # a spaced phrase's first word -> its places in ``needles``

    @classmethod
    def of(cls, phrases: tuple[str, ...]) -> "Cutter":
        needles: list[tuple[str, str | None]] = []
        by_first: dict[str, list[int]] = {}
        for phrase in sorted((fold(p) for p in phrases), key=len, reverse=True):  # "not safe now" first
            if is_dense(phrase):
                needles.append((phrase, None))
            else:
                first = phrase.split(" ", 1)[0]
                by_first.setdefault(first, []).append(len(needles))
                needles.append((f" {phrase} ", first))
        return cls(tuple(needles), {w: tuple(at) for w, at in by_first.items()})

    def cut(self, text: str, dense: bool) -> tuple[str, bool]:
        """``text`` (folded, padded with spaces) without the phrases, and whether one was there;
        ``dense``: whether ``text`` holds a dense-script letter (``is_dense``)."""
        if dense:
            return self._cut_dense(text)
        found = False
        places = sorted({at for word in text.split() for at in self.by_first.get(word, ())})
        for at in places:
            needle = self.needles[at][0]
            while needle in text:
                found = True
                text = text.replace(needle, " ")
        return text, found

    def _cut_dense(self, text: str) -> tuple[str, bool]:
        found = False
        words = set(text.split())
        for needle, first in self.needles:
            if first is not None and first not in words:
                continue
            cut = False
            while needle in text:
                found = cut = True
                text = text.replace(needle, " ")
            if cut and first is None:  # a cut inside a word may leave new words
                words = set(text.split())
        return text, found
