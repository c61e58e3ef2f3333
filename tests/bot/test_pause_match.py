"""The compiled pause matcher (``bot.pause_match``) reads every message as cutting every phrase
one by one did: same pause, same words left, for every phrase of every locale's words file and
sentences around them (an account that holds one, two together, accents dropped, a phrase
inside a Chinese sentence).  A difference would end a chat that should go on, or keep one going
whose reporter's phone is being watched."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import pytest

from bot.pause import PAUSE_MAX_WORDS, PauseWords, pause_rest
from bot.langscript import letters
from bot.words import Vocabulary, canon_tokens, load_vocabularies
from tests.bot.helpers import LOCALES

NAMES = tuple(sorted(p.name for p in LOCALES.iterdir() if (p / "words.toml").exists()))
VOCABS = load_vocabularies(LOCALES, NAMES)
# Phrases of scripts written without spaces, put beside and against the others' ("ต้องไปแล้วgotta go").
DENSE = PauseWords.merge(VOCABS[loc].pause for loc in ("th", "zh", "ko") if loc in VOCABS)


def _fold(text: str) -> str:
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and out and out[-1].isascii():
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


@lru_cache(maxsize=None)
def _dense(text: str) -> bool:
    counts = letters(text).counts
    return any(counts[s] for s in ("han", "kana", "hangul", "thai"))


@lru_cache(maxsize=None)
def _longest_first(phrases: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted((_fold(p) for p in phrases), key=len, reverse=True))


def _cut(text: str, phrases: tuple[str, ...]) -> tuple[str, bool]:
    """The straightforward reading: every phrase, longest first, cut wherever it is."""
    found = False
    for phrase in _longest_first(phrases):
        needle = phrase if _dense(phrase) else f" {phrase} "
        while needle in text:
            found = True
            text = text.replace(needle, " ")
    return text, found


def reference(words: PauseWords, tokens: list[str]) -> list[str] | None:
    if not tokens or not words.all:
        return None
    if sum(max(1, len(t) // 2) if _dense(t) else 1 for t in tokens) > PAUSE_MAX_WORDS:
        return None
    text, phone = _cut(f" {_fold(' '.join(tokens))} ", words.phone)
    text, said = _cut(text, words.phrases)
    if phone:
        return text.split()
    if not said:
        return None
    left, _ = _cut(text, words.filler)
    return [] if not left.split() else None


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def sentences(words: PauseWords, others: PauseWords) -> list[str]:
    """Each phrase alone and in the company a message gives it."""
    every = (*words.phrases, *words.phone, *words.filler)
    filler = words.filler[:3] or ("sorry",)
    out: list[str] = []
    for i, phrase in enumerate(every):
        other = every[(i * 7 + 3) % len(every)]
        far = (*others.phrases, *others.phone)[i % max(1, len(others.phrases) + len(others.phone))] \
            if others.phrases or others.phone else "ok"
        out += [phrase, phrase.upper(), _strip_accents(phrase), f"{filler[0]} {phrase}", f"{phrase} {filler[-1]}",
                f"{filler[0]}, {phrase}!! {filler[-1]}", f"{phrase} {phrase}", f"{phrase} {other}",
                f"{other} {phrase} {filler[0]}", f"i {phrase} every day", f"{phrase} they are beating her",
                f"{phrase}吗", f"我说{phrase}了", f"{phrase}{other}", f"{phrase} {far}", f"{far} {phrase} {other}",
                f"{far}{phrase}", f"{phrase}{far}",
                f"my boss said {phrase} and took the passports of all the workers there",
                f"{phrase[: len(phrase) // 2]} {phrase[len(phrase) // 2:]}"]
    return out


@pytest.mark.parametrize("locale", NAMES)
def test_every_phrase_of_a_locale_reads_as_cutting_phrase_by_phrase_did(locale: str) -> None:
    own = VOCABS[locale].pause
    merged = Vocabulary.merge([VOCABS[locale], VOCABS["en"]]).pause
    checked = 0
    for text in sentences(own, DENSE if locale not in ("th", "zh", "ko") else VOCABS["en"].pause):
        tokens = canon_tokens(text)
        for words in (own, merged):
            assert pause_rest(words, tokens) == reference(words, tokens), (locale, text)
            checked += 1
    assert checked > 100


def test_every_locale_at_once_reads_as_cutting_phrase_by_phrase_did() -> None:
    """What the engine reads a message with: the conversation's locale first, then all the others."""
    merged = Vocabulary.merge(VOCABS.values()).pause
    outcomes = set()
    for locale in NAMES:
        for text in sentences(VOCABS[locale].pause, DENSE):
            tokens = canon_tokens(text)
            expected = reference(merged, tokens)
            assert pause_rest(merged, tokens) == expected, (locale, text)
            outcomes.add("none" if expected is None else "pause" if not expected else "words")
    assert outcomes == {"none", "pause", "words"}  # the sentences reach every kind of reading
