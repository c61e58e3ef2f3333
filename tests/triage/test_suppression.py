"""Complementary suppression against an attacker who knows the rules and does the arithmetic.

Two attackers, written here independently of the module: the subtraction one (a line with one
hidden cell gives it back, repeated until nothing more falls), and an exhaustive one that lists
every table agreeing with what is published ("<5" is 1-4, "x" is 5 or more, shown cells exact).
"""

from __future__ import annotations

import random
from typing import Sequence

from triage.suppression import Cell, Mark, protect_matrix, protect_together, undetermined, with_totals

Pos = tuple[int, int]
Published = list[list[Cell]]


def _lines(cells: Published) -> list[list[tuple[Pos, int]]]:
    """Every row and column as (position, coefficient): the inner cells minus the total sum to zero."""
    last_r, last_c = len(cells) - 1, len(cells[0]) - 1
    rows = [[((i, j), -1 if j == last_c else 1) for j in range(last_c + 1)] for i in range(last_r + 1)]
    cols = [[((i, j), -1 if i == last_r else 1) for i in range(last_r + 1)] for j in range(last_c + 1)]
    return rows + cols


def subtraction_attack(cells: Published) -> dict[Pos, int]:
    known = {(i, j): c.shown for i, r in enumerate(cells) for j, c in enumerate(r) if c.shown is not None}
    recovered: dict[Pos, int] = {}
    progress = True
    while progress:
        progress = False
        for line in _lines(cells):
            missing = [(p, k) for p, k in line if p not in known]
            if len(missing) == 1:
                (pos, coef), = missing
                rest = sum(k * known[p] for p, k in line if p in known)
                known[pos] = recovered[pos] = -rest * coef
                progress = True
    return recovered


def exhaustive_attack(cells: Published) -> dict[Pos, set[int]]:
    """Every value each hidden cell takes over all tables that agree with the published one.
    A shown grand total bounds every cell; a hidden one leaves them unbounded, and the search
    stops well above the true counts."""
    grand = cells[-1][-1]
    cap = grand.value if grand.shown is not None else 2 * grand.value + 10
    domains = {(i, j): (range(1, 5) if c.mark is Mark.SMALL else range(5, cap + 1))
               for i, r in enumerate(cells) for j, c in enumerate(r) if c.shown is None}
    fixed = {(i, j): c.value for i, r in enumerate(cells) for j, c in enumerate(r) if c.shown is not None}
    lines = _lines(cells)
    seen: dict[Pos, set[int]] = {p: set() for p in domains}

    def consistent(assigned: dict[Pos, int]) -> Pos | None | bool:
        """False on a broken line; a forced position's value is placed in ``assigned``."""
        for line in lines:
            open_ = [(p, k) for p, k in line if p not in assigned]
            total = sum(k * assigned[p] for p, k in line if p in assigned)
            if not open_ and total != 0:
                return False
            if len(open_) == 1:
                (pos, coef), = open_
                value = -total * coef
                if value not in domains[pos]:
                    return False
                assigned[pos] = value
                return pos
        return None

    def search(assigned: dict[Pos, int]) -> None:
        assigned = dict(assigned)
        while (step := consistent(assigned)) not in (None, False):
            pass
        if step is False:
            return
        free = [p for p in domains if p not in assigned]
        if not free:
            for p in domains:
                seen[p].add(assigned[p])
            return
        for value in domains[free[0]]:
            search({**assigned, free[0]: value})

    search(dict(fixed))
    return seen


def _small_cells(cells: Published) -> list[Pos]:
    return [(i, j) for i, r in enumerate(cells) for j, c in enumerate(r) if c.mark is Mark.SMALL]


def _assert_safe(cells: Published) -> None:
    assert not {p for p in subtraction_attack(cells) if p in _small_cells(cells)}
    seen = exhaustive_attack(cells)
    for pos in _small_cells(cells):
        assert cells[pos[0]][pos[1]].value in seen[pos], "the true table must be among the solutions"
        assert len(seen[pos]) >= 2, f"small cell {pos} is recovered: {seen[pos]}"


def _texts(cells: Published) -> list[list[str]]:
    return [[c.text for c in r] for r in cells]


def test_primary_suppression_alone_falls_to_subtraction() -> None:
    values = with_totals([[3, 10, 12], [8, 9, 20]])
    naive = [[Cell(v, Mark.SMALL if 0 < v < 5 else Mark.SHOWN) for v in row] for row in values]
    assert _texts(naive)[0] == ["<5", "10", "12", "25"]
    assert subtraction_attack(naive)[(0, 0)] == 3  # 25 - 10 - 12: why complements are needed
    assert not undetermined(naive)


