"""Small-cell and complementary suppression of a count table with its totals.

A table of counts (rows x columns) is published with its row totals, column totals and grand
total.  Any count from 1 to 4 (totals included) is shown as "<5" (primary suppression): a count
that small can point at one reporter.  Hiding it alone is not enough: a row total minus the other
cells of that row gives it back.  So other cells are hidden too (complementary suppression,
shown as "x") until no hidden small count can be worked out from what is shown.

How "cannot be worked out" is decided (the attacker knows every rule of this module):

* Write the table with its totals as an (R+1) x (C+1) matrix and negate the cells that are exactly
  one total (a row's or a column's); then every row and column of the matrix sums to zero.  The
  hidden cells are the edges of a bipartite graph between row and column nodes, and every table
  that agrees with what is shown differs from the true one by a circulation on those edges.
* The attacker knows a "<5" cell is 1 to 4, and that a complementary cell is 5 or more (a 1-4
  count would have been "<5", and zeros are never used as complements: a hidden zero would give
  the attacker a bound).  Under these interval bounds a small cell has another possible value if
  and only if some simple cycle through it can move by one unit within every cell's bounds
  (conformal decomposition of the difference of two tables).  ``undetermined`` checks exactly that
  with a directed search, and ``protect`` adds, for each small cell that fails, the cheapest path of
  shown cells that closes such a cycle.  Hiding more cells only adds freedom, so one pass suffices.

Zeros are shown: "no tips in that language this week" points at nobody.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable, Sequence

MIN_SHOWN = 5  # counts 1..MIN_SHOWN-1 are small

Pos = tuple[int, int]


class Mark(StrEnum):
    SHOWN = "shown"
    SMALL = "small"  # primary: a count from 1 to 4, shown as "<5"
    HIDDEN = "hidden"  # complementary: hidden so that a small count cannot be worked out


@dataclass(frozen=True)
class Cell:
    value: int
    mark: Mark

    @property
    def text(self) -> str:
        """What is published: the count, "<5", or "x"."""
        if self.mark is Mark.SMALL:
            return f"<{MIN_SHOWN}"
        return "x" if self.mark is Mark.HIDDEN else str(self.value)

    @property
    def shown(self) -> int | None:
        return self.value if self.mark is Mark.SHOWN else None


def with_totals(counts: Sequence[Sequence[int]]) -> list[list[int]]:
    """The counts with a total column on the right and a total row at the bottom."""
    width = len(counts[0]) if counts else 0
    rows = [list(r) + [sum(r)] for r in counts]
    rows.append([sum(r[j] for r in rows) for j in range(width + 1)])
    return rows


def _sign(pos: Pos, last: Pos) -> int:
    """-1 for a cell that is exactly one total, so that every line of the matrix sums to zero."""
    return -1 if (pos[0] == last[0]) != (pos[1] == last[1]) else 1


def _bounds(value: int, mark: Mark) -> tuple[int, int | None]:
    """What the attacker knows of a hidden cell (a shown one is exact)."""
    if mark is Mark.SMALL:
        return 1, MIN_SHOWN - 1
    if mark is Mark.HIDDEN:
        return MIN_SHOWN, None
    return value, value


def _moves(value: int, mark: Mark) -> tuple[bool, bool]:
    """Whether the cell could be one more, one less, within the attacker's bounds."""
    low, high = _bounds(value, mark)
    return high is None or value < high, value > low


