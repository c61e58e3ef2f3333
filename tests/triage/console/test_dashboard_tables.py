"""The dashboard's tables from counted facts: rare values folded, weeks, the CSV (no database)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from triage.console.dashboard_tables import RARE, TipFacts, build_tables, to_csv, week_of, window

WEEKS = ("2026-W48", "2026-W49")


def _facts(week: str, n: int, *, language: str = "en", area: str = "", priority: str = "P3",
           categories: tuple[str, ...] = ("labour",)) -> list[TipFacts]:
    return [TipFacts(week=week, priority=priority, categories=categories, area=area, language=language)] * n


def test_a_rare_language_is_never_named() -> None:
    facts = _facts("2026-W48", 6) + _facts("2026-W49", 6) + _facts("2026-W49", 2, language="ti")
    tables = build_tables(facts, WEEKS, area_label=str, language_label=lambda c: f"lang:{c}")
    language = next(t for t in tables if t.key == "language")
    assert language.columns == ("lang:en", RARE, "Total")
    exported = to_csv(tables)
    assert "ti" not in exported.replace("Total", "") and "lang:ti" not in exported
    # 14 - 12 would give the 2 away: the English total is hidden too, and so is a W49 cell.
    assert [c.text for c in language.totals] == ["x", "<5", "14"]
    assert sum(c.text == "x" for c in language.cells[1]) >= 1


def test_areas_fold_other_answers_with_rare_ones_and_keep_not_given() -> None:
    facts = (_facts("2026-W48", 5, area="north") + _facts("2026-W49", 1, area="other")
             + _facts("2026-W49", 2, area="south") + _facts("2026-W49", 3))
    area = build_tables(facts, WEEKS, area_label=str.title, language_label=str)[2]
    assert area.key == "area" and area.columns == ("North", "not given", RARE, "Total")


def test_categories_count_mentions_and_tips_without_one() -> None:
    facts = _facts("2026-W48", 5, categories=("labour", "sex")) + _facts("2026-W48", 6, categories=())
    category = build_tables(facts, WEEKS, area_label=str, language_label=str)[1]
    assert category.columns == ("labour", "sex", "none", "Total")
    assert [c.text for c in category.totals] == ["5", "5", "6", "16"]  # 16 mentions of 11 tips
    assert "not tips" in category.note


def test_the_window_covers_whole_iso_weeks_ending_with_this_one() -> None:
    now = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc).timestamp()  # a Monday, W49
    since, until, labels = window(now, 3)
    assert labels == ("2026-W47", "2026-W48", "2026-W49")
    assert datetime.fromtimestamp(since, timezone.utc) == datetime(2026, 11, 16, tzinfo=timezone.utc)
    assert datetime.fromtimestamp(until, timezone.utc) == datetime(2026, 12, 7, tzinfo=timezone.utc)
    assert week_of(until - 1) == "2026-W49" and week_of(since) == "2026-W47"


def test_the_csv_lists_every_cell_with_its_published_text() -> None:
    facts = _facts("2026-W48", 7) + _facts("2026-W49", 1, priority="P1")
    tables = build_tables(facts, WEEKS, area_label=str, language_label=str)
    rows = list(csv.reader(io.StringIO(to_csv(tables))))
    assert len(rows) == 1 + sum(len(t.weeks) * len(t.columns) for t in tables)
    assert ["priority", "2026-W49", "P1", "<5"] in rows
    assert ["priority", "Total", "Total", "8"] in rows
