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

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Iterable, Mapping

from bot.pause_match import Cutter, fold, is_dense

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

    # Each list compiled once (``bot.pause_match``): a message is read against hundreds of phrases.
    @cached_property
    def _cut_phone(self) -> Cutter:
        return Cutter.of(self.phone)

    @cached_property
    def _cut_phrases(self) -> Cutter:
        return Cutter.of(self.phrases)

    @cached_property
    def _cut_filler(self) -> Cutter:
        return Cutter.of(self.filler)


def _size(tokens: list[str], dense: bool) -> int:
    """The message's length in words, two characters of a dense script counting as one."""
    if not dense:  # no dense-script letter in any word: one word each
        return len(tokens)
    return sum(max(1, len(t) // 2) if is_dense(t) else 1 for t in tokens)


def pause_rest(words: PauseWords, tokens: list[str]) -> list[str] | None:
    """The words besides the pause phrases of a message that is a pause, else None.

    ``tokens`` are canonical (``bot.words.canon``): "sorry not safe now, someone is looking at my
    phone" -> [] ("sorry", "now" are filler); "gtg they are beating her" -> ["they", "are",
    "beating", "her"], still read for emergency words; "I have to go to work there every day" ->
    None (an account that holds a pause phrase).
    """
    if not tokens or not (words.phrases or words.phone):
        return None
    said_text = " ".join(tokens)
    if _size(tokens, is_dense(said_text)) > PAUSE_MAX_WORDS:
        return None
    folded = fold(said_text)
    dense = is_dense(folded)
    text, phone = words._cut_phone.cut(f" {folded} ", dense)
    text, said = words._cut_phrases.cut(text, dense)
    if phone:  # about the phone itself: leave; the rest is still read for emergency words
        return text.split()
    if not said:
        return None
    left, _ = words._cut_filler.cut(text, dense)
    return [] if not left.split() else None
