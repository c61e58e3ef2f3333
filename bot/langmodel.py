"""langdetect's character n-gram profiles, scored exactly instead of by random sampling.

langdetect estimates the naive-Bayes posterior of a text by drawing its n-grams at random until
one language passes 0.99999, seven times over; on short texts that loop runs to its limit and
costs several milliseconds.  We load the same profiles (the ``profiles`` folder that ships with
langdetect, one JSON file per language) once and sum, for every n-gram of the text, the same
smoothed log-probabilities langdetect multiplies.  The result is deterministic without a seed,
and a decision costs tens of microseconds.  The text is cut with langdetect's own ``NGram``
normaliser, so both read the same n-grams.

Issue 11: the sum runs in C.  Each n-gram's row is one integer holding a 64-bit fixed-point
bonus per language (a "slot"), so adding the rows of a text with ``sum`` adds every language at
once, exactly; the n-grams themselves are cut with ``str.translate`` and ``map`` rather than a
loop per character (``bot.langgrams``).  A call costs a third of the loops it replaces.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from itertools import repeat
from dataclasses import dataclass, field
from functools import cache
from operator import and_, rshift, sub
from pathlib import Path

from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY

from bot.langgrams import MAX_CHARS, candidates
from bot.langslots import NAME_BITS, Slots, add_bonus, lifted_sum

# langdetect's smoothing: each n-gram multiplies a language's probability by alpha/BASE_FREQ + p.
_SMOOTHING = Detector.ALPHA_DEFAULT / Detector.BASE_FREQ
_NAMES = {"zh-cn": "zh", "zh-tw": "zh"}
# n-grams read between two looks at the lead (about ten letters' worth).
_BLOCK = 30
_NAME_MASK = repeat((1 << NAME_BITS) - 1)
_NAME_WIDTH = repeat(NAME_BITS)


@dataclass(frozen=True)
class Ranking:
    """Languages by log-likelihood, best first, and how far each leads the next (in nats)."""

    order: tuple[str, ...]
    ngrams: int
    # The scores behind ``order``, best first, in ``bot.langslots``' fixed point (a language's
    # place by name in the low bits): margins are worked out when asked for, and callers
    # mostly ask only for the first.
    sums: tuple[int, ...] = field(default=(), repr=False)
    fraction_bits: int = field(default=0, repr=False)

    @property
    def best(self) -> str | None:
        return self.order[0] if self.order else None

    @property
    def margins(self) -> tuple[float, ...]:
        """margins[i] = score[i] - score[i+1], exactly as the scores' difference rounds."""
        scores = list(map(rshift, self.sums, _NAME_WIDTH))
        return tuple(map(math.ldexp, map(sub, scores, scores[1:]), repeat(-self.fraction_bits)))

    @property
    def margin(self) -> float:
        if len(self.sums) < 2:
            return 0.0
        gap = (self.sums[0] >> NAME_BITS) - (self.sums[1] >> NAME_BITS)
        return math.ldexp(gap, -self.fraction_bits)


class NgramModel:
    """Per n-gram, how much it raises the log-score of each language whose profile has it.

    A row is one ``int`` (``bot.langslots``): the bonuses of its languages, 64 bits each, from
    the first slot of its script up, shifted left past a tag that says which slot that is.
    Slots follow the languages' scripts, so a row spans few of them and the model stays within
    a megabyte or two of the packed ``bytes`` rows it replaces (issue 11: every web worker
    holds one).
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
                    add_bonus(table.setdefault(gram, bytearray()), index,
                              math.log1p(count / n_words[len(gram) - 1] / _SMOOTHING))
        self.languages: tuple[str, ...] = tuple(langs)
        for gram in [gram for gram in table if not _readable(gram)]:
            del table[gram]
        # A bonus is at most log1p(1/s) (an n-gram is at most all of its length): room for a
        # text's worth of the largest.
        self._slots = Slots.for_rows(self.languages, table, math.log1p(1 / _SMOOTHING), 3 * MAX_CHARS)
        self._table = self._slots.pack_all(table)
        self._chosen: dict[frozenset[str], tuple[list[int] | None]] = {}

    def ngrams(self, text: str) -> list[str]:
        """langdetect's n-grams of ``text`` in order (``NGram.add_char``), those with a profile."""
        table = self._table
        return [piece for piece in candidates(text) if piece in table]

    def rank(self, text: str, among: frozenset[str], enough: float = math.inf) -> Ranking:
        """Rank the languages of ``among`` that have a profile by the likelihood of ``text``.

        Reading stops early once the leader is ``enough`` nats ahead: a long message that is
        plainly Polish after forty letters costs no more than those forty letters.
        """
        rows = list(filter(None, map(self._table.get, candidates(text))))
        slots = self._slots_of(among)
        total, start, read = 0, 0, len(rows)
        if enough < math.inf:  # the lead is looked at between blocks, never after the last
            limit = enough / self._slots.unit
            for end in range(_BLOCK, read, _BLOCK):
                total += lifted_sum(rows[start:end])
                start = end
                if _lead(_pick(self._slots.unpack(total), slots)) >> NAME_BITS >= limit:
                    read = end
                    break
        total += lifted_sum(rows[start:read])
        keys = sorted(_pick(self._slots.unpack(total + self._slots.names), slots), reverse=True)
        order = tuple(map(self._slots.by_name.__getitem__, map(and_, keys, _NAME_MASK)))
        return Ranking(order, read, tuple(keys), self._slots.fraction_bits)

    def _slots_of(self, among: frozenset[str]) -> list[int] | None:
        """The slots of the languages of ``among`` with a profile, None for all (kept per set)."""
        found = self._chosen.get(among)  # one look-up: a fresh set's equality costs a pass
        if found is None:
            slots = [self._slots.slot[i] for i, lang in enumerate(self.languages) if lang in among]
            found = (None if len(slots) == len(self.languages) else slots,)
            if len(self._chosen) >= 64:  # callers pass a handful of sets; never grow unbounded
                self._chosen.clear()
            self._chosen[among] = found
        return found[0]


def _pick(values: tuple[int, ...], slots: list[int] | None) -> Sequence[int]:
    return values if slots is None else list(map(values.__getitem__, slots))


def _readable(gram: str) -> bool:
    """Whether ``NGram`` can ever read ``gram`` (of one to three characters): a space only first
    or last, and not a lone space.  No shipped profile has any other; dropping them keeps lookups
    of pieces that straddle two words (``candidates`` yields those) from ever matching."""
    return gram != " " and " " not in gram[1:-1]


def _lead(scores: Sequence[int]) -> int:
    """How far the best score leads the second (none counts as 0, as a score is at least 0)."""
    top = sorted(scores)[-2:]
    return top[-1] - top[0] if len(top) == 2 else (top[0] if top else 0)


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


__all__ = ["MAX_CHARS", "NgramModel", "Ranking", "default_model", "load_model"]
