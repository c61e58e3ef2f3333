"""Deployment regions read from ``bot/regions.toml`` (emergency number, hotline, areas)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from bot.flow import FlowError
from bot.types import Region

DEFAULT_REGIONS = Path(__file__).resolve().parent / "regions.toml"


class RegionError(FlowError):
    """An unknown or malformed region; the message lists the valid codes."""


def load_region(code: str, path: Path | None = None) -> Region:
    """The region with this code (case-insensitive); raises RegionError naming valid codes."""
    table = _read(path or DEFAULT_REGIONS)
    key = code.strip().upper()
    if key not in table:
        raise RegionError(f"unknown region {code!r}; valid codes: {', '.join(sorted(table))}")
    entry = table[key]
    try:
        return Region(
            code=key,
            emergency=str(entry["emergency"]),
            hotline=str(entry["hotline"]),
            areas=tuple(str(a) for a in entry["areas"]),
        )
    except (KeyError, TypeError) as exc:
        raise RegionError(f"region {key} in the regions file lacks {exc}") from exc


def _read(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RegionError(f"cannot read regions file {path}: {exc}") from exc
    return {str(k).upper(): v for k, v in data.items() if isinstance(v, dict)}
