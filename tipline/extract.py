"""Babel extraction methods: the message ids of the flow, the regions and the code.

Message ids here are symbolic keys (``q.A2``, ``opt.B2.work``, ``reply.first``), not English
sentences, so the usual ``gettext()`` extractor finds nothing.  These methods let
``pybabel extract -F babel.cfg`` (``make catalogs``) build ``locales/tipline.pot`` from the
places the ids live:

- ``tipline_flow``: every id ``bot/flow.toml`` uses (step texts, options, labels, closes);
- ``tipline_regions``: the area words of ``bot/regions.toml`` (``area.<CODE>.<key>``);
- ``tipline_code``: ids written as string literals in a Python file, plus (mapping option
  ``names``) ids a module builds from enums and lists (``cmd.words.<command>``).

Translator notes live in ``locales/notes.toml`` (one per id) and ride along as extracted
comments, so ``pybabel update`` brings them to every locale instead of dropping them.
"""

from __future__ import annotations

import importlib
import io
import re
import tokenize
import tomllib
from pathlib import Path
from typing import Any, BinaryIO, Collection, Iterator, Mapping

from bot.flow import Flow, load_flow
from bot.regions import GENERIC, load_region

ROOT = Path(__file__).resolve().parent.parent
NOTES = ROOT / "locales" / "notes.toml"
# The families of message ids; anything else in a string literal is not one ("region.areas"
# is an options_from value, "words.toml" a file name).
MSGID = re.compile(r"^(?:q|opt|reply|cmd|region|area|partner|followup|lang|btn|poster)"
                   r"\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$")
NOT_MSGIDS = frozenset({"region.areas"})

# What a Babel extraction method yields: (line number, function name, message, comments).
Extracted = tuple[int, str | None, str, list[str]]


def _notes() -> Mapping[str, str]:
    if not NOTES.exists():
        return {}
    return {str(k): str(v) for k, v in tomllib.loads(NOTES.read_text(encoding="utf-8")).items()}


def _emit(ids: list[tuple[int, str]]) -> Iterator[Extracted]:
    notes = _notes()
    first: dict[str, int] = {}
    for line, msgid in ids:
        first.setdefault(msgid, line)
    for msgid, line in first.items():
        note = notes.get(msgid)
        yield line, None, msgid, note.splitlines() if note else []


def _line_of(source: str, literal: str) -> int:
    """The first line quoting ``literal`` (locations only order and point; they carry no meaning)."""
    at = source.find(f'"{literal}"')
    return source.count("\n", 0, at) + 1 if at >= 0 else 1


def flow_msgids(flow: Flow) -> list[str]:
    """Every id the flow names, in the flow's order (the template reads like the interview)."""
    ids: list[str] = []
    for step in flow.steps.values():
        ids.append(step.text)
        ids.extend(o.text for o in step.options)
        ids.extend(o.text for o in (step.other_option, step.none_option) if o is not None)
        ids.extend(step.option_texts.values())
        if step.inform_text:
            ids.append(step.inform_text)
    ids.extend(f"q.{close}" for close in (flow.close, *flow.close_when.values()))
    return list(dict.fromkeys(ids))


def extract_flow(
    fileobj: BinaryIO, keywords: Collection[str], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[Extracted]:
    """Babel method ``tipline_flow`` for ``bot/flow.toml``."""
    source = fileobj.read().decode("utf-8")
    flow = load_flow(Path(fileobj.name))  # Babel hands over the opened file: read and check it whole
    # The close ids are built ("q." + the close step's name), so they point at the close line.
    lines = {f"q.{c}": _line_of(source, c) for c in (flow.close, *flow.close_when.values())}
    ids = flow_msgids(flow)
    yield from _emit([(lines.get(i) or _line_of(source, i), i) for i in ids])


def extract_regions(
    fileobj: BinaryIO, keywords: Collection[str], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[Extracted]:
    """Babel method ``tipline_regions`` for ``bot/regions.toml``: the words of every area."""
    source = fileobj.read().decode("utf-8")
    path = Path(fileobj.name)
    ids: list[tuple[int, str]] = []
    for code in tomllib.loads(source):  # the file's order, not sorted: US first, as the file reads
        # The generic region's number is the deployment's; any valid one lets it load here.
        region = load_region(code, path, emergency="112" if code == GENERIC else None)
        line = _line_of(source, region.areas[0]) if region.areas else 1
        ids.extend((line, f"area.{code}.{area}") for area in region.areas)
    yield from _emit(ids)


def extract_code(
    fileobj: BinaryIO, keywords: Collection[str], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[Extracted]:
    """Babel method ``tipline_code`` for Python files: literal ids, then the ``names`` option's.

    ``names = bot.messages:SYSTEM bot.region_words:ALL_MSGIDS`` adds the ids those module
    attributes hold: the ones built from enums and kinds, which no literal spells out.
    """
    ids: list[tuple[int, str]] = []
    for token in tokenize.tokenize(io.BytesIO(fileobj.read()).readline):
        if token.type == tokenize.STRING and token.string[:1] in "\"'":
            value = token.string.strip("\"'")
            if MSGID.match(value) and value not in NOT_MSGIDS:
                ids.append((token.start[0], value))
    for spec in str(options.get("names", "")).split():
        module, _, attr = spec.partition(":")
        ids.extend((0, str(i)) for i in getattr(importlib.import_module(module), attr))
    yield from _emit(ids)
