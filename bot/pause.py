"""Words that say "my phone is not safe now" (trial S3): they end the chat as EXIT does.

A reporter whose phone is being watched does not type EXIT; they type "gtg", "someone is
looking at my phone", "ahorita no puedo, viene alguien".  Those phrases (the words file's
``[pause]`` table of every locale) get the same one bland reply as EXIT: what was given is
kept and sealed, nothing of the message is stored as an answer, and coming back resumes.

A pause must be what the message *is*, not a phrase inside an account (retrial R1: "I have to go
to work there every day", "my boss is watching the workers all day", "老板说有人来了就让她们躲起来"
ended the chat and lost the account).  So a ``phrases`` entry counts only when it and the table's
``filler`` ("sorry", "ok", "now", "no es seguro") make up the whole message; only a ``phone`` entry,
about the phone or the texting itself ("someone is looking at my phone", "gtg"), counts anywhere in
a short message.  In scripts written without spaces (Chinese, Japanese, Thai) phrases are matched
inside the text and the same rule holds for the characters left over.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping

from bot.langscript import letters

_DENSE = ("han", "kana", "hangul", "thai")  # scripts written without spaces between words

# A message longer than this tells something: it is read as an answer or an account, even if
# it mentions someone watching ("the boss is watching them all day and keeps their papers").
# Two characters of a dense script count as one word here.
PAUSE_MAX_WORDS = 12


@dataclass(frozen=True)
class PauseWords:
    """One or more locales' ``[pause]`` tables: whole-message phrases, phone phrases, filler."""

    phrases: tuple[str, ...] = ()  # "i have to go", "有人来了": only as (nearly) the whole message
    phone: tuple[str, ...] = ()  # "someone is looking at my phone": anywhere in a short message
    filler: tuple[str, ...] = ()  # "sorry", "now": may stand beside a phrase, never a pause alone

    @classmethod
    def from_table(cls, table: Mapping[str, Any], read: Callable[[Any], tuple[str, ...]]) -> "PauseWords":
        return cls(read(table.get("phrases")), read(table.get("phone")), read(table.get("filler")))

    @classmethod
    def merge(cls, items: Iterable["PauseWords"]) -> "PauseWords":
        words = list(items)
        return cls(*(tuple(dict.fromkeys(w for p in words for w in getattr(p, name)))
                     for name in ("phrases", "phone", "filler")))

    @property
    def all(self) -> tuple[str, ...]:
        """Every phrase that can end the chat (filler cannot)."""
        return self.phrases + self.phone


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


@lru_cache(maxsize=4096)
def _dense(phrase: str) -> bool:
    """A phrase in a script without spaces between words: matched inside the text."""
    counts = letters(phrase).counts
    return any(counts[s] for s in _DENSE)


def _size(tokens: list[str]) -> int:
    """The message's length in words, two characters of a dense script counting as one."""
    return sum(max(1, len(t) // 2) if _dense(t) else 1 for t in tokens)


def _cut(text: str, phrases: tuple[str, ...]) -> tuple[str, bool]:
    """``text`` (padded with spaces) without ``phrases``, and whether one was there."""
    found = False
    for phrase in _longest_first(phrases):  # "not safe now" before "not safe"
        needle = phrase if _dense(phrase) else f" {phrase} "
        while needle in text:
            found = True
            text = text.replace(needle, " ")
    return text, found


def pause_rest(words: PauseWords, tokens: list[str]) -> list[str] | None:
    """The words besides the pause phrases of a message that is a pause, else None.

    ``tokens`` are canonical (``bot.words.canon``): "sorry not safe now, someone is looking at my
    phone" -> [] ("sorry", "now" are filler); "gtg they are beating her" -> ["they", "are",
    "beating", "her"], still read for emergency words; "I have to go to work there every day" ->
    None (an account that holds a pause phrase).
    """
    if not tokens or not words.all or _size(tokens) > PAUSE_MAX_WORDS:
        return None
    text, phone = _cut(f" {_fold(' '.join(tokens))} ", words.phone)
    text, said = _cut(text, words.phrases)
    if phone:  # about the phone itself: leave; the rest is still read for emergency words
        return text.split()
    if not said:
        return None
    left, _ = _cut(text, words.filler)
    return [] if not left.split() else None
