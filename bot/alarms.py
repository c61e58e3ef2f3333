"""Reading emergency words in a message, one locale's rules at a time (INTAKE decision 12).

Each locale's words file says how its danger words sit in a sentence: between spaces
(English, Spanish), inside longer runs of letters for scripts written without spaces
(Chinese, Thai: ``match = "inside"``), or as a stem with endings attached (Korean:
``match = "stem"``, "위험" in "위험해요").  Negation comes before the word in most
languages ("nobody in danger"); some also negate after it ("위험하지 않아요", "not dangerous"),
which the file lists as ``negation_after``.  A reporter's words are read with their own
locale's rules and English's, each by its own rules, so a zh phrase is found inside a
sentence while an English one still needs its spaces.
"""

from __future__ import annotations

from functools import cached_property
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Iterable, Mapping


class Alarm(StrEnum):
    NONE = "none"  # no emergency word
    DANGER = "danger"  # words that say someone is in danger (P1, the alert)
    NEGATED = "negated"  # danger words, every one negated: "nobody is in danger"
    UNCLEAR = "unclear"  # emergency words that do not say danger: "help" in a sentence
    NUMBER = "number"  # the message is only an emergency number


class Match(StrEnum):
    WORDS = "words"  # a phrase is whole tokens
    STEM = "stem"  # a phrase of two letters or more may start a token (endings attached)
    INSIDE = "inside"  # a phrase may sit anywhere inside the text (no spaces between words)


# A one-letter stem would find "피" (blood) in "피곤" (tired): stems need at least this many.
MIN_STEM = 2


@dataclass(frozen=True)
class AlarmWords:
    """One locale's emergency words and how to find them (already in canonical form)."""

    danger: tuple[str, ...] = ()
    within: tuple[str, ...] = ()
    negations: tuple[str, ...] = ()
    negation_after: tuple[str, ...] = ()
    negation_window: int = 3
    match: Match = Match.WORDS

    @classmethod
    def from_table(cls, table: Mapping[str, Any], phrases: Any) -> AlarmWords:
        """The ``[emergency]`` table of a words file; ``phrases`` canonicalises a word list."""
        return cls(
            danger=phrases(table.get("danger")), within=phrases(table.get("within")),
            negations=phrases(table.get("negations")), negation_after=phrases(table.get("negation_after")),
            negation_window=int(table.get("negation_window", 3)), match=Match(table.get("match", Match.WORDS)),
        )

    def read(self, tokens: list[str]) -> tuple[bool, bool]:
        """(danger said, danger words found but every one negated)."""
        negated = False
        for start, end, phrase in self._spans(tokens):
            if not self._negated(tokens, start, end, phrase):
                return True, False
            negated = True
        return False, negated

    def mentions_within(self, tokens: list[str]) -> bool:
        return len(tokens) > 1 and any(self._find(tokens, w) for w in self._candidates(tokens, self._within_firsts))

    # ---- positions ---------------------------------------------------------------------
    # WORDS and STEM count in tokens; INSIDE counts in characters of the tokens joined by
    # single spaces (a Chinese sentence is one long token; punctuation still ends a clause).

    def _inside(self, phrase: str) -> bool:
        # Romanised words in a zh or th file ("sos", "jiuming") still need their spaces.
        return self.match is Match.INSIDE and not phrase.isascii()

    def _spans(self, tokens: list[str]) -> list[tuple[int, int, str]]:
        return [(start, end, phrase) for phrase in self._candidates(tokens, self._danger_firsts)
                for start, end in self._find(tokens, phrase)]

    @cached_property
    def _danger_firsts(self) -> _Firsts:
        return _Firsts.of(self.danger)

    @cached_property
    def _within_firsts(self) -> _Firsts:
        return _Firsts.of(self.within)

    def _candidates(self, tokens: list[str], firsts: _Firsts) -> list[str]:
        """Phrases that can match: with whole words, only those whose first word is in the message
        (the engine's hot path reads every message for alarms), looked up by word, in list order."""
        if self.match is not Match.WORDS:
            return list(firsts.phrases)
        places = sorted(at for token in set(tokens) for at in firsts.by_first.get(token, ()))
        return [firsts.phrases[at] for at in places]

    def _find(self, tokens: list[str], phrase: str) -> list[tuple[int, int]]:
        if self._inside(phrase):
            return _inside(" ".join(tokens), phrase)
        return _words(tokens, phrase, stem=self.match is Match.STEM)

    def _negated(self, tokens: list[str], start: int, end: int, phrase: str) -> bool:
        window = self.negation_window
        if self._inside(phrase):
            return self._negated_inside(" ".join(tokens), start, end)
        before = tokens[max(0, start - window):start]
        if any(_words(before, n, stem=False) for n in self.negations):
            return True
        if not self.negation_after:
            return False
        after = tokens[end:end + window]
        if self.match is not Match.STEM:  # "खतरे में नहीं": the negation is a word of its own
            return any(_words(after, n, stem=False) for n in self.negation_after)
        # A stem's negation is an ending: glued to the word ("위험하지않아요") or starting the next.
        ending = tokens[end - 1][len(phrase.split()[-1]):]
        return any(n in piece for piece in (ending, *after) for n in self.negation_after)

    def _negated_inside(self, text: str, start: int, end: int) -> bool:
        window = self.negation_window
        before = text[max(0, start - window):start].rsplit(" ", 1)[-1]
        after = text[end:end + window].split(" ", 1)[0]
        return any(n in before for n in self.negations) or any(n in after for n in self.negation_after)


