"""Score a tip's answers and give it a priority (P1-P4) and categories.

Pure functions of the answers and a versioned rules file (triage/rules.toml); no I/O beyond
reading that file. The rubric is INTAKE.md section 2 plus the "Decisions for tipline"; the
rules file says how each question of bot/flow.toml feeds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from triage.categories import category_evidence, sector_hints
from triage.evidence import extra_reasons, fmt, group_hits, indicator_hit, matches, recency
from triage.rules import CATEGORIES, Rules, Trigger

__all__ = ["Assessment", "assess"]


@dataclass(frozen=True)
class Assessment:
    priority: str  # "P1".."P4"
    categories: tuple[str, ...]  # subset of CATEGORIES, in CATEGORIES order
    score: float
    reasons: tuple[str, ...]  # human-readable, priority reasons first
    rules_version: str
    # Categories only the venue suggests (no answer says them): shown to staff, never routed.
    possible: tuple[str, ...] = ()


def _fired(rules: Rules, answers: Mapping[str, Any]) -> list[tuple[Trigger, list[str]]]:
    fired: list[tuple[Trigger, list[str]]] = []
    for trigger in rules.triggers:
        matched: list[str] = []
        for group in trigger.when:
            found = [m for key, allowed in group.items() for m in matches(answers, key, allowed)]
            if not found:
                break
            matched.extend(found)
        else:
            fired.append((trigger, matched))
    return fired


def _priority(
    rules: Rules,
    answers: Mapping[str, Any],
    fired: Sequence[tuple[Trigger, list[str]]],
    categories: Mapping[str, list[str]],
    score: float,
    strong: int,
) -> tuple[str, list[str]]:
    def trig(level: str) -> list[str]:
        return [
            f"{level}: {t.reason} ({', '.join(m)})" for t, m in fired if t.priority == level
        ]

    p1 = trig("P1")
    if p1:
        return "P1", p1
    th, rec = rules.thresholds, rules.recency
    when = answers.get(rec.source)
    p2 = trig("P2")
    if "child" in categories:
        p2.insert(0, f"P2: child involved ({', '.join(categories['child'])})")
    if score >= th.p2_score:
        p2.append(f"P2: score {fmt(score)} >= {fmt(th.p2_score)}")
    if strong >= th.p2_strong_recent and when in rec.recent:
        p2.append(f"P2: {strong} strong indicators seen recently ({rec.source} {when})")
    if p2:
        return "P2", p2
    p3: list[str] = []
    if score >= th.p3_score:
        p3.append(f"P3: score {fmt(score)} >= {fmt(th.p3_score)}")
    if strong == th.p3_strong:
        p3.append("P3: one strong indicator")
    if when in rec.stale:
        # Decision 10: only a P1/P2 rule lifts a tip seen "longer ago" above P4.
        would = f"; would be P3 ({p3[0][4:]})" if p3 else ""
        return "P4", [f"P4: seen longer ago ({rec.source} {when}){would}"]
    if p3:
        return "P3", p3
    return "P4", [f"P4: score {fmt(score)} < {fmt(th.p3_score)}, no other rule"]


def _carry(previous: Assessment, prefix: str) -> list[str]:
    """The previous reasons that justified what is kept, marked "kept: " once."""
    bare = (r.removeprefix("kept: ") for r in previous.reasons)
    return [f"kept: {r}" for r in bare if r.startswith(prefix)]


def _keep_child(previous: Assessment | None, categories: dict[str, list[str]]) -> list[str]:
    """Once a tip has the child flag it keeps it (INTAKE section 2: never drop it automatically)."""
    if previous is None or "child" not in previous.categories or "child" in categories:
        return []
    categories["child"] = ["kept from previous assessment"]
    return ["kept: child flag from previous assessment", *_carry(previous, "category child")]


def _keep_p1(
    previous: Assessment | None, priority: str, categories: dict[str, list[str]]
) -> list[str]:
    """A P1 is never lowered automatically; new answers can only add to it."""
    if previous is None or previous.priority != "P1" or priority == "P1":
        return []
    if "danger" in previous.categories and "danger" not in categories:
        # The danger that made it P1 still needs its mandated police route.
        categories["danger"] = ["kept from previous assessment"]
    head = f"kept: P1 from previous assessment (rules {previous.rules_version})"
    return [head, *_carry(previous, "P1:")]


def assess(
    answers: Mapping[str, Any], *, rules: Rules, previous: Assessment | None = None
) -> Assessment:
    """Score the answers given so far and choose priority and categories."""
    hits = [h for ind in rules.indicators if (h := indicator_hit(ind, answers, rules))]
    for group in rules.groups:
        hits.extend(group_hits(group, answers))
    extras = extra_reasons(rules, answers)
    multiplier, recency_reason = recency(rules, answers)
    raw = sum(h.points for h in hits) + sum(points for _, points in extras)
    score = round(raw * multiplier, 2)
    strong = sum(1 for h in hits if h.strong_yes)

    fired = _fired(rules, answers)
    categories, possible = category_evidence(hits, fired, sector_hints(rules, answers))
    kept_child = _keep_child(previous, categories)
    priority, why = _priority(rules, answers, fired, categories, score, strong)
    kept_p1 = _keep_p1(previous, priority, categories)
    if kept_p1:
        # What decides the priority comes first; the new answers' own verdict follows it.
        priority = "P1"
    ordered = tuple(c for c in CATEGORIES if c in categories)
    maybe = tuple(c for c in CATEGORIES if c in possible and c not in categories)
    reasons = [
        *kept_p1,
        *why,
        *kept_child,
        *(f"category {c}: {', '.join(categories[c])}" for c in ordered),
        *(f"possible {c} (not routed; no answer says it): {', '.join(possible[c])}" for c in maybe),
        *(h.reason for h in hits),
        *(r for r, _ in extras),
        recency_reason,
        f"score {fmt(raw)} x{fmt(multiplier)} = {fmt(score)}",
    ]
    return Assessment(priority, ordered, score, tuple(reasons), rules.version, possible=maybe)
