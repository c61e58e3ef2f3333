"""Turn what a reporter typed into an answer for one step.

People answer with numbers ("1"), words ("yeah", "not sure", "a farm", "resturant"),
lists ("1, 3 and 5", "135", "1-3-5"), a number followed by what they want to say
("2 the boss has them": the answer 2, the words kept beside it) and prose.  Anything
that can be read two ways is a miss, so the engine asks again rather than guessing: a
wrong guess would put a false signal into a tip.  The words themselves are data
(``bot.words``); this module holds only the rules for reading them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, Mapping

from bot.flow import Option, Step
from bot.words import AMBIGUOUS, Lookup, Vocabulary, canon_tokens, fold_digits

MAX_DIGITS = 12  # a longer run of digits is not a list of choices
# A leading run of numbers with any separators ("1, 3 and 5", "1-3-5", "2)"), then the rest.
_LEADING_NUMBERS = re.compile(r"^\s*((?:\d+(?:\s*(?:[^\w\s]|\band\b|&)+\s*|\s+))*\d+)(?![\w])[\s\W]*(.*)$", re.S)
# The same, with a word of 1-3 letters of any script between two numbers: "and" in the reporter's
# language ("1 4 5 y 7", "2 si 5", "1 و 5", "1 và 2"), whose last number was lost before (reporter
# trial).  A negation there ("1 2 not 4", "3 ni 4") falls back to the strict reading.
_LEADING_NUMBERS_JOINED = re.compile(
    r"^\s*((?:\d+(?:\s*(?:[^\w\s]|(?<![^\W\d_])[^\W\d_]{1,3}(?![^\W\d_]))+\s*|\s+))*\d+)(?![\w])[\s\W]*(.*)$", re.S)
_LETTERS = re.compile(r"[^\W\d_]+")
_EMPTY = Vocabulary()


class Miss(StrEnum):
    UNCLEAR = "unclear"
    AMBIGUOUS = "ambiguous"  # a run of digits read two ways: "12" where both 12 and 1+2 are options
    CONFLICT = "conflict"  # words naming two answers ("yes no", "2 yes"): no numbers to space out
    SEVERAL = "several"  # several numbers ("1 2 3") where one answer is asked for
    NONE_WITH_OTHERS = "none_with_others"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class Parsed:
    value: Any = None
    miss: Miss | None = None
    # What the reporter wrote beside the answer ("the boss has them"): kept in the tip.
    words: str | None = None

    @property
    def ok(self) -> bool:
        return self.miss is None


def parse_answer(
    step: Step, text: str, options: tuple[Option, ...], words: Mapping[str, str] | Lookup,
    max_chars: int | None = None, vocab: Vocabulary | None = None,
) -> Parsed:
    """Read ``text`` as an answer to ``step``; ``words`` maps a canonical phrase to an option key.

    Free text is never refused for its length here: the engine keeps it whole (split if it
    must be) up to its hard limit ``max_chars``.
    """
    lookup = words if isinstance(words, Lookup) else Lookup(words)
    vocab = vocab or _EMPTY
    if step.type == "text":
        return _text(text, max_chars)
    if step.type == "checklist":
        return _checklist(step, text, options, lookup, vocab)
    return _single(text, options, lookup, vocab)


def _text(text: str, limit: int | None) -> Parsed:
    value = text.strip()
    if not value:
        return Parsed(miss=Miss.UNCLEAR)
    if limit is not None and len(value) > limit:
        return Parsed(miss=Miss.TOO_LONG)
    return Parsed(value=value)


def _number(token: str, count: int) -> int | None:
    if token.isdigit() and token.isascii() and not token.startswith("0"):
        number = int(token)
        if 1 <= number <= count:
            return number
    return None


def _phrase_key(tokens: list[str], lookup: Lookup, vocab: Vocabulary) -> str | None:
    """The option a whole phrase names: as typed, without fillers, then forgiving typos."""
    found = lookup.get(" ".join(tokens))
    if found is None:
        bare = vocab.strip_fillers(tokens)
        if bare and bare != tokens:
            found = lookup.get(" ".join(bare))
    return found


def _single(text: str, options: tuple[Option, ...], lookup: Lookup, vocab: Vocabulary) -> Parsed:
    tokens = canon_tokens(text)
    if not tokens:
        return Parsed(miss=Miss.UNCLEAR)
    if len(tokens) == 1 and tokens[0].isdigit():
        number = _number(tokens[0], len(options))
        return Parsed(value=options[number - 1].key) if number else Parsed(miss=Miss.UNCLEAR)
    whole = _phrase_key(tokens, lookup, vocab)
    if whole == AMBIGUOUS:
        return Parsed(miss=Miss.CONFLICT)
    if whole is not None:
        return Parsed(value=whole)
    if tokens[0].isdigit():  # "2 the boss has them", "1. Yes"
        number = _number(tokens[0], len(options))
        if number is None:
            return Parsed(miss=Miss.UNCLEAR)
        return _with_rest(options[number - 1].key, tokens[1:], text, lookup, vocab)
    for size in (3, 2, 1):  # "yes please", "nope nobody in danger", "not sure why"
        if len(tokens) > size:
            key = lookup.get(" ".join(tokens[:size]))
            if key is not None and key != AMBIGUOUS:
                return _with_rest(key, tokens[size:], text, lookup, vocab)
    return Parsed(miss=Miss.UNCLEAR)


def _with_rest(key: str, rest: list[str], text: str, lookup: Lookup, vocab: Vocabulary) -> Parsed:
    """An answer with more words after it: kept, unless they name another answer ("2 yes")."""
    bare = vocab.strip_fillers(rest)
    if not bare:
        return Parsed(value=key)
    if bare[0].isdigit():
        return Parsed(miss=Miss.SEVERAL)  # "1 2 3", "1 8 but": one number is asked for
    said = _phrase_key(bare, lookup, vocab)
    if said is not None and said != key:
        return Parsed(miss=Miss.CONFLICT)
    first = lookup.table.get(bare[0])
    if (first is not None and first != key) or (bare[0] in vocab.negations and key != "no"):
        return Parsed(miss=Miss.CONFLICT)  # "yes no", "maybe not"
    if said == key and len(bare) <= 3:
        return Parsed(value=key)  # "2 no", "1. Yes": the option's own words
    return Parsed(value=key, words=text.strip())


def _checklist(step: Step, text: str, options: tuple[Option, ...], lookup: Lookup, vocab: Vocabulary) -> Parsed:
    tokens = canon_tokens(text)
    if not tokens:
        return Parsed(miss=Miss.UNCLEAR)
    whole = _phrase_key(tokens, lookup, vocab)
    if whole == AMBIGUOUS:
        return Parsed(miss=Miss.CONFLICT)
    if whole is not None:
        return checked(step, [whole], options)
    folded = fold_digits(text)
    leading = _LEADING_NUMBERS_JOINED.match(folded)
    if leading is not None and any(t in vocab.negations for w in _LETTERS.findall(leading.group(1))
                                   for t in canon_tokens(w)):
        leading = _LEADING_NUMBERS.match(folded)
    if leading is not None:
        picked: list[str] = []
        for run in re.findall(r"\d+", leading.group(1)):
            numbers = _split_digits(run, len(options))
            if numbers is None:
                return Parsed(miss=Miss.UNCLEAR)
            if len(numbers) > 1:
                return Parsed(miss=Miss.AMBIGUOUS)
            picked.extend(options[n - 1].key for n in numbers[0])
        result = checked(step, picked, options)
        rest = leading.group(2).strip()
        if result.ok and rest and vocab.strip_fillers(canon_tokens(rest)):
            return Parsed(value=result.value, words=text.strip())
        return result
    return _checklist_words(step, text, options, lookup, vocab)


def _checklist_words(
    step: Step, text: str, options: tuple[Option, ...], lookup: Lookup, vocab: Vocabulary
) -> Parsed:
    """ "farm, hotel", "restaurant and shop": every piece must name an option."""
    picked: list[str] = []
    for piece in re.split(r"[,;/&+]|\band\b|\bor\b", text.casefold()):
        tokens = canon_tokens(piece)
        if not tokens:
            continue
        key = _phrase_key(tokens, lookup, vocab)
        if key is None:
            keys = [lookup.get(t) for t in vocab.strip_fillers(tokens)]
            if not keys or any(k is None for k in keys):
                return Parsed(miss=Miss.UNCLEAR)
            if AMBIGUOUS in keys:
                return Parsed(miss=Miss.CONFLICT)
            picked.extend(k for k in keys if k is not None)
        elif key == AMBIGUOUS:
            return Parsed(miss=Miss.CONFLICT)
        else:
            picked.append(key)
    if not picked:
        return Parsed(miss=Miss.UNCLEAR)
    return checked(step, picked, options)


def checked(step: Step, picked: list[str], options: tuple[Option, ...]) -> Parsed:
    """A checklist answer from chosen keys: option order, and "none" only on its own."""
    none_key = step.none_option.key if step.none_option else None
    chosen = set(picked)
    if none_key in chosen:
        if len(chosen) > 1:
            return Parsed(miss=Miss.NONE_WITH_OTHERS)
        return Parsed(value=[none_key])
    return Parsed(value=[o.key for o in options if o.key in chosen])  # in option order


def _split_digits(token: str, count: int) -> list[tuple[int, ...]] | None:
    """All ways to read a digit run as option numbers ("135" -> [(1, 3, 5)]), or None."""
    if not token.isdigit() or not token.isascii() or len(token) > MAX_DIGITS:
        return None
    readings = _readings(token, count)
    return list(readings[:2]) if readings else None


@lru_cache(maxsize=1024)
def _readings(digits: str, count: int) -> tuple[tuple[int, ...], ...]:
    if not digits:
        return ((),)
    found: list[tuple[int, ...]] = []
    for width in range(1, min(len(str(count)), len(digits)) + 1):
        number = _number(digits[:width], count)
        if number is not None:
            found.extend((number,) + rest for rest in _readings(digits[width:], count))
        if len(found) > 1:
            break  # two readings already make it ambiguous
    return tuple(found)
