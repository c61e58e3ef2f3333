"""The routing file (triage/routing.toml): its queues and routes, read and validated.

A file that is missing, not TOML or inconsistent is refused whole (``RoutingError`` names the
problem): a mandated route without a queue to go to would otherwise drop tips silently.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from triage.rules import CATEGORIES, read_toml

KINDS: tuple[str, ...] = ("triage", "police", "ngo", "child_protection", "labour")
DEFAULT_ROUTING = Path(__file__).with_name("routing.toml")
# self_report has its own policy table; these four map to kinds in [categories].
_ROUTED_CATEGORIES = tuple(c for c in CATEGORIES if c != "self_report")

log = logging.getLogger(__name__)


class RoutingError(ValueError):
    """The routing file is missing, not TOML, or inconsistent (the problem is named)."""


@dataclass(frozen=True)
class QueueSpec:
    name: str
    title: str
    kind: str  # one of KINDS
    regions: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class SelfReportPolicy:
    """Kinds an adult self-report reaches by its V6 answer, and a minor's (V3 yes)."""

    consent_yes: tuple[str, ...]
    consent_no: tuple[str, ...]
    consent_absent: tuple[str, ...]
    minor: tuple[str, ...]


@dataclass(frozen=True)
class Routing:
    version: str
    queues: tuple[QueueSpec, ...]
    categories: Mapping[str, tuple[str, ...]]  # category -> kinds
    mandated: tuple[str, ...]  # categories whose routes are never dropped or consent-gated
    self_report: SelfReportPolicy


def load_routing(path: Path | None = None) -> Routing:
    """Read and validate a routing file (default triage/routing.toml); raise RoutingError."""
    path = path or DEFAULT_ROUTING
    raw = read_toml(path, RoutingError)
    try:
        routing = _parse_routing(raw)
    except RoutingError as exc:
        raise RoutingError(f"{path.name}: {exc}") from None
    for line in revealing(routing):  # loudly, on every start: the operator may not know what it costs
        log.warning("%s: %s", path.name, line)
    return routing


def revealing(routing: Routing) -> list[str]:
    """One line per queue whose name, stored in the clear in each routed tip's ``queues`` column,
    tells a copy of the database the tip's area or language (both otherwise sealed)."""
    lines = []
    for queue in routing.queues:
        told = [f"area {'/'.join(queue.areas)} (the reporter's W1 answer or campaign link)"] if queue.areas else []
        told += [f"language {'/'.join(queue.languages)}"] if queue.languages else []
        if told:
            lines.append(f"queue {queue.name!r} filters by {' and '.join(told)}: its name is stored in plaintext "
                         "with every tip routed to it, so a copy of the database shows which tips came from that "
                         "area or in that language (README, threat table); route by kind only to keep them sealed")
    return lines


def _strings(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RoutingError(f"{where}.{key}: must be a list of strings")
    return tuple(value)


def _kinds(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    kinds = _strings(raw, key, where)
    for kind in kinds:
        if kind not in KINDS:
            raise RoutingError(f"{where}.{key}: unknown kind {kind!r}")
    return kinds


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise RoutingError(f"{key}: must be a table")
    return value


def _parse_queue(index: int, raw: Any) -> QueueSpec:
    where = f"queue[{index}]"
    if not isinstance(raw, dict):
        raise RoutingError(f"{where}: must be a table")
    for key in ("name", "title", "kind"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise RoutingError(f"{where}.{key}: must be a non-empty string")
    if raw["kind"] not in KINDS:
        raise RoutingError(
            f"queue {raw['name']!r}: unknown kind {raw['kind']!r} (one of {', '.join(KINDS)})"
        )
    return QueueSpec(
        name=raw["name"],
        title=raw["title"],
        kind=raw["kind"],
        regions=tuple(r.upper() for r in _strings(raw, "regions", where)),
        areas=_strings(raw, "areas", where),
        languages=tuple(norm_locale(v) for v in _strings(raw, "languages", where)),
    )


def _parse_queues(raw: Mapping[str, Any]) -> tuple[QueueSpec, ...]:
    items = raw.get("queue")
    if not isinstance(items, list) or not items:
        raise RoutingError("queue: at least one [[queue]] is needed")
    queues = tuple(_parse_queue(i, q) for i, q in enumerate(items))
    seen: set[str] = set()
    for queue in queues:
        if queue.name in seen:
            raise RoutingError(f"queue {queue.name!r}: duplicate queue name")
        seen.add(queue.name)
    if not any(q.kind == "triage" for q in queues):
        raise RoutingError("no triage queue: every tip must reach a queue of kind 'triage'")
    return queues


def _parse_categories(raw: Mapping[str, Any]) -> Mapping[str, tuple[str, ...]]:
    table = _table(raw, "categories")
    for category in table:
        if category not in _ROUTED_CATEGORIES:
            raise RoutingError(f"categories.{category}: unknown category")
    return MappingProxyType({c: _kinds(table, c, "categories") for c in table})


def _parse_routing(raw: Mapping[str, Any]) -> Routing:
    version = raw.get("version")
    if not isinstance(version, str) or not version:
        raise RoutingError("version: must be a non-empty string")
    queues = _parse_queues(raw)
    categories = _parse_categories(raw)
    mandated = _strings(_table(raw, "mandated"), "categories", "mandated")
    policy = _table(raw, "self_report")
    routing = Routing(
        version=version,
        queues=queues,
        categories=categories,
        mandated=mandated,
        self_report=SelfReportPolicy(
            **{
                key: _kinds(policy, key, "self_report")
                for key in ("consent_yes", "consent_no", "consent_absent", "minor")
            }
        ),
    )
    _check_mandated(routing)
    return routing


def _check_mandated(routing: Routing) -> None:
    """A mandated route must have somewhere to go, so refuse the file rather than drop a tip."""
    have = {q.kind for q in routing.queues}
    for category in routing.mandated:
        if category not in routing.categories:
            raise RoutingError(f"mandated.categories: {category!r} has no [categories] entry")
        for kind in routing.categories[category]:
            if kind not in have:
                raise RoutingError(
                    f"mandated category {category!r} needs a queue of kind {kind!r}; none defined"
                )


def norm_locale(locale: str) -> str:
    return locale.strip().lower().replace("_", "-")


def partner_kinds(routing: Routing) -> tuple[str, ...]:
    """Kinds of partner that can receive tips (for the reporter notice); the task force's own
    triage intake is not a partner and is left out."""
    have = {q.kind for q in routing.queues}
    return tuple(k for k in KINDS if k in have and k != "triage")
