"""Words that say "my phone is not safe now" (trial S3): they end the chat as EXIT does.

A reporter whose phone is being watched does not type EXIT; they type "gtg", "someone is
looking at my phone", "ahorita no puedo, viene alguien".  Those phrases (the words file's
``[pause]`` table of every locale) get the same one bland reply as EXIT: what was given is
kept and sealed, nothing of the message is stored as an answer, and coming back resumes.

Phrases are matched as whole words inside a short message (a long one is an account, read as
usual); in scripts written without spaces (Chinese, Japanese, Thai) as part of the text.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from bot.langscript import letters

_DENSE = ("han", "kana", "hangul", "thai")  # scripts written without spaces between words

# A message longer than this tells something: it is read as an answer or an account, even if
# it mentions someone watching ("the boss is watching them all day and keeps their papers").
PAUSE_MAX_WORDS = 12


@lru_cache(maxsize=64)
def _longest_first(phrases: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted((_fold(p) for p in phrases), key=len, reverse=True))


def _fold(text: str) -> str:
    """Accents off Latin letters ("están" -> "estan"): hurried typing drops them, the lists
    may too.  Marks on other scripts (Devanagari vowel signs, Thai tones) are the word's own."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and out and out[-1].isascii():
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


@lru_cache(maxsize=64)
def _dense(phrase: str) -> bool:
    """A phrase in a script without spaces between words: matched inside the text."""
    counts = letters(phrase).counts
    return any(counts[s] for s in _DENSE)


def pause_rest(phrases: tuple[str, ...], tokens: list[str]) -> list[str] | None:
    """The words besides the pause phrases of a short message holding one, else None.

    ``phrases`` and ``tokens`` are canonical (``bot.words.canon``): "sorry not safe now, someone
    is looking at my phone" -> [] ("sorry" is a filler here); "gtg they are beating her" ->
    ["they", "are", "beating", "her"], still read for emergency words.
    """
    if not tokens or not phrases or len(tokens) > PAUSE_MAX_WORDS:
        return None
    text = f" {_fold(' '.join(tokens))} "
    found = False
    for phrase in _longest_first(phrases):  # "not safe now" before "not safe"
        needle = phrase if _dense(phrase) else f" {phrase} "
        if needle in text:
            found = True
            text = text.replace(needle, " ")
    return text.split() if found else None
