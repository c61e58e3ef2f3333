"""What the scoring rules file (triage/rules.toml) holds, as frozen data classes; ``triage.rules`` loads it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CATEGORIES: tuple[str, ...] = ("labour", "sex", "child", "danger", "self_report")
PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4")
STRENGTHS: tuple[str, ...] = ("strong", "medium", "weak", "other")


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    weight: float
    strength: str
    sources: tuple[str, ...]
    primary: tuple[str, ...] = ()
    contributes: tuple[str, ...] = ()
    present: bool = False  # scored on any non-empty answer (free text), not yes/no
    factors: Mapping[str, float] | None = None  # replaces the default answer factors


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    source: str
    weight_each: float
    cap: float
    primary: tuple[str, ...] = ()
    contributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Extra:
    label: str
    sources: tuple[str, ...]
    points: float
    values: tuple[str, ...] = ()
    present: bool = False


@dataclass(frozen=True)
class Recency:
    source: str
    multipliers: Mapping[str, float]
    recent: tuple[str, ...]
    stale: tuple[str, ...]


@dataclass(frozen=True)
class Thresholds:
    p2_score: float
    p3_score: float
    p2_strong_recent: int
    p3_strong: int


@dataclass(frozen=True)
class Trigger:
    id: str
    reason: str
    priority: str | None
    categories: tuple[str, ...]
    when: tuple[Mapping[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Rules:
    version: str
    factors: Mapping[str, float]
    indicators: tuple[Indicator, ...]
    groups: tuple[Group, ...]
    extras: tuple[Extra, ...]
    recency: Recency
    thresholds: Thresholds
    sectors: Mapping[str, Mapping[str, tuple[str, ...]]]
    triggers: tuple[Trigger, ...]
