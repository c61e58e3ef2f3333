"""The dashboard's counts: tips by week crossed with priority, category, area and language, each
table protected by ``triage.suppression`` before anything is shown or exported.

Values that name few tips are folded into one column before counting (a column headed with a rare
language would say that someone wrote in it, whatever its count): the practice of the US
hotline's published statistics, where rare cases are grouped as "other".
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable, Sequence

from triage.suppression import MIN_SHOWN, Cell, protect_matrix, protect_together, with_totals

TOTAL = "Total"
RARE = "other or rare"  # values with fewer than MIN_SHOWN tips in the window, and "other" answers
NOT_GIVEN = "not given"
NO_CATEGORY = "none"
NO_LINK = "no campaign link"
SEP = "\x1f"  # between a campaign's area and language in a column key; never in either
PRIORITIES = ("P1", "P2", "P3", "P4")
WEEK = 7 * 86400.0


@dataclass(frozen=True)
class TipFacts:
    """What the dashboard counts of one tip (see the README: which is metadata, which is sealed)."""

    week: str
    priority: str
    categories: tuple[str, ...]
    area: str  # an area key, "other", or "" when not given
    language: str  # a locale code
    campaign: str = ""  # the area of the Telegram deep link the reporter came by ("" for none)

    @property
    def campaign_key(self) -> str:
        """The campaign table's value: the link's area and the tip's language, or NOT_GIVEN."""
        return f"{self.campaign}{SEP}{self.language}" if self.campaign else NOT_GIVEN


@dataclass(frozen=True)
class CountTable:
    key: str
    title: str
    columns: tuple[str, ...]  # labels, the total last
    weeks: tuple[str, ...]  # row labels, the total last
    cells: tuple[tuple[Cell, ...], ...]
    chart_title: str  # of the chart of its column totals
    note: str = ""

    @property
    def totals(self) -> tuple[Cell, ...]:
        """The bottom row: each column's total over the window."""
        return self.cells[-1]

    @property
    def week_totals(self) -> tuple[Cell, ...]:
        return tuple(row[-1] for row in self.cells[:-1])


def _iso(at: float) -> tuple[int, int, int]:
    iso = datetime.fromtimestamp(at, timezone.utc).isocalendar()
    return iso.year, iso.week, iso.weekday


def week_of(at: float) -> str:
    """The ISO week of a time, in UTC: 2026-W48."""
    year, week, _ = _iso(at)
    return f"{year}-W{week:02d}"


def window(now: float, weeks: int) -> tuple[float, float, tuple[str, ...]]:
    """[since, until) covering the current ISO week and the ``weeks - 1`` before it, and their labels."""
    _, _, weekday = _iso(now)
    day = now - now % 86400.0
    monday = day - (weekday - 1) * 86400.0
    since = monday - (weeks - 1) * WEEK
    return since, monday + WEEK, tuple(week_of(since + n * WEEK + 3600.0) for n in range(weeks))


def _fold(values: Iterable[str], *, named: Callable[[str], bool]) -> dict[str, str]:
    """Each value to its column: itself when it names at least MIN_SHOWN tips, else RARE.
    NOT_GIVEN names nobody and keeps its column."""
    counts = Counter(values)
    return {v: (v if v == NOT_GIVEN or (named(v) and n >= MIN_SHOWN) else RARE) for v, n in counts.items()}


def _columns(folded: dict[str, str], label: Callable[[str], str]) -> tuple[str, ...]:
    names = sorted({c for c in folded.values() if c not in (RARE, NOT_GIVEN)}, key=label)
    return tuple(names) + tuple(c for c in (NOT_GIVEN, RARE) if c in folded.values())


