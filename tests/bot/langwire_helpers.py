"""An engine with every locale enabled, for interviews typed in other languages (issue 10)."""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.pofile import read_po

from bot import Engine, build_engine
from bot.catalog import po_path
from bot.types import Region
from tests.bot.helpers import LOCALES

ALL_LOCALES = tuple(sorted(p.name for p in LOCALES.iterdir() if (p / "words.toml").exists()))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def complete_copy(target: Path) -> Path:
    """The project's locales, with any message a translation still lacks taken from English.

    A stand-in only: the catalog tests (tests/locales/) hold translations to account; these
    tests are about the engine's handling of languages, which a missing line must not stop.
    """
    shutil.copytree(LOCALES, target)
    with po_path(LOCALES, "en").open("rb") as handle:
        english = {m.id: m.string for m in read_po(handle) if m.id and isinstance(m.id, str)}
    for locale in ALL_LOCALES:
        path = po_path(target, locale)
        with path.open("rb") as handle:
            have = {m.id for m in read_po(handle) if m.id and m.string}
        missing = [k for k in english if k not in have and english[k]]
        with path.open("a", encoding="utf-8") as out:
            for msgid in missing:
                out.write(f'\nmsgid "{_escape(str(msgid))}"\nmsgstr "{_escape(str(english[msgid]))}"\n')
    return target


def every_locale_engine(locales_dir: Path, region: Region, default: str = "en") -> Engine:
    return build_engine(locales_dir=locales_dir, locales=ALL_LOCALES, default_locale=default, region=region)
