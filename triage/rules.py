"""The scoring rules file (triage/rules.toml): its loader (the data classes live in triage.rule_model).

Loading checks every entry and names the bad one, so a broken rules file stops start-up.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from triage.rule_model import (
    CATEGORIES, PRIORITIES, STRENGTHS, Extra, Group, Indicator, Recency, Rules, Thresholds, Trigger,
)

__all__ = [
    "CATEGORIES", "PRIORITIES", "STRENGTHS", "DEFAULT_RULES", "RulesError", "Extra", "Group", "Indicator",
    "Recency", "Rules", "Thresholds", "Trigger", "load_rules", "read_toml",
]

DEFAULT_RULES = Path(__file__).with_name("rules.toml")
_ANSWER_VALUES = ("yes", "unsure", "no")


class RulesError(ValueError):
    """The rules file is missing, not TOML, or has an invalid entry (named in the message)."""


# ---------------------------------------------------------------------------------------------
# Loading: every check names the entry, so a bad edit to rules.toml fails at start-up, not on
# the first tip that touches it.


def read_toml(path: Path, error: type[ValueError]) -> dict[str, Any]:
    """A TOML file's table; ``error`` (naming the file) if it cannot be read or parsed."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from exc


def load_rules(path: Path | None = None) -> Rules:
    """Read and validate a rules file (default triage/rules.toml); raise RulesError."""
    path = path or DEFAULT_RULES
    raw = read_toml(path, RulesError)
    try:
        return _parse_rules(raw)
    except RulesError as exc:
        raise RulesError(f"{path.name}: {exc}") from None


def _parse_rules(raw: Mapping[str, Any]) -> Rules:
    version = raw.get("version")
    if not isinstance(version, str) or not version:
        raise RulesError("version: must be a non-empty string")
    factors = _number_table(raw.get("factors"), "factors")
    for value in _ANSWER_VALUES:
        if value not in factors:
            raise RulesError(f"factors.{value}: missing")
    return Rules(
        version=version,
        factors=factors,
        indicators=tuple(
            _parse_indicator(k, v) for k, v in _table(raw, "indicators").items()
        ),
        groups=tuple(_parse_group(k, v) for k, v in _table(raw, "groups").items()),
        extras=tuple(_parse_extra(i, v) for i, v in enumerate(_list(raw, "extras"))),
        recency=_parse_recency(_table(raw, "recency")),
        thresholds=_parse_thresholds(_table(raw, "thresholds")),
        sectors=_parse_sectors(_table(raw, "sectors")),
        triggers=tuple(_parse_trigger(i, v) for i, v in enumerate(_list(raw, "triggers"))),
    )


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise RulesError(f"{key}: must be a table")
    return value


