"""The language menu: locales by letter, likeliest first, a page at a time (issue 10).

Languages are chosen by letter or by name, never by number: the menu may share a message
with the danger question, whose numbers ("1" yes) must keep answering it.  The menu lives in
``ConversationState.extra`` as ``{"order": [...], "page": n}`` so the next message can pick.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from bot import messages as m
from bot.catalog import Catalogs
from bot.commands import normalize
from bot.langnames import fold, language_named
from bot.types import Button

LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Six names and "more" fit under the danger check's two languages within three SMS segments
# even in UCS-2 (tests/bot/test_language_wiring.py renders the longest page of every locale).
PAGE_SIZE = 6
MORE = "more"
MORE_LABEL = "..."
MORE_DATA = "lang:+"


@dataclass(frozen=True)
class Menu:
    """Locales in the order offered, and the page on show."""

    order: tuple[str, ...]
    page: int = 0

    @classmethod
    def stored(cls, value: Any, enabled: Sequence[str]) -> Menu | None:
        """The menu kept in the state (``True`` from older states: every locale, first page)."""
        if value is True:
            return cls(tuple(enabled))
        if not isinstance(value, dict):
            return None
        order = tuple(loc for loc in value.get("order", ()) if loc in enabled)
        page = value.get("page", 0)
        return cls(order or tuple(enabled), page if isinstance(page, int) and page >= 0 else 0)

    def to_extra(self) -> dict[str, Any]:
        return {"order": list(self.order), "page": self.page}

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.order) // PAGE_SIZE))

    @property
    def shown(self) -> tuple[str, ...]:
        page = self.page % self.pages
        return self.order[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]

    def next_page(self) -> Menu:
        return Menu(self.order, (self.page + 1) % self.pages)

    def lines(self, catalogs: Catalogs) -> str:
        """ "a English\\nb Español ..." and, when there is more, a letter for the next page."""
        rows = [f"{LETTERS[i]} {name(catalogs, loc)}" for i, loc in enumerate(self.shown)]
        if self.pages > 1:
            rows.append(f"{LETTERS[len(self.shown)]} {MORE_LABEL}")
        return "\n".join(rows)

    def buttons(self, catalogs: Catalogs) -> tuple[tuple[Button, ...], ...]:
        rows = [(Button(label=name(catalogs, loc), data=f"lang:{loc}"),) for loc in self.shown]
        if self.pages > 1:
            rows.append((Button(label=MORE_LABEL, data=MORE_DATA),))
        return tuple(rows)

    def pick(self, text: str, catalogs: Catalogs, enabled: Sequence[str]) -> str | None:
        """The locale ``text`` chooses (a letter on show, a name), ``MORE``, or None.

        Never a bare ISO code: "hi", "no", "so", "to", "am", "it" are words people type (a greeting
        is no wish for Hindi), and the menu asks for a letter or a name.
        """
        said = normalize(text)
        if len(said) == 1 and said in LETTERS:
            index = LETTERS.index(said)
            if index < len(self.shown):
                return self.shown[index]
            return MORE if index == len(self.shown) and self.pages > 1 else None
        named = language_named(text, enabled)
        if named is not None:
            return named
        for locale in enabled:  # the catalog's own name ("Kreyòl ayisyen" as the menu shows it)
            if said in (normalize(name(catalogs, locale)), fold(name(catalogs, locale))):
                return locale
        return None


def name(catalogs: Catalogs, locale: str) -> str:
    """A locale's name in its own language."""
    return catalogs.text(locale, m.LANG_NAME, locale)
