"""langdetect's character n-gram profiles, scored exactly instead of by random sampling.

langdetect estimates the naive-Bayes posterior of a text by drawing its n-grams at random until
one language passes 0.99999, seven times over; on short texts that loop runs to its limit and
costs several milliseconds.  We load the same profiles (the ``profiles`` folder that ships with
langdetect, one JSON file per language) once and sum, for every n-gram of the text, the same
smoothed log-probabilities langdetect multiplies.  The result is deterministic without a seed,
and a decision costs tens of microseconds.  The text is cut with langdetect's own ``NGram``
normaliser, so both read the same n-grams.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.utils.ngram import NGram

# langdetect's smoothing: each n-gram multiplies a language's probability by alpha/BASE_FREQ + p.
_SMOOTHING = Detector.ALPHA_DEFAULT / Detector.BASE_FREQ
# Long texts add nothing to a decision but time: score the first characters only.
MAX_CHARS = 120
_NAMES = {"zh-cn": "zh", "zh-tw": "zh"}


@dataclass(frozen=True)
class Ranking:
    """Languages by log-likelihood, best first, and how far each leads the next (in nats)."""

    order: tuple[str, ...]
    margins: tuple[float, ...]  # margins[i] = score[i] - score[i+1]
    ngrams: int

    @property
    def best(self) -> str | None:
        return self.order[0] if self.order else None

    @property
    def margin(self) -> float:
        return self.margins[0] if self.margins else 0.0


class NgramModel:
    """Per n-gram, the languages whose profile has it and how much it raises their log-score.

    Each n-gram's row is packed in one ``bytes`` (a language index and a double per language
    that has it) rather than a tuple of tuples of floats: the same numbers, so the same
    decisions, in a third of the memory, and the model is built without a dict per n-gram
    in between (issue 11: every web worker holds one).
    """

    def __init__(self, profiles: Iterable[tuple[str, dict[str, int], list[int]]]) -> None:
        langs: list[str] = []
        table: dict[str, bytearray] = {}
        for name, freq, n_words in profiles:
            lang = _NAMES.get(name, name)
            if lang not in langs:
                langs.append(lang)
            index = langs.index(lang)
            for gram, count in freq.items():
                if 1 <= len(gram) <= 3 and n_words[len(gram) - 1]:
                    # log(s + p) - log(s): languages without the n-gram score 0, so sums stay sparse.
                    _add(table.setdefault(gram, bytearray()), index,
                         math.log1p(count / n_words[len(gram) - 1] / _SMOOTHING))
        self.languages: tuple[str, ...] = tuple(langs)
        self._table = {gram: bytes(row) for gram, row in table.items()}

    def ngrams(self, text: str) -> list[str]:
        """langdetect's n-grams of ``text`` in order: ``NGram.add_char`` with its normaliser cached."""
        found: list[str] = []
        grams, capital = " ", False
        for ch in text[:MAX_CHARS]:
            ch, last = _normalise(ch), grams[-1]
            if last == " ":
                grams, capital = " ", False
                if ch == " ":
                    continue
            elif len(grams) >= NGram.N_GRAM:
                grams = grams[1:]
            grams += ch
            if not ch.isupper():
                capital = False
            elif last.isupper():
                capital = True
            if capital:  # langdetect skips words in capitals (acronyms, shouting)
                continue
            for n in range(1, len(grams) + 1):
                piece = grams[-n:]
                if piece != " " and piece in self._table:
                    found.append(piece)
        return found

    def rank(self, text: str, among: frozenset[str], enough: float = math.inf) -> Ranking:
        """Rank the languages of ``among`` that have a profile by the likelihood of ``text``.

        Reading stops early once the leader is ``enough`` nats ahead: a long message that is
        plainly Polish after forty letters costs no more than those forty letters.
        """
        grams = self.ngrams(text)
        chosen = [i for i, lang in enumerate(self.languages) if lang in among]
        scores = [0.0] * len(self.languages)
        table = self._table
        for start in range(0, len(grams), _BLOCK):
            for piece in grams[start:start + _BLOCK]:
                for index, bonus in _ENTRY.iter_unpack(table[piece]):
                    scores[index] += bonus
            if enough < math.inf and _lead(scores, chosen) >= enough:
                grams = grams[:start + _BLOCK]
                break
        ranked = sorted(((scores[i], self.languages[i]) for i in chosen), reverse=True)
        margins = tuple(a[0] - b[0] for a, b in zip(ranked, ranked[1:], strict=False))
        return Ranking(tuple(lang for _, lang in ranked), margins, len(grams))


_normalise = cache(NGram.normalize)

# One language of an n-gram's row: its index in ``NgramModel.languages`` and its bonus.
_ENTRY = struct.Struct("<Bd")


def _add(row: bytearray, index: int, bonus: float) -> None:
    """Append a language's bonus to a row; zh-cn and zh-tw (one language, read one after the
    other) keep the better of the two."""
    if row and row[-_ENTRY.size] == index:
        previous = _ENTRY.unpack_from(row, len(row) - _ENTRY.size)[1]
        _ENTRY.pack_into(row, len(row) - _ENTRY.size, index, max(previous, bonus))
        return
    row += _ENTRY.pack(index, bonus)

# n-grams read between two looks at the lead (about ten letters' worth).
_BLOCK = 30


def _lead(scores: list[float], chosen: list[int]) -> float:
    best = second = 0.0
    for i in chosen:
        value = scores[i]
        if value > best:
            best, second = value, best
        elif value > second:
            second = value
    return best - second


def _read_profiles(folder: Path) -> Iterable[tuple[str, dict[str, int], list[int]]]:
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            data = json.loads(path.read_text(encoding="utf-8"))
            yield data["name"], data["freq"], data["n_words"]


def load_model(folder: Path = Path(PROFILES_DIRECTORY)) -> NgramModel:
    """A model over every profile in ``folder`` (langdetect's own by default; ~0.3 s)."""
    return NgramModel(_read_profiles(folder))


@cache
def default_model() -> NgramModel:
    """The model over langdetect's profiles, loaded once per process."""
    return load_model()
