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
from collections import Counter
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
MAX_CHARS = 240
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
    """Per n-gram, the languages whose profile has it and how much it raises their log-score."""

    def __init__(self, profiles: Iterable[tuple[str, dict[str, int], list[int]]]) -> None:
        langs: list[str] = []
        table: dict[str, dict[int, float]] = {}
        for name, freq, n_words in profiles:
            lang = _NAMES.get(name, name)
            if lang not in langs:
                langs.append(lang)
            index = langs.index(lang)
            for gram, count in freq.items():
                if 1 <= len(gram) <= 3 and n_words[len(gram) - 1]:
                    # log(s + p) - log(s): languages without the n-gram score 0, so sums stay sparse.
                    bonus = math.log1p(count / n_words[len(gram) - 1] / _SMOOTHING)
                    row = table.setdefault(gram, {})
                    row[index] = max(row.get(index, 0.0), bonus)  # zh-cn and zh-tw: keep the better
        self.languages: tuple[str, ...] = tuple(langs)
        self._table = {gram: tuple(row.items()) for gram, row in table.items()}

    def ngrams(self, text: str) -> Counter[str]:
        """langdetect's n-grams of ``text`` (letters normalised, all-capital words skipped)."""
        found: Counter[str] = Counter()
        gram = NGram()
        for ch in text[:MAX_CHARS]:
            gram.add_char(ch)
            if gram.capitalword:
                continue
            for n in (1, 2, 3):
                if len(gram.grams) < n:
                    break
                piece = gram.grams[-n:]
                if piece != " " and piece in self._table:
                    found[piece] += 1
        return found

    def rank(self, text: str, among: frozenset[str]) -> Ranking:
        """Rank the languages of ``among`` that have a profile by the likelihood of ``text``."""
        grams = self.ngrams(text)
        scores = [0.0] * len(self.languages)
        for piece, times in grams.items():
            for index, bonus in self._table[piece]:
                scores[index] += bonus * times
        ranked = sorted(((s, lang) for s, lang in zip(scores, self.languages) if lang in among), reverse=True)
        margins = tuple(a[0] - b[0] for a, b in zip(ranked, ranked[1:]))
        return Ranking(tuple(lang for _, lang in ranked), margins, sum(grams.values()))


def _read_profiles(folder: Path) -> Iterable[tuple[str, dict[str, int], list[int]]]:
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            data = json.loads(path.read_text(encoding="utf-8"))
            yield data["name"], data["freq"], data["n_words"]


@cache
def default_model() -> NgramModel:
    """The model over every profile langdetect ships (loaded once, ~0.2 s)."""
    return NgramModel(_read_profiles(Path(PROFILES_DIRECTORY)))
