"""Bar charts of protected counts, laid out here and drawn as SVG by the dashboard template.

A hidden count gets no bar, only its published text ("<5" or "x"): a bar's length would give it
back.  Every chart carries a text alternative (the SVG's title and description) besides the table
printed under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from triage.suppression import Cell

LABEL_WIDTH = 170
BAR_AREA = 360
ROW_HEIGHT = 24


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the published value
    y: int
    width: int  # 0 for a hidden count
    hidden: bool


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    description: str  # the text alternative: every bar's label and value
    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int = LABEL_WIDTH


def bar_chart(key: str, title: str, labels: Sequence[str], cells: Sequence[Cell]) -> Chart:
    """Horizontal bars scaled to the largest shown count."""
    largest = max((c.shown or 0 for c in cells), default=0) or 1
    bars = tuple(
        Bar(label=label, text=cell.text, y=n * ROW_HEIGHT,
            width=round(BAR_AREA * (cell.shown or 0) / largest), hidden=cell.shown is None)
        for n, (label, cell) in enumerate(zip(labels, cells, strict=True))
    )
    description = "; ".join(f"{b.label}: {b.text}" for b in bars) or "no tips"
    return Chart(key=key, title=title, description=description, bars=bars,
                 width=LABEL_WIDTH + BAR_AREA + 60, height=max(1, len(bars)) * ROW_HEIGHT + 4)
