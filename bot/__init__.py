"""The conversation engine: pure logic, no I/O at handle time (DESIGN.md, "The flow of one message").

Start-up loads the flow (``bot/flow.toml``), the gettext catalogs and the region, and
checks them together; ``Engine.handle`` then turns one inbound message and the stored
state into replies, the new state and events for the service layer.
"""

from __future__ import annotations

from pathlib import Path

from bot.catalog import Catalogs, load_catalogs
from bot.engine import Engine
from bot.engine_base import ENGLISH
from bot.flow import Flow, FlowError, load_flow
from bot.language import warm_up
from bot.regions import RegionError, load_region
from bot.segments import segments
from bot.types import Region
from bot.validation import validate
from bot.words import Vocabulary, load_vocabularies, words_path


def build_engine(
    *,
    locales_dir: Path,
    locales: tuple[str, ...],
    default_locale: str,
    region: Region,
    max_text_chars: int = 5000,
) -> Engine:
    """Load the flow and catalogs, validate them for ``region``, and build an Engine; raises FlowError."""
    if default_locale not in locales:
        raise FlowError(f"default locale {default_locale!r} is not among the enabled locales {locales}")
    flow = load_flow()
    catalogs = load_catalogs(Path(locales_dir), tuple(locales))
    vocabularies = load_vocabularies(Path(locales_dir), tuple(locales))
    validate(flow, catalogs, region, vocabularies)
    if ENGLISH not in vocabularies and words_path(Path(locales_dir), ENGLISH).exists():
        # Every reporter's words are also read as English, enabled or not (issue 10).
        vocabularies[ENGLISH] = Vocabulary.load(words_path(Path(locales_dir), ENGLISH))
    if len(locales) > 1:  # the n-gram profiles load now, not on a reporter's first message
        warm_up()
    return Engine(flow, catalogs, locales=tuple(locales), default_locale=default_locale,
                  max_text_chars=max_text_chars, vocabularies=vocabularies)


__all__ = [
    "Catalogs",
    "Engine",
    "Flow",
    "FlowError",
    "RegionError",
    "build_engine",
    "load_catalogs",
    "load_flow",
    "load_region",
    "segments",
    "validate",
    "Vocabulary",
]
