"""gettext catalogs (Babel) keyed by symbolic message ids such as ``q.A2``.

Catalogs are read from the ``.po`` files at start-up so no compiled ``.mo`` is needed
and translators keep their usual tools.  Lookup never raises at handle time: a missing
or empty text falls back to the default locale and then to the message id, so a
gap shows up as an odd word rather than a crash (start-up validation catches gaps).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from babel.messages.pofile import read_po

from bot.flow import FlowError

DOMAIN = "tipline"


@dataclass(frozen=True)
class Catalogs:
    """Message texts per locale: ``messages[locale][msgid] -> text``."""

    messages: Mapping[str, Mapping[str, str]]

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self.messages)

    def has(self, locale: str, msgid: str) -> bool:
        return bool(self.messages.get(locale, {}).get(msgid))

    def text(self, locale: str, msgid: str, fallback: str | None = None) -> str:
        for lang in (locale, fallback):
            if lang is not None and self.has(lang, msgid):
                return self.messages[lang][msgid]
        return msgid

    def words(self, locale: str, msgid: str) -> tuple[str, ...]:
        """A ``|``-separated word list (command words, answer words), lower-cased."""
        raw = self.messages.get(locale, {}).get(msgid, "")
        return tuple(w.strip().casefold() for w in raw.split("|") if w.strip())


def po_path(locales_dir: Path, locale: str) -> Path:
    return locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_catalogs(locales_dir: Path, locales: tuple[str, ...]) -> Catalogs:
    """Read ``locales/<lang>/LC_MESSAGES/tipline.po`` for each locale; raises FlowError."""
    messages: dict[str, dict[str, str]] = {}
    for locale in locales:
        path = po_path(Path(locales_dir), locale)
        try:
            stat = path.stat()
        except OSError as exc:
            raise FlowError(f"catalog for locale {locale!r} not readable at {path}: {exc}") from exc
        # A copy: the parsed one is shared.
        messages[locale] = dict(_texts(path, locale, stat.st_mtime_ns, stat.st_size))
    return Catalogs(messages=messages)


@lru_cache(maxsize=64)
def _texts(path: Path, locale: str, mtime_ns: int, size: int) -> Mapping[str, str]:
    """One catalog's shown texts, parsed once per file version: start-up asks for every catalog
    twice (the default locales' check, then the engine), and Babel's parser is a tenth of a
    worker's start.  Keyed by the file's time and size, so a rewritten catalog is read again."""
    try:
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale, domain=DOMAIN)
    except OSError as exc:
        raise FlowError(f"catalog for locale {locale!r} not readable at {path}: {exc}") from exc
    except Exception as exc:  # Babel raises several unrelated types on a malformed file
        raise FlowError(f"catalog {path} is malformed: {exc}") from exc
    texts: dict[str, str] = {}
    for message in catalog:
        # Fuzzy entries are unreviewed machine or draft translations: never show them.
        if message.id and isinstance(message.id, str) and isinstance(message.string, str):
            if message.string and not message.fuzzy:
                texts[message.id] = message.string
    return MappingProxyType(texts)
