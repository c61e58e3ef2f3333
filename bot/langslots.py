"""Fixed-point rows for ``bot.langmodel``: one ``int`` per n-gram, 64 bits per language.

Python adds two ints of any length in C, so a row holding every language's bonus side by side
("slots") lets ``sum`` score all languages of a text at once, where a loop over (language,
bonus) pairs cost most of a decision (issue 11).  A bonus is stored as an integer multiple of
``unit`` (2**-46 nats with langdetect's profiles; a text's score is off by under 1e-11), so
sums are exact, equal bonuses stay equal, and nothing carries into the next slot: a slot has
room for ``max_grams`` of the largest bonus above its ``NAME_BITS``, which are 0 in a row and
hold the language's place by name once a sum is read (ties sort by name, as they did).  Slots
follow the languages' scripts (Latin first, then Cyrillic, ...), and a row starts at the first
slot of its script (its "base", kept in the low ``TAG_BITS`` bits), so a Latin row does not pay
for the Hangul slot, and the rows of a text in one script add up as they are, one shift for the
whole sum.
"""

from __future__ import annotations

import math
import struct
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import and_

SLOT_BITS = 64  # one unsigned 64-bit word per language: ``struct`` reads them all in one call
# A row's tag: its base slot b (0..63) in the low BASE_BITS, b * b in the SQUARE_BITS above.
# A sum of up to MOST_ROWS rows holds the sum of their bases and of their squares there, which
# tells in two multiplications whether all had the same base (no spread: n * sum(b*b) equals
# sum(b) ** 2) without a look at each row.
MOST_ROWS = 511
BASE_BITS = 15  # 63 * MOST_ROWS < 2**15
SQUARE_BITS = 21  # 63 * 63 * MOST_ROWS < 2**21
TAG_BITS = BASE_BITS + SQUARE_BITS
NAME_BITS = 6  # the low bits of a slot: free in every row, the language's place by name in a sum
_BASE_MASK = (1 << BASE_BITS) - 1
_BASES = repeat(_BASE_MASK)
# One language of a row being read: its index in ``NgramModel.languages`` and its bonus.
_ENTRY = struct.Struct("<Bd")


@dataclass(frozen=True)
class Slots:
    """Where each language's bonus sits in a row, and the fixed-point step."""

    slot: tuple[int, ...]  # slot[language index]
    base: tuple[int, ...]  # base[slot]: the first slot of the same script
    fraction_bits: int  # of a score, above its NAME_BITS
    reader: struct.Struct
    by_name: tuple[str, ...]  # the languages by name: by_name[low NAME_BITS of a slot]
    names: int  # each slot's place in by_name, to add to a sum: ties then sort by name
    largest: float  # the largest bonus a slot has room for (max_grams of them)

    @property
    def unit(self) -> float:
        return math.ldexp(1.0, -self.fraction_bits)

    @classmethod
    def for_rows(cls, languages: Sequence[str], rows: Mapping[str, bytearray], largest: float,
                 max_grams: int) -> Slots:
        """Slots for ``languages`` given every row (``add_bonus``'s), bonuses up to ``largest``,
        room for ``max_grams`` of them in a sum."""
        if len(languages) > 64:
            raise ValueError("at most 64 languages fit a row's tag")
        fraction_bits = SLOT_BITS - NAME_BITS - math.ceil(math.log2(largest * max_grams + 1))
        if fraction_bits < 40:  # 2**-40 nats would still rank as a double does; never coarser
            raise ValueError("bonuses too large for a 64-bit slot")
        scripts = _scripts(len(languages), rows)
        shared = Counter(scripts)
        uses = Counter(chain.from_iterable(row[::_ENTRY.size] for row in rows.values()))
        # The largest script first (Latin: most texts, widest rows), its most used language at
        # slot 0: most rows then start at slot 0 or near it and lifting them costs little.
        order = sorted(range(len(languages)),
                       key=lambda i: (-shared[scripts[i]], scripts[i], -uses[i], languages[i]))
        slot = [0] * len(languages)
        for position, index in enumerate(order):
            slot[index] = position
        base = tuple(slot[next(i for i in order if scripts[i] == scripts[index])] for index in order)
        by_name = tuple(sorted(languages))
        names = sum(by_name.index(languages[index]) << (SLOT_BITS * slot[index])
                    for index in range(len(languages)))
        return cls(tuple(slot), base, fraction_bits, struct.Struct(f"<{len(languages)}Q"),
                   by_name, names, largest)

    def pack_all(self, rows: dict[str, bytearray]) -> dict[str, int]:
        """Every row as an int (``pack``), emptying ``rows`` as it goes (one copy at a time)."""
        slot, fraction_bits, largest = self.slot, self.fraction_bits, self.largest
        shift = [SLOT_BITS * (slot[i] - self.base[slot[i]]) + NAME_BITS + TAG_BITS for i in range(len(slot))]
        tag = [_tag(self.base[slot[i]]) for i in range(len(slot))]
        packed: dict[str, int] = {}
        for gram in list(rows):  # in the order read: memory freed where the ints go next
            row = rows.pop(gram)
            if len(row) != _ENTRY.size:
                packed[gram] = self.pack(row)
                continue
            index, bonus = _ENTRY.unpack(row)  # most rows: one language, packed inline
            if not 0.0 < bonus <= largest:
                raise ValueError(f"a bonus of {bonus} is out of the slots' range")
            packed[gram] = round(math.ldexp(bonus, fraction_bits)) << shift[index] | tag[index]
        return packed

    def pack(self, row: bytes | bytearray) -> int:
        """The row as an int: fixed-point bonuses from its base slot up, then the tag."""
        placed = [(self.slot[index], self._amount(bonus)) for index, bonus in _ENTRY.iter_unpack(row)]
        base: int = self.base[min(placed)[0]]
        value = 0
        for position, amount in placed:
            value |= amount << (SLOT_BITS * (position - base) + NAME_BITS)
        return value << TAG_BITS | _tag(base)

    def _amount(self, bonus: float) -> int:
        if not 0.0 < bonus <= self.largest:  # a larger one could carry into the next slot
            raise ValueError(f"a bonus of {bonus} is out of the slots' range")
        return round(math.ldexp(bonus, self.fraction_bits))

    def unpack(self, total: int) -> tuple[int, ...]:
        """Every slot of a sum of rows (shifted up, tags dropped), in slot order."""
        return self.reader.unpack(total.to_bytes(self.reader.size, "little"))


