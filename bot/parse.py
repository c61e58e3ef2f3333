"""Turn what a reporter typed into an answer for one step.

People answer with numbers ("1"), words ("not sure", "y"), lists ("1, 3 and 5", "135")
and prose.  Anything that cannot be read one way only is a miss, so the engine asks
again rather than guessing: a wrong guess would put a false signal into a tip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, Mapping

from bot.commands import normalize
from bot.flow import Option, Step

MAX_DIGITS = 12  # a longer run of digits is not a list of choices
_SPLIT = re.compile(r"(?:\s*[,;/&+.]\s*|\s+and\s+|\s+)")
_JOINERS = frozenset({"and", "&"})


class Miss(StrEnum):
    UNCLEAR = "unclear"
    AMBIGUOUS = "ambiguous"  # e.g. "12" where both 12 and 1+2 are options
    NONE_WITH_OTHERS = "none_with_others"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class Parsed:
    value: Any = None
    miss: Miss | None = None

    @property
    def ok(self) -> bool:
        return self.miss is None


def parse_answer(
    step: Step, text: str, options: tuple[Option, ...], words: Mapping[str, str], max_chars: int | None = None
) -> Parsed:
    """Read ``text`` as an answer to ``step``; ``words`` maps a normalised word to an option key.

    ``max_chars`` caps free text below the step's own limit (the deployment's max_text_chars).
    """
    if step.type == "text":
        limits = [x for x in (step.max_chars, max_chars) if x is not None]
        return _text(text, min(limits) if limits else None)
    if step.type == "checklist":
        return _checklist(step, text, options, words)
    return _single(text, options, words)


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


def _single(text: str, options: tuple[Option, ...], words: Mapping[str, str]) -> Parsed:
    said = normalize(text)
    number = _number(said, len(options))
    if number is not None:
        return Parsed(value=options[number - 1].key)
    if said in words:
        return Parsed(value=words[said])
    # "2 no" or "1. Yes": a number followed by that same option's words.
    head, _, rest = said.partition(" ")
    number = _number(head.rstrip(".)"), len(options))
    if number is not None and words.get(normalize(rest)) == options[number - 1].key:
        return Parsed(value=options[number - 1].key)
    return Parsed(miss=Miss.UNCLEAR)


def _checklist(step: Step, text: str, options: tuple[Option, ...], words: Mapping[str, str]) -> Parsed:
    said = normalize(text)
    if said in words:
        return checked(step, [words[said]], options)
    picked: list[str] = []
    for token in (t for t in _SPLIT.split(said) if t and t not in _JOINERS):
        if token in words:
            picked.append(words[token])
            continue
        numbers = _split_digits(token, len(options))
        if numbers is None:
            return Parsed(miss=Miss.UNCLEAR)
        if len(numbers) > 1:
            return Parsed(miss=Miss.AMBIGUOUS)
        picked.extend(options[n - 1].key for n in numbers[0])
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
