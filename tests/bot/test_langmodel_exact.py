"""The fixed-point language model (``bot.langmodel``, issue 11) ranks every labelled text as the
straightforward scoring did: the same languages in the same order, the same lead over the next
one (to 1e-9 nats), the same n-grams read and the same early stop.  A different order or margin
would commit a reporter to another language, or ask one who should not be asked.

``Reference`` below is the model as it was before: langdetect's own ``NGram.add_char`` walked
one character at a time, and each n-gram's (language, bonus) pairs added to a list of floats."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from functools import cache
from operator import sub
from pathlib import Path

import pytest
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.utils.ngram import NGram

from bench.language import data_dir
from bot.langmodel import MAX_CHARS, NgramModel, default_model
from bot.language import STOP_MARGIN

_SMOOTHING = Detector.ALPHA_DEFAULT / Detector.BASE_FREQ
_BLOCK = 30


class _NGram(NGram):  # type: ignore[misc]
    """langdetect's ``NGram`` with its normaliser cached, as the model always read it."""

    normalize = staticmethod(cache(NGram.normalize))


class Reference:
    """Per n-gram, a list of (language index, bonus); scores summed one pair at a time."""

    def __init__(self, folder: Path) -> None:
        langs: list[str] = []
        self.table: dict[str, list[tuple[int, float]]] = {}
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            data = json.loads(path.read_text(encoding="utf-8"))
            lang = {"zh-cn": "zh", "zh-tw": "zh"}.get(data["name"], data["name"])
            if lang not in langs:
                langs.append(lang)
            for gram, count in data["freq"].items():
                total = data["n_words"][len(gram) - 1] if 1 <= len(gram) <= 3 else 0
                if total:
                    row = self.table.setdefault(gram, [])
                    bonus = math.log1p(count / total / _SMOOTHING)
                    if row and row[-1][0] == langs.index(lang):  # zh-cn then zh-tw: the better
                        bonus = max(bonus, row.pop()[1])
                    row.append((langs.index(lang), bonus))
        self.languages = tuple(langs)

    def ngrams(self, text: str) -> list[str]:
        gram = _NGram()
        found: list[str] = []
        for ch in text[:MAX_CHARS]:
            gram.add_char(ch)
            for n in range(1, NGram.N_GRAM + 1):
                piece = gram.get(n)
                if piece is not None and piece in self.table:
                    found.append(piece)
        return found

    def rank(self, text: str, among: frozenset[str], enough: float) -> tuple[list[str], list[float], int]:
        grams = self.ngrams(text)
        chosen = [i for i, lang in enumerate(self.languages) if lang in among]
        scores = [0.0] * len(self.languages)
        for start in range(0, len(grams), _BLOCK):
            for piece in grams[start:start + _BLOCK]:
                for index, bonus in self.table[piece]:
                    scores[index] += bonus
            ahead = sorted([0.0, 0.0] + [scores[i] for i in chosen])
            if ahead[-1] - ahead[-2] >= enough:
                grams = grams[:start + _BLOCK]
                break
        ranked = sorted(((scores[i], self.languages[i]) for i in chosen), reverse=True)
        return [lang for _, lang in ranked], [a[0] - b[0] for a, b in zip(ranked, ranked[1:], strict=False)], len(grams)


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference(Path(PROFILES_DIRECTORY))


def _texts() -> Iterator[str]:
    for path in sorted(data_dir().glob("*/*.txt")):
        yield from (t for t in path.read_text(encoding="utf-8").splitlines() if t.strip())


TEXTS = list(_texts())
# Texts the corpus lacks: capitals in a row and alone, a cut inside a word, spaces at both
# ends, scripts side by side, characters no profile has, nothing at all.
ODD = ["", " ", "  \t\n ", "USA", "the USA and the UK", "A", "I am OK ", "ÉCOLE école", "McDONALD's",
       "x" * 200, "ab " * 60, " lead and trail  ", "hello мир 你好 مرحبا", "ǅemal ǈubljana", "😀 ok 😀",
       "1234 5678", "ПРИВЕТ всем", "ΑΘΗΝΑ Αθήνα", "ﬁne ﬂow", "a\u0301b\u0301", "\ud800x", "ẞtraße", "ΣΊΣΥΦΟΣ"]
AMONG = {"all": None, "arabic": frozenset({"ar", "fa", "ur"}), "cyrillic": frozenset({"ru", "uk", "bg"}),
         "west": frozenset({"en", "es", "fr", "de", "pt", "it", "nl", "xx"}), "one": frozenset({"en"}),
         "none": frozenset({"xx"})}


def _same(model: NgramModel, reference: Reference, texts: list[str], among: frozenset[str],
          enough: float) -> None:
    for text in texts:
        got = model.rank(text, among, enough)
        order, margins, read = reference.rank(text, among, enough)
        assert (list(got.order), got.ngrams) == (order, read), text
        assert len(got.margins) == len(margins), text
        assert max(map(abs, map(sub, got.margins, margins)), default=0.0) <= 1e-9, text
        assert abs(got.margin - (margins[0] if margins else 0.0)) <= 1e-9, text


@pytest.mark.parametrize(("enough", "step"), [(math.inf, 1), (STOP_MARGIN, 1), (5.0, 2)])
def test_every_labelled_text_ranks_as_the_straightforward_sum_did(reference: Reference, enough: float,
                                                                  step: int) -> None:
    model = default_model()
    assert model.languages == reference.languages
    _same(model, reference, TEXTS[::step] + ODD, frozenset(model.languages), enough)


@pytest.mark.parametrize("among", sorted(AMONG))
def test_a_chosen_set_of_languages_ranks_as_it_did(reference: Reference, among: str) -> None:
    model = default_model()
    chosen = AMONG[among] or frozenset(model.languages)
    _same(model, reference, TEXTS[::5] + ODD, chosen, STOP_MARGIN)


def test_the_ngrams_read_are_langdetects(reference: Reference) -> None:
    model = default_model()
    assert [model.ngrams(t) for t in TEXTS[::3] + ODD] == [reference.ngrams(t) for t in TEXTS[::3] + ODD]