def lifted_sum(rows: list[int]) -> int:
    """The rows added slot by slot (each shifted up to its base, tag dropped), all in C: rows
    of one base are added as they are and their sum shifted once.  A text in one script has
    rows of its script's base, and often some of base 0 (Latin letters in other profiles)."""
    if len(rows) > MOST_ROWS:
        return lifted_sum(rows[:MOST_ROWS]) + lifted_sum(rows[MOST_ROWS:])
    raw = sum(rows)
    lifted = _one_base(raw, len(rows))
    if lifted is not None:
        return lifted
    others = list(filter(_BASE_MASK.__and__, rows))  # the rows not based at slot 0
    rest = sum(others)
    lifted = _one_base(rest, len(others))
    if lifted is not None:
        return ((raw - rest) >> TAG_BITS) + lifted
    tags = list(map(and_, rows, _BASES))
    return sum(sum(compress(rows, map(base.__eq__, tags))) >> TAG_BITS << (SLOT_BITS * base)
               for base in set(tags))


def _one_base(raw: int, count: int) -> int | None:
    """The sum ``raw`` of ``count`` rows lifted, if all had the same base (else None)."""
    bases = raw & _BASE_MASK
    if count * (raw >> BASE_BITS & (1 << SQUARE_BITS) - 1) != bases * bases:
        return None
    return raw >> TAG_BITS << (SLOT_BITS * (bases // count if count else 0))


def _tag(base: int) -> int:
    return base * base << BASE_BITS | base


def add_bonus(row: bytearray, index: int, bonus: float) -> None:
    """Append a language's bonus to a row being read; zh-cn and zh-tw (one language, read one
    after the other) keep the better of the two."""
    if row and row[-_ENTRY.size] == index:
        previous = _ENTRY.unpack_from(row, len(row) - _ENTRY.size)[1]
        _ENTRY.pack_into(row, len(row) - _ENTRY.size, index, max(previous, bonus))
        return
    row += _ENTRY.pack(index, bonus)


def _scripts(count: int, rows: Mapping[str, bytearray]) -> list[str]:
    """Each language's script, that of its likeliest letter: languages that share letters sit
    together."""
    best = [(0.0, "")] * count
    for gram, row in rows.items():
        if len(gram) == 1:
            for index, bonus in _ENTRY.iter_unpack(row):
                best[index] = max(best[index], (bonus, gram))
    return [unicodedata.name(letter, "?").split(" ")[0] if letter else "?" for _, letter in best]