def _list(raw: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RulesError(f"{key}: must be an array of tables")
    return value


def _number(raw: Mapping[str, Any], key: str, where: str) -> float:
    value = raw.get(key)
    # bool is an int subclass; "weight = true" is a typo, not 1.
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise RulesError(f"{where}.{key}: must be a number >= 0")
    return float(value)


def _number_table(raw: Any, where: str) -> Mapping[str, float]:
    if not isinstance(raw, dict):
        raise RulesError(f"{where}: must be a table")
    return MappingProxyType({k: _number(raw, k, where) for k in raw})


def _strings(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RulesError(f"{where}.{key}: must be a list of strings")
    return tuple(value)


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise RulesError(f"{where}.{key}: must be a non-empty string")
    return value


def _categories_of(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    values = _strings(raw, key, where)
    for value in values:
        if value not in CATEGORIES:
            raise RulesError(f"{where}.{key}: unknown category {value!r}")
    return values


def _parse_indicator(key: str, raw: Any) -> Indicator:
    where = f"indicators.{key}"
    if not isinstance(raw, dict):
        raise RulesError(f"{where}: must be a table")
    strength = _text(raw, "strength", where)
    if strength not in STRENGTHS:
        raise RulesError(f"{where}.strength: must be one of {', '.join(STRENGTHS)}")
    sources = _strings(raw, "sources", where)
    if not sources:
        raise RulesError(f"{where}.sources: must name at least one answer")
    factors = raw.get("factors")
    return Indicator(
        id=key,
        label=_text(raw, "label", where),
        weight=_number(raw, "weight", where),
        strength=strength,
        sources=sources,
        primary=_categories_of(raw, "primary", where),
        contributes=_categories_of(raw, "contributes", where),
        present=bool(raw.get("present", False)),
        factors=None if factors is None else _number_table(factors, f"{where}.factors"),
    )


def _parse_group(key: str, raw: Any) -> Group:
    where = f"groups.{key}"
    if not isinstance(raw, dict):
        raise RulesError(f"{where}: must be a table")
    return Group(
        id=key,
        label=_text(raw, "label", where),
        source=_text(raw, "source", where),
        weight_each=_number(raw, "weight_each", where),
        cap=_number(raw, "cap", where),
        primary=_categories_of(raw, "primary", where),
        contributes=_categories_of(raw, "contributes", where),
    )


def _parse_extra(index: int, raw: Mapping[str, Any]) -> Extra:
    where = f"extras[{index}]"
    extra = Extra(
        label=_text(raw, "label", where),
        sources=_strings(raw, "sources", where),
        points=_number(raw, "points", where),
        values=_strings(raw, "values", where),
        present=bool(raw.get("present", False)),
    )
    if not extra.sources or not (extra.values or extra.present):
        raise RulesError(f"{where}: needs sources and either values or present = true")
    return extra


def _parse_recency(raw: Mapping[str, Any]) -> Recency:
    multipliers = _number_table(raw.get("multipliers"), "recency.multipliers")
    recency = Recency(
        source=_text(raw, "source", "recency"),
        multipliers=multipliers,
        recent=_strings(raw, "recent", "recency"),
        stale=_strings(raw, "stale", "recency"),
    )
    for value in recency.recent + recency.stale:
        if value not in multipliers:
            raise RulesError(f"recency: {value!r} has no multiplier")
    return recency


def _parse_thresholds(raw: Mapping[str, Any]) -> Thresholds:
    thresholds = Thresholds(
        p2_score=_number(raw, "p2_score", "thresholds"),
        p3_score=_number(raw, "p3_score", "thresholds"),
        p2_strong_recent=int(_number(raw, "p2_strong_recent", "thresholds")),
        p3_strong=int(_number(raw, "p3_strong", "thresholds")),
    )
    if thresholds.p3_score > thresholds.p2_score:
        raise RulesError("thresholds.p3_score: must not exceed p2_score")
    return thresholds


def _parse_sectors(raw: Mapping[str, Any]) -> Mapping[str, Mapping[str, tuple[str, ...]]]:
    sectors: dict[str, Mapping[str, tuple[str, ...]]] = {}
    for step, options in raw.items():
        if not isinstance(options, dict):
            raise RulesError(f"sectors.{step}: must be a table")
        sectors[step] = MappingProxyType(
            {opt: _categories_of(options, opt, f"sectors.{step}") for opt in options}
        )
    return MappingProxyType(sectors)


def _parse_trigger(index: int, raw: Mapping[str, Any]) -> Trigger:
    where = f"triggers[{index}]"
    priority = raw.get("priority")
    if priority is not None and priority not in PRIORITIES:
        raise RulesError(f"{where}.priority: must be one of {', '.join(PRIORITIES)}")
    when = raw.get("when")
    if not isinstance(when, list) or not when or not all(isinstance(g, dict) for g in when):
        raise RulesError(f"{where}.when: must be a non-empty list of tables")
    return Trigger(
        id=_text(raw, "id", where),
        reason=_text(raw, "reason", where),
        priority=priority,
        categories=_categories_of(raw, "categories", where),
        when=tuple(
            MappingProxyType({k: _strings(g, k, f"{where}.when") for k in g}) for g in when
        ),
    )