def _matrix(facts: Sequence[TipFacts], weeks: Sequence[str], columns: Sequence[str],
            of: Callable[[TipFacts], Iterable[str]]) -> list[list[int]]:
    counts = [[0] * len(columns) for _ in weeks]
    row_of, col_of = {w: i for i, w in enumerate(weeks)}, {c: j for j, c in enumerate(columns)}
    for tip in facts:
        for value in of(tip):
            counts[row_of[tip.week]][col_of[value]] += 1
    return with_totals(counts)


def _table(key: str, title: str, columns: Sequence[str], weeks: Sequence[str], cells: list[list[Cell]],
           label: Callable[[str], str], note: str = "") -> CountTable:
    return CountTable(key=key, title=f"{title}, by week", columns=tuple(label(c) for c in columns) + (TOTAL,),
                      weeks=tuple(weeks) + (TOTAL,), cells=tuple(tuple(r) for r in cells), chart_title=title,
                      note=note)


def _campaign_label(area_label: Callable[[str], str], language_label: Callable[[str], str]) -> Callable[[str], str]:
    def label(key: str) -> str:
        if SEP not in key:
            return NO_LINK if key == NOT_GIVEN else key  # RARE
        area, language = key.split(SEP, 1)
        return f"{area_label(area)} / {language_label(language)}"
    return label


def build_tables(facts: Sequence[TipFacts], weeks: Sequence[str], *, area_label: Callable[[str], str],
                 language_label: Callable[[str], str]) -> tuple[CountTable, ...]:
    """The five tables, protected; priority, area, language and campaign share their week totals."""

    def area_name(a: str) -> str:
        return a if a in (RARE, NOT_GIVEN) else area_label(a)

    def language_name(code: str) -> str:
        return code if code == RARE else language_label(code)

    campaign_name = _campaign_label(area_name, language_name)
    links = _fold((t.campaign_key for t in facts), named=lambda v: True)
    link_cols = _columns(links, campaign_name)
    by_link = _matrix(facts, weeks, link_cols, lambda t: (links[t.campaign_key],))

    areas = _fold((t.area or NOT_GIVEN for t in facts), named=lambda v: v != "other")
    languages = _fold((t.language for t in facts), named=lambda v: True)
    area_cols, lang_cols = _columns(areas, area_name), _columns(languages, language_name)
    by_priority = _matrix(facts, weeks, PRIORITIES, lambda t: (t.priority,))
    by_area = _matrix(facts, weeks, area_cols, lambda t: (areas[t.area or NOT_GIVEN],))
    by_language = _matrix(facts, weeks, lang_cols, lambda t: (languages[t.language],))
    prio_cells, area_cells, lang_cells, link_cells = protect_together([by_priority, by_area, by_language, by_link])
    cat_cols = tuple(sorted({c for t in facts for c in t.categories}))
    cat_cols += (NO_CATEGORY,) if any(not t.categories for t in facts) else ()
    by_category = _matrix(facts, weeks, cat_cols, lambda t: t.categories or (NO_CATEGORY,))
    return (
        _table("priority", "Tips by priority", PRIORITIES, weeks, prio_cells, str),
        _table("category", "Categories named", cat_cols, weeks, protect_matrix(by_category), str,
               note="A tip can name several categories: these totals count categories named, not tips."),
        _table("area", "Tips by area", area_cols, weeks, area_cells, area_name),
        _table("language", "Tips by language", lang_cols, weeks, lang_cells, language_name),
        _table("campaign", "Tips by campaign link (area / language)", link_cols, weeks, link_cells, campaign_name,
               note="The area a poster's Telegram link names, and the language the reporter wrote in."),
    )


def _safe(text: str) -> str:
    """A spreadsheet must not take a label for a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def to_csv(tables: Sequence[CountTable]) -> str:
    """The same cells as the page, one per line: table, week, column, count ("<5", "x" or a number)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["table", "week", "column", "count"])
    for table in tables:
        for week, row in zip(table.weeks, table.cells, strict=True):
            for column, cell in zip(table.columns, row, strict=True):
                writer.writerow([table.key, _safe(week), _safe(column), cell.text])
    return out.getvalue()