@dataclass(frozen=True)
class _Firsts:
    """Phrases in their list's order, and where each first word starts some of them."""

    phrases: tuple[str, ...]
    by_first: Mapping[str, tuple[int, ...]]

    @classmethod
    def of(cls, phrases: tuple[str, ...]) -> _Firsts:
        by_first: dict[str, list[int]] = {}
        for at, phrase in enumerate(phrases):
            by_first.setdefault(phrase.split(" ", 1)[0], []).append(at)
        return cls(phrases, {first: tuple(places) for first, places in by_first.items()})


def _words(tokens: list[str], phrase: str, *, stem: bool) -> list[tuple[int, int]]:
    words = phrase.split()
    size = len(words)
    if not size:
        return []
    loose = stem and len(words[-1]) >= MIN_STEM
    if not loose and words[0] not in tokens:  # the cheap test first: most messages hold none
        return []
    found = []
    for i in range(len(tokens) - size + 1):
        head, last = tokens[i:i + size - 1], tokens[i + size - 1]
        if head == words[:-1] and (last == words[-1] or (loose and last.startswith(words[-1]))):
            found.append((i, i + size))
    return found


def _inside(text: str, phrase: str) -> list[tuple[int, int]]:
    found, at = [], text.find(phrase)
    while at >= 0:
        found.append((at, at + len(phrase)))
        at = text.find(phrase, at + 1)
    return found


def read_alarm(sets: Iterable[AlarmWords], tokens: list[str], numbers: Iterable[str]) -> Alarm:
    """What the emergency words of a message say, each locale's words by its own rules."""
    numbers = set(numbers)
    if tokens and all(t in numbers for t in tokens):
        return Alarm.NUMBER
    sets = tuple(sets)
    negated = False
    for words in sets:
        danger, denied = words.read(tokens)
        if danger:
            return Alarm.DANGER
        negated = negated or denied
    if negated:
        return Alarm.NEGATED
    if any(t in numbers for t in tokens) or any(w.mentions_within(tokens) for w in sets):
        return Alarm.UNCLEAR
    return Alarm.NONE


def with_first_negations(sets: Iterable[AlarmWords]) -> tuple[AlarmWords, ...]:
    """Merged locales' emergency words, the first locale's negations applying to the others' words too.

    A reporter is read in their language and English: "non, personne n'est en danger" holds the
    English "danger", which English's own negations left unnegated (a P1 and an on-call alert for
    a No, retrial).  The first set is the reporter's own locale, so its negations count for every
    locale matching whole words; other locales' negations never leak into it.
    """
    sets = tuple(sets)
    if len(sets) < 2 or sets[0].match is not Match.WORDS:
        return sets
    first = sets[0].negations
    return (sets[0], *(replace(w, negations=tuple(dict.fromkeys((*w.negations, *first))))
                       if w.match is Match.WORDS and not set(first) <= set(w.negations) else w for w in sets[1:]))
