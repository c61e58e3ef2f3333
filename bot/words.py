"""Words reporters type, read as data per locale (``locales/<lang>/words.toml``).

The engine holds no English: yes/no/not sure forms, option synonyms, greetings, "I want
to report" openers, questions about the line, emergency and danger words and negations
all come from the words file of each enabled locale, so a translation only adds data.

Text is compared in a canonical form: lower case, apostrophes dropped, other punctuation as spaces, runs of
a repeated letter squeezed ("yesss" -> "yes").  Small typos are forgiven for longer words (rapidfuzz edit
distance); when that leaves two readings, the caller is told so and asks instead of guessing.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.alarms import Alarm as Alarm
from bot.alarms import AlarmWords, read_alarm, with_first_negations
from bot.flow import FlowError
from bot.pause import PauseWords
from bot.signs import Asked, Question, SignsWords

WORDS_FILE = "words.toml"
AMBIGUOUS = "\0ambiguous"  # a lookup result: more than one option fits equally well

_APOSTROPHES = re.compile(r"['\u2019`]")
_REPEATS = re.compile(r"([^\W\d_])\1+")


def _mark_class() -> str:
    """Every combining mark of the BMP as a character class body ("\\w" leaves them out)."""
    marks = [c for c in range(0x300, 0x10000) if unicodedata.category(chr(c)).startswith("M")]
    ranges: list[tuple[int, int]] = []
    for c in marks:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1] = (ranges[-1][0], c)
        else:
            ranges.append((c, c))
    return "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)


# A word is letters, digits and the marks written on them: Thai tone marks, Devanagari and
# Arabic vowel signs belong to the word ("ไม่", "खतरे"); splitting there lost every such word.
_TOKEN = re.compile(r"(?:\w[" + _mark_class() + r"]*)+")
# A decimal digit of any script that is not ASCII ("\d" in a str pattern is Unicode category Nd).
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def fold_digits(text: str) -> str:
    """Digits of every script as ASCII ("٣", "۳", "३", "３", "๓" -> "3") (issue 10).

    The one normalisation step for digits: wherever a message is read as an answer or a
    command, it goes through here first (``canon_tokens``, ``commands.normalize``, the
    checklist's number runs).  What is kept in a tip stays as the reporter typed it.
    """
    if text.isascii():  # nearly every message: no cost on the hot path
        return text
    return _OTHER_DIGIT.sub(lambda d: str(unicodedata.decimal(d.group())), text)


def canon_tokens(text: str) -> list[str]:
    """ "Yesss, it's ME!" -> ["yes", "its", "me"]; "٢" -> ["2"]."""
    folded = _APOSTROPHES.sub("", unicodedata.normalize("NFC", fold_digits(text)).casefold())
    return _TOKEN.findall(_REPEATS.sub(r"\1", folded))


def canon(text: str) -> str:
    return " ".join(canon_tokens(text))


def typo_budget(phrase: str) -> int:
    """Edits forgiven: none for short words (y/n/no/yes would collide), more for longer ones."""
    return 0 if len(phrase) < 5 else 1 if len(phrase) < 9 else 2


@dataclass(frozen=True)
class Vocabulary:
    """The words of one or more locales (a reporter may mix languages)."""

    answers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # yes/no/unsure/none
    fillers: frozenset[str] = frozenset()
    options: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    greetings: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    about: tuple[str, ...] = ()
    signs: tuple[str, ...] = ()  # "what are the signs?", "is this trafficking?" (issue 14)
    doubts: tuple[str, ...] = ()  # "not sure if", "but": part of a signs question, never an answer
    pause: PauseWords = PauseWords()  # "gtg", "someone is looking at my phone": EXIT (``bot.pause``)
    danger: tuple[str, ...] = ()
    within: tuple[str, ...] = ()
    negations: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    negation_window: int = 3
    # Each locale's emergency words with its own rules for finding them (``bot.alarms``).
    alarms: tuple[AlarmWords, ...] = ()

    # ---- loading ------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> "Vocabulary":
        """Read one words file; raises FlowError naming the file and the problem."""
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise FlowError(f"words file {path} not readable: {exc}") from exc
        try:
            return cls._parse(raw)
        except (TypeError, ValueError, AttributeError) as exc:
            raise FlowError(f"words file {path} is malformed: {exc}") from exc

    @classmethod
    def _parse(cls, raw: Mapping[str, Any]) -> "Vocabulary":
        answers = raw.get("answers", {})
        first, emergency = raw.get("first", {}), raw.get("emergency", {})
        return cls(
            answers={k: _phrases(answers.get(k)) for k in ("yes", "no", "unsure", "none", "acks")},
            fillers=frozenset(_phrases(answers.get("fillers"))),
            options={str(step): {str(k): _phrases(v) for k, v in table.items()}
                     for step, table in raw.get("options", {}).items()},
            greetings=_phrases(first.get("greetings")),
            intents=_phrases(first.get("intents")),
            about=_phrases(raw.get("about", {}).get("phrases")),
            signs=_phrases(raw.get("signs", {}).get("phrases")), doubts=_phrases(raw.get("signs", {}).get("doubts")),
            pause=PauseWords.from_table(raw.get("pause", {}), _phrases),
            danger=_phrases(emergency.get("danger")),
            within=_phrases(emergency.get("within")),
            negations=_phrases(emergency.get("negations")),
            numbers=_phrases(emergency.get("numbers")),
            negation_window=int(emergency.get("negation_window", 3)),
            alarms=(AlarmWords.from_table(emergency, _phrases),),
        )

    @classmethod
    def merge(cls, vocabularies: Iterable["Vocabulary"]) -> "Vocabulary":
        """One vocabulary holding every word of the given ones (first one's order first)."""
        items = list(vocabularies)

        def join(name: str) -> tuple[str, ...]:
            return tuple(dict.fromkeys(w for v in items for w in getattr(v, name)))

        answers = {k: tuple(dict.fromkeys(w for v in items for w in v.answers.get(k, ()))) for k in
                   ("yes", "no", "unsure", "none", "acks")}
        options: dict[str, dict[str, tuple[str, ...]]] = {}
        for vocab in items:
            for step, table in vocab.options.items():
                for key, words in table.items():
                    merged = options.setdefault(step, {})
                    merged[key] = tuple(dict.fromkeys((*merged.get(key, ()), *words)))
        return cls(
            answers=answers, fillers=frozenset(w for v in items for w in v.fillers), options=options,
            greetings=join("greetings"), intents=join("intents"), about=join("about"), signs=join("signs"),
            doubts=join("doubts"), danger=join("danger"), pause=PauseWords.merge(v.pause for v in items),
            within=join("within"), negations=join("negations"), numbers=join("numbers"),
            negation_window=max((v.negation_window for v in items), default=3),
            alarms=with_first_negations(a for v in items for a in v.alarms),
        )

    # ---- reading a message ------------------------------------------------------------

    def strip_fillers(self, tokens: list[str]) -> list[str]:
        return [t for t in tokens if t not in self.fillers]

    # Phrase lists indexed by their first word, built once: a message is then read with one
    # dict lookup per word instead of a scan of every phrase (the engine's hot path).
    @cached_property
    def _about(self) -> PhraseIndex:
        return PhraseIndex.of(self.about)

    def is_about_line(self, tokens: list[str]) -> bool:
        """ "what is this?", "who are you", "is this the police" (not inside a long story)."""
        if len(tokens) > self._about.longest + 3:
            return False
        return any(len(tokens) <= size + 3 for _, size in self._about.find_all(tokens))

    @cached_property
    def _signs(self) -> SignsWords:
        return SignsWords(self.signs, self.doubts)

    def signs_question(self, tokens: list[str]) -> Question:
        """How a message asks for the signs, and its words besides the question."""
        return self._signs.read(tokens)

    def asks_signs(self, tokens: list[str]) -> Asked:
        """ "what are the signs?" alone, with more words (kept as usual), or not at all."""
        return self._signs.read(tokens).asked

    def is_opener(self, tokens: list[str], min_words: int) -> bool:
        """True for a greeting or "I want to report something" with little after it."""
        rest = self._drop_leading(tokens, self.greetings)
        if not rest:
            return True
        after = self._drop_leading(rest, self.intents)
        if after is not rest:
            return len(self.strip_fillers(after)) < min_words
        return False

    @staticmethod
    def _drop_leading(tokens: list[str], phrases: tuple[str, ...]) -> list[str]:
        best = 0
        for phrase in phrases:
            words = phrase.split()
            if tokens[:len(words)] == words:
                best = max(best, len(words))
            elif len(words) > 1 and len(tokens) >= len(words):
                head = " ".join(tokens[:len(words)])
                if Levenshtein.distance(head, phrase, score_cutoff=typo_budget(phrase)) <= typo_budget(phrase):
                    best = max(best, len(words))
        if best == 0 and tokens and phrases:
            match = process.extractOne(tokens[0], [p for p in phrases if " " not in p],
                                       scorer=Levenshtein.distance, score_cutoff=typo_budget(tokens[0]))
            best = 1 if match is not None else 0
        return tokens[best:] if best else tokens

    def alarm(self, tokens: list[str], emergency_number: str) -> Alarm:
        """What the emergency words of a message say, negation-aware (INTAKE decision 12)."""
        return read_alarm(self.alarms, tokens, (*self.numbers, emergency_number))


def _phrases(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"expected a list of words, got {value!r}")
    return tuple(dict.fromkeys(c for c in (canon(str(v)) for v in value) if c))


@dataclass(frozen=True)
class PhraseIndex:
    """Phrases (canonical, space-separated words) by their first word, for matching token lists."""

    by_first: Mapping[str, tuple[list[str], ...]] = field(default_factory=dict)
    longest: int = 0  # words in the longest phrase

    @classmethod
    def of(cls, phrases: Iterable[str]) -> "PhraseIndex":
        table: dict[str, list[list[str]]] = {}
        for phrase in phrases:
            words = phrase.split()
            if words:
                table.setdefault(words[0], []).append(words)
        longest = max((len(w) for ws in table.values() for w in ws), default=0)
        return cls({first: tuple(ws) for first, ws in table.items()}, longest)

    def find_all(self, tokens: list[str]) -> list[tuple[int, int]]:
        """(start, size in words) of every occurrence of every phrase in ``tokens``."""
        found: list[tuple[int, int]] = []
        for start, token in enumerate(tokens):
            for words in self.by_first.get(token, ()):
                size = len(words)
                if size == 1 or tokens[start:start + size] == words:
                    found.append((start, size))
        return found


def words_path(locales_dir: Path, locale: str) -> Path:
    return Path(locales_dir) / locale / WORDS_FILE


def load_vocabularies(locales_dir: Path, locales: tuple[str, ...]) -> dict[str, Vocabulary]:
    """Each enabled locale's words file; a locale without one understands only numbers."""
    found: dict[str, Vocabulary] = {}
    for locale in locales:
        path = words_path(locales_dir, locale)
        found[locale] = Vocabulary.load(path) if path.exists() else Vocabulary()
    return found


class Lookup:
    """Phrase -> option key for one step, exact first, then forgiving small typos."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self.table = dict(table)
        self._keys = list(self.table)

    def get(self, phrase: str) -> str | None:
        """The option key, ``AMBIGUOUS``, or None."""
        if not phrase:
            return None
        exact = self.table.get(phrase)
        if exact is not None:
            return exact
        budget = typo_budget(phrase)
        if budget == 0 or phrase.isdigit():
            return None
        matches = process.extract(phrase, self._keys, scorer=Levenshtein.distance, score_cutoff=budget, limit=None)
        if not matches:
            return None
        best = min(score for _, score, _ in matches)
        keys = {self.table[m] for m, score, _ in matches if score == best and typo_budget(m) > 0}
        if not keys:
            return None
        return keys.pop() if len(keys) == 1 else AMBIGUOUS