class _Grid:
    """The matrix with its marks, as a directed graph for the cycle search."""

    def __init__(self, values: list[list[int]], marks: list[list[Mark]]) -> None:
        self.values = values
        self.marks = marks
        self.last: Pos = (len(values) - 1, len(values[0]) - 1)

    def positions(self) -> Iterable[Pos]:
        return ((i, j) for i in range(len(self.values)) for j in range(len(self.values[0])))

    def col_node(self, j: int) -> int:
        return len(self.values) + j

    def arcs(self, pos: Pos, mark: Mark) -> list[tuple[int, int]]:
        """Arcs (from, to) this cell gives the circulation graph: row->column when the
        matrix entry may go up by one, column->row when it may go down by one."""
        up, down = _moves(self.values[pos[0]][pos[1]], mark)
        if _sign(pos, self.last) < 0:
            up, down = down, up
        row, col = pos[0], self.col_node(pos[1])
        return ([(row, col)] if up else []) + ([(col, row)] if down else [])

    def cost(self, pos: Pos) -> int | None:
        """The price of hiding a cell as a complement; None when it cannot be one (a zero)."""
        mark, value = self.marks[pos[0]][pos[1]], self.values[pos[0]][pos[1]]
        if mark is not Mark.SHOWN:
            return 0
        if value == 0:
            return None
        totals = (pos[0] == self.last[0]) + (pos[1] == self.last[1])
        return value * (1, 3, 10)[totals]  # keep totals, the grand total most of all, visible

    def path(self, start: int, goal: int, skip: Pos, free_only: bool) -> list[Pos] | None:
        """The cheapest directed path start->goal over cells other than ``skip`` (Dijkstra);
        with ``free_only`` only cells already hidden.  Returns the cells to hide on it."""
        edges: dict[int, list[tuple[int, int, Pos]]] = {}
        for pos in self.positions():
            price = self.cost(pos)
            if pos == skip or price is None or (free_only and price > 0):
                continue
            mark = self.marks[pos[0]][pos[1]]
            for a, b in self.arcs(pos, Mark.HIDDEN if mark is Mark.SHOWN else mark):
                edges.setdefault(a, []).append((b, price, pos))
        best: dict[int, tuple[int, list[Pos]]] = {start: (0, [])}
        heap: list[tuple[int, int, list[Pos]]] = [(0, start, [])]
        while heap:
            dist, node, cells = heapq.heappop(heap)
            if node == goal:
                return cells
            if dist > best[node][0]:
                continue
            for nxt, price, pos in edges.get(node, []):
                if nxt not in best or dist + price < best[nxt][0]:
                    best[nxt] = (dist + price, cells + [pos])
                    heapq.heappush(heap, (dist + price, nxt, cells + [pos]))
        return None

    def cycle(self, pos: Pos, free_only: bool) -> list[Pos] | None:
        """Cells closing a feasible cycle through the small cell ``pos`` (cheapest direction)."""
        found: list[list[Pos]] = []
        for a, b in self.arcs(pos, Mark.SMALL):
            path = self.path(b, a, pos, free_only)
            if path is not None:
                found.append(path)
        return min(found, key=lambda p: sum(self.cost(c) or 0 for c in p)) if found else None


def _primary(values: list[list[int]], forced: Iterable[Pos]) -> list[list[Mark]]:
    marks = [[Mark.SMALL if 0 < v < MIN_SHOWN else Mark.SHOWN for v in row] for row in values]
    for i, j in forced:
        if marks[i][j] is Mark.SHOWN and values[i][j] > 0:  # a zero is never a complement
            marks[i][j] = Mark.HIDDEN
    return marks


def protect_matrix(values: list[list[int]], forced: Iterable[Pos] = ()) -> list[list[Cell]]:
    """Marks for a matrix with its totals (``with_totals``); ``forced`` cells are hidden as well
    (a total another table hid: tables that share totals must hide the same ones)."""
    marks = _primary(values, forced)
    grid = _Grid(values, marks)
    for pos in list(grid.positions()):
        if marks[pos[0]][pos[1]] is not Mark.SMALL or grid.cycle(pos, free_only=True) is not None:
            continue
        extra = grid.cycle(pos, free_only=False)
        if extra is None:  # no shown cell can protect it: hide every non-zero cell
            extra = [p for p in grid.positions() if values[p[0]][p[1]] > 0]
        for i, j in extra:
            if marks[i][j] is Mark.SHOWN:
                marks[i][j] = Mark.HIDDEN
    return [[Cell(v, m) for v, m in zip(vr, mr, strict=True)] for vr, mr in zip(values, marks, strict=True)]


def undetermined(cells: Sequence[Sequence[Cell]]) -> bool:
    """Whether every small cell has another value that agrees with what is shown (the check
    ``protect_matrix`` relies on, exposed for tests and for a table that was all hidden)."""
    grid = _Grid([[c.value for c in r] for r in cells], [[c.mark for c in r] for r in cells])
    return all(grid.cycle(pos, free_only=True) is not None for pos in grid.positions()
               if cells[pos[0]][pos[1]].mark is Mark.SMALL)


def protect_together(matrices: Sequence[list[list[int]]]) -> list[list[list[Cell]]]:
    """Protect tables that share their row totals (tips per week, whichever way they are split):
    a total hidden in one is hidden in all, else the other table would give it away."""
    assert len({tuple(r[-1] for r in m) for m in matrices}) <= 1, "the tables do not share their row totals"
    forced: set[int] = set()  # rows whose total is hidden somewhere
    while True:
        done = [protect_matrix(m, {(i, len(m[0]) - 1) for i in forced}) for m in matrices]
        hidden = {i for cells in done for i, row in enumerate(cells) if row[-1].shown is None}
        if hidden <= forced:
            return done
        forced |= hidden