def test_a_small_cell_gets_complements_in_its_row_and_column() -> None:
    cells = protect_matrix(with_totals([[3, 10, 12], [8, 9, 20]]))
    texts = _texts(cells)
    assert texts[0][0] == "<5"
    assert sum(t == "x" for t in texts[0]) >= 1 and sum(r[0] == "x" for r in texts) >= 1
    assert texts[2][3] == "62"  # the grand total stays shown
    _assert_safe(cells)


def test_a_small_total_is_protected_too() -> None:
    cells = protect_matrix(with_totals([[1, 2, 0], [6, 7, 9], [5, 8, 6]]))
    assert _texts(cells)[0][3] == "<5"  # the row total 3
    _assert_safe(cells)


def test_zeros_stay_shown_and_are_never_complements() -> None:
    cells = protect_matrix(with_totals([[0, 2, 0], [0, 9, 7]]))
    assert all(c.text == "0" for r in cells for c in r if c.value == 0)
    _assert_safe(cells)


def test_a_table_without_small_counts_hides_nothing() -> None:
    cells = protect_matrix(with_totals([[5, 10], [0, 7]]))
    assert _texts(cells) == [["5", "10", "15"], ["0", "7", "7"], ["5", "17", "22"]]


def test_a_single_tip_is_not_given_away() -> None:
    cells = protect_matrix(with_totals([[0, 1], [0, 0]]))
    assert _texts(cells) == [["0", "<5", "<5"], ["0", "0", "0"], ["0", "<5", "<5"]]
    _assert_safe(cells)


def test_a_bound_is_not_enough_to_pin_a_cell() -> None:
    # A "<5" cell at 4 next to one at 1 with a complement at exactly 5: moving by one must respect
    # what the attacker knows ("<5" is 1-4, "x" is 5+), not only the line sums.
    cells = protect_matrix(with_totals([[4, 5, 9], [1, 5, 30], [6, 7, 8]]))
    _assert_safe(cells)


def test_random_tables_resist_both_attacks() -> None:
    rng = random.Random(12)
    for _ in range(120):
        rows, cols = rng.randint(1, 3), rng.randint(1, 3)
        counts = [[rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 14]) for _ in range(cols)] for _ in range(rows)]
        cells = protect_matrix(with_totals(counts))
        assert all(c.value > 0 for r in cells for c in r if c.mark is Mark.HIDDEN)
        assert undetermined(cells)
        _assert_safe(cells)


def test_the_exact_check_agrees_with_the_exhaustive_attacker() -> None:
    """``undetermined`` (a cycle search) against brute force, on random hiding patterns."""
    rng = random.Random(7)
    disagreements = 0
    for n in range(200):
        shape = ((2, 2), (2, 3), (3, 2))[n % 3]
        counts = [[rng.choice([0, 1, 3, 4, 5, 6, 11]) for _ in range(shape[1])] for _ in range(shape[0])]
        values = with_totals(counts)
        cells = [[Cell(v, Mark.SMALL if 0 < v < 5 else
                       (Mark.HIDDEN if v >= 5 and rng.random() < 0.4 else Mark.SHOWN)) for v in row]
                 for row in values]
        seen = exhaustive_attack(cells)
        brute = all(len(seen[p]) >= 2 for p in _small_cells(cells))
        disagreements += brute != undetermined(cells)
    assert disagreements == 0


def test_tables_sharing_week_totals_hide_the_same_totals() -> None:
    by_priority = with_totals([[0, 0, 6], [0, 9, 5], [2, 6, 0]])
    by_language = with_totals([[1, 5], [9, 5], [3, 5]])  # the same tips per week, split otherwise
    alone = [r[-1].shown is None for r in protect_matrix(by_priority)]
    assert alone != [r[-1].shown is None for r in protect_matrix(by_language)]  # would leak across tables
    a, b = protect_together([by_priority, by_language])
    assert [r[-1].shown is None for r in a] == [r[-1].shown is None for r in b]
    for cells in (a, b):
        _assert_safe(cells)


def _rows(cells: Sequence[Sequence[Cell]]) -> list[list[int | None]]:
    return [[c.shown for c in r] for r in cells]


def test_shown_values_are_the_true_ones() -> None:
    counts = [[3, 10, 12], [8, 9, 20]]
    cells = protect_matrix(with_totals(counts))
    truth = with_totals(counts)
    for shown_row, true_row in zip(_rows(cells), truth, strict=True):
        assert all(s is None or s == t for s, t in zip(shown_row, true_row, strict=True))
