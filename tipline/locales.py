"""Which locales a deployment offers (``TIPLINE_LOCALES``), and the checks at start-up.

A locale is a folder ``locales/<xx>/`` with ``LC_MESSAGES/tipline.po`` (and usually
``words.toml``).  Adding one needs no code change: the folder and a row in
``locales/STATUS.md``.  Unless the operator lists locales, the line offers every *complete*
one (every message id of the template translated, non-empty, not fuzzy) except those in
``locales/opt_in.toml``: languages whose core trafficking term GLOSSARY.md marks unverified,
where a wrong word could ask about people smuggling instead.  The operator enables those
by name once a native speaker has checked them.
"""

from __future__ import annotations

import functools
import logging
import re
import tomllib
from pathlib import Path
from typing import Mapping

from babel.messages.pofile import read_po

from bot.catalog import load_catalogs, po_path
from bot.flow import FlowError

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
# The ids come from the code and the flow, so the repository's template is the reference
# wherever an operator keeps the catalogs.
TEMPLATE = ROOT / "locales" / "tipline.pot"
OPT_IN_FILE = "opt_in.toml"
STATUS_FILE = "STATUS.md"
SOURCE_LOCALE = "en"  # the language the messages are written in; offered first by default

_ROW = re.compile(r"^\|\s*([a-z]{2,3}(?:[_-][A-Za-z0-9]+)?)\s*\|")


class LocaleError(ValueError):
    """An enabled locale that cannot be offered; the message names it and what is missing."""


def present_locales(locales_dir: Path) -> tuple[str, ...]:
    """Locale folders holding a catalog, sorted."""
    if not Path(locales_dir).is_dir():
        return ()
    return tuple(sorted(p.name for p in Path(locales_dir).iterdir() if po_path(Path(locales_dir), p.name).is_file()))


@functools.lru_cache(maxsize=4)
def _template_ids(path: Path, mtime_ns: int) -> tuple[str, ...]:
    with path.open("rb") as handle:
        return tuple(str(m.id) for m in read_po(handle) if m.id)


def template_ids(template: Path = TEMPLATE) -> tuple[str, ...]:
    """Every message id of the template (``make catalogs`` writes it)."""
    return _template_ids(template, template.stat().st_mtime_ns)


def missing_messages(locales_dir: Path, locale: str, ids: tuple[str, ...]) -> list[str]:
    """Ids of ``ids`` the locale's catalog lacks, leaves empty or marks fuzzy (fuzzy is never shown)."""
    catalogs = _catalogs(Path(locales_dir), locale, po_path(Path(locales_dir), locale).stat().st_mtime_ns)
    return [i for i in ids if not catalogs.get(i)]


@functools.lru_cache(maxsize=64)
def _catalogs(locales_dir: Path, locale: str, mtime_ns: int) -> Mapping[str, str]:
    # Keyed by the file's time: settings and start-up both ask, and a test may rewrite a catalog.
    return load_catalogs(locales_dir, (locale,)).messages[locale]


def opt_in_locales(locales_dir: Path) -> Mapping[str, str]:
    """Locales offered only when listed explicitly, each with the reason."""
    path = Path(locales_dir) / OPT_IN_FILE
    if not path.exists():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LocaleError(f"{path} is not readable: {exc}") from exc
    return {str(k): str(v) for k, v in raw.items()}


def reviewed_locales(locales_dir: Path) -> frozenset[str]:
    """Locales whose row in STATUS.md says "yes" under native-speaker review (its last column)."""
    path = Path(locales_dir) / STATUS_FILE
    if not path.exists():
        return frozenset()
    reviewed = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line.strip())
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if match and cells[-1].casefold().startswith("yes"):
            reviewed.add(match.group(1))
    return frozenset(reviewed)


def status_rows(locales_dir: Path) -> frozenset[str]:
    """Locales that have a row in STATUS.md."""
    path = Path(locales_dir) / STATUS_FILE
    if not path.exists():
        return frozenset()
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(m.group(1) for m in (_ROW.match(line.strip()) for line in lines) if m)


def default_locales(locales_dir: Path) -> tuple[str, ...]:
    """Every complete locale not opted in only, the source language first."""
    ids = template_ids()
    skip = opt_in_locales(locales_dir)
    found = []
    for locale in present_locales(locales_dir):
        if locale in skip:
            continue
        try:
            missing = missing_messages(locales_dir, locale, ids)
        except FlowError as exc:
            log.warning("locale %s is not offered by default: %s", locale, exc)
            continue
        if missing:
            # A translation in progress: not offered, and said once so it is not a mystery.
            log.warning("locale %s is not offered by default: %d messages missing (first: %s)",
                        locale, len(missing), missing[0])
            continue
        found.append(locale)
    return tuple(sorted(found, key=lambda loc: (loc != SOURCE_LOCALE, loc)))


def check_enabled(locales_dir: Path, locales: tuple[str, ...]) -> None:
    """Refuse an enabled locale that lacks a catalog or a message; warn about unreviewed ones."""
    ids = template_ids()
    for locale in locales:
        if not po_path(Path(locales_dir), locale).is_file():
            path = po_path(Path(locales_dir), locale)
            raise LocaleError(f"locale {locale!r} is enabled but has no catalog at {path}")
        try:
            missing = missing_messages(locales_dir, locale, ids)
        except FlowError as exc:
            raise LocaleError(str(exc)) from None
        if missing:
            raise LocaleError(
                f"locale {locale!r} is enabled but its catalog lacks or leaves empty {len(missing)} "
                f"message(s): {', '.join(missing)}"
            )
    reviewed = reviewed_locales(locales_dir)
    for locale in locales:
        if locale not in reviewed:
            log.warning("locale %s is enabled but %s does not mark it reviewed by a native speaker",
                        locale, STATUS_FILE)
