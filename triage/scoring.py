"""Score a tip's answers and give it a priority (P1-P4) and categories.

Pure functions of the answers and a versioned rules file (triage/rules.toml); no I/O beyond
reading that file. The rubric is INTAKE.md section 2 plus the "Decisions for tipline"; the
rules file says how each question of bot/flow.toml feeds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from triage.rules import (
    CATEGORIES, Group, Indicator, Rules, Trigger,
)

__all__ = ["Assessment", "assess"]

_ANSWER_VALUES = ("yes", "unsure", "no")
# Labour and sex are the two categories the sector hints (B2, L1) can decide between.
_SECTOR_CATEGORIES = frozenset({"labour", "sex"})


@dataclass(frozen=True)
class Assessment:
    priority: str  # "P1".."P4"
    categories: tuple[str, ...]  # subset of CATEGORIES, in CATEGORIES order
    score: float
    reasons: tuple[str, ...]  # human-readable, priority reasons first
    rules_version: str
    # Categories only the venue suggests (no answer says them): shown to staff, never routed.
    possible: tuple[str, ...] = ()


def _chosen(answers: Mapping[str, Any], step: str) -> tuple[str, ...]:
    """Options chosen in a checklist; "none" is the explicit empty choice."""
    value = answers.get(step)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return ()
    return tuple(v for v in value if isinstance(v, str) and v != "none")


def _given(value: Any) -> bool:
    """Free text (or a Telegram location pin) that actually says something."""
    if isinstance(value, str):
        return bool(value.strip()) and value.strip() != "0"
    return isinstance(value, Mapping | list | tuple) and bool(value)


def _read(answers: Mapping[str, Any], source: str, present: bool) -> str | None:
    """The answer value a source stands for: "yes"/"no"/"unsure", "present", or None."""
    if "." in source:
        step, option = source.split(".", 1)
        if step not in answers or answers[step] is None:
            return None
        return "yes" if option in _chosen(answers, step) else "no"
    value = answers.get(source)
    if present:
        return "present" if _given(value) else None
    return value if isinstance(value, str) else None


def _matches(answers: Mapping[str, Any], key: str, allowed: Sequence[str]) -> list[str]:
    """Descriptions ("B3 unsure", "V2 emergency") of the allowed values the answer holds."""
    value = answers.get(key)
    if isinstance(value, str):
        return [f"{key} {value}"] if value in allowed else []
    return [f"{key} {v}" for v in _chosen(answers, key) if v in allowed]


def _fmt(number: float) -> str:
    return f"{round(number, 2):g}"


# ---------------------------------------------------------------------------------------------
# Scoring


@dataclass(frozen=True)
class _Hit:
    """One scored contribution, with what it says about categories."""

    evidence: str  # how category reasons cite it: "S2 yes", "C.leave", "M1 cash"
    reason: str
    points: float
    strong_yes: bool
    primary: tuple[str, ...] = ()
    contributes: tuple[str, ...] = ()


def _indicator_hit(ind: Indicator, answers: Mapping[str, Any], rules: Rules) -> _Hit | None:
    factors = ind.factors if ind.factors is not None else rules.factors
    best: tuple[float, str, str] | None = None
    # One indicator asked in two places (C.leave / V4.leave, C.housing / S3.live) counts once,
    # at its strongest answer.
    for source in ind.sources:
        value = _read(answers, source, ind.present)
        if value is None:
            continue
        factor = 1.0 if value == "present" else factors.get(value, 0.0)
        if best is None or factor > best[0]:
            best = (factor, source, value)
    if best is None or best[0] <= 0:
        return None
    factor, source, value = best
    points = ind.weight * factor
    reason = f"{source} {value} +{_fmt(points)}"
    if ind.present:
        reason += f" ({ind.label})"
    return _Hit(
        # A chosen checklist option or a given text is named bare; a yes/unsure answer with it.
        evidence=source if "." in source or ind.present else f"{source} {value}",
        reason=reason,
        points=points,
        strong_yes=ind.strength == "strong" and value == "yes",
        primary=ind.primary,
        contributes=ind.contributes,
    )


def _group_hits(group: Group, answers: Mapping[str, Any]) -> list[_Hit]:
    hits: list[_Hit] = []
    total = 0.0
    for option in _chosen(answers, group.source):
        points = min(group.weight_each, group.cap - total)
        reason = f"{group.source} {option} +{_fmt(points)}"
        if points < group.weight_each:
            reason += f" ({group.label} capped at {_fmt(group.cap)})"
        total += points
        hits.append(
            _Hit(
                evidence=f"{group.source} {option}",
                reason=reason,
                points=points,
                strong_yes=False,
                primary=group.primary,
                contributes=group.contributes,
            )
        )
    return hits


def _extra_reasons(rules: Rules, answers: Mapping[str, Any]) -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []
    for extra in rules.extras:
        for source in extra.sources:
            value = answers.get(source)
            if (extra.present and _given(value)) or (
                isinstance(value, str) and value in extra.values
            ):
                shown = "given" if extra.present else value
                label = "" if extra.label == shown else f" ({extra.label})"
                found.append((f"{source} {shown}{label} +{_fmt(extra.points)}", extra.points))
                break  # W2 and W3 both given is still one locatable place
    return found


def _recency(rules: Rules, answers: Mapping[str, Any]) -> tuple[float, str]:
    when = answers.get(rules.recency.source)
    if isinstance(when, str) and when in rules.recency.multipliers:
        mult = rules.recency.multipliers[when]
        return mult, f"recency {when} x{_fmt(mult)}"
    return 1.0, "recency not given x1"


# ---------------------------------------------------------------------------------------------
# Categories


def _sector_hints(rules: Rules, answers: Mapping[str, Any]) -> tuple[set[str], list[str]]:
    hints: set[str] = set()
    named: list[str] = []
    for step, options in rules.sectors.items():
        for option in _chosen(answers, step):
            if option in options:
                hints.update(options[option])
                named.append(f"{step} {option}")
    return hints, named


def _hit_categories(hit: _Hit, hints: set[str]) -> tuple[set[str], set[str]]:
    """(categories the answer says, categories only the venue suggests)."""
    cats = set(hit.primary)
    possible: set[str] = set()
    if _SECTOR_CATEGORIES <= cats:
        pointed = hints & _SECTOR_CATEGORIES
        if len(pointed) == 1:
            # "Cannot leave" at a farm is labour; the sector narrows a both-ways indicator.
            cats -= _SECTOR_CATEGORIES - pointed
        else:
            # No venue, or one that can be either (salon, hotel): control over a worker is
            # labour; sex needs an answer that says it (rules 2026-12 change).
            cats.discard("sex")
            possible.add("sex")
    # A "○" contribution rests on the sector alone: possible, never routed by itself.
    possible.update(c for c in hit.contributes if c in hints)
    return cats, possible - cats


def _categories(
    hits: Sequence[_Hit],
    fired: Sequence[tuple[Trigger, list[str]]],
    hints: tuple[set[str], list[str]],
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Category -> evidence, e.g. {"labour": ["C.debt", "sector B2 work"]}, and the possible ones."""
    evidence: dict[str, list[str]] = {}
    possible: dict[str, list[str]] = {}
    for trigger, matched in fired:
        for cat in trigger.categories:
            evidence.setdefault(cat, []).extend(m for m in matched if m not in evidence[cat])
    hint_set, hint_names = hints
    used_sector: set[str] = set()
    for hit in hits:
        cats, maybe = _hit_categories(hit, hint_set)
        for cat in sorted(cats):
            items = evidence.setdefault(cat, [])
            if hit.evidence not in items:
                items.append(hit.evidence)
            if cat in hint_set:
                used_sector.add(cat)
        for cat in sorted(maybe):
            items = possible.setdefault(cat, [])
            if hit.evidence not in items:
                items.append(hit.evidence)
    for cat in used_sector & set(evidence):
        evidence[cat].append("sector " + ", ".join(hint_names))
    for cat in list(possible):
        if cat in evidence:
            del possible[cat]
        elif hint_names:
            possible[cat].append("sector " + ", ".join(hint_names))
    return evidence, possible


# ---------------------------------------------------------------------------------------------
# Priority


def _fired(rules: Rules, answers: Mapping[str, Any]) -> list[tuple[Trigger, list[str]]]:
    fired: list[tuple[Trigger, list[str]]] = []
    for trigger in rules.triggers:
        matched: list[str] = []
        for group in trigger.when:
            found = [m for key, allowed in group.items() for m in _matches(answers, key, allowed)]
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
        p2.append(f"P2: score {_fmt(score)} >= {_fmt(th.p2_score)}")
    if strong >= th.p2_strong_recent and when in rec.recent:
        p2.append(f"P2: {strong} strong indicators seen recently ({rec.source} {when})")
    if p2:
        return "P2", p2
    p3: list[str] = []
    if score >= th.p3_score:
        p3.append(f"P3: score {_fmt(score)} >= {_fmt(th.p3_score)}")
    if strong == th.p3_strong:
        p3.append("P3: one strong indicator")
    if when in rec.stale:
        # Decision 10: only a P1/P2 rule lifts a tip seen "longer ago" above P4.
        would = f"; would be P3 ({p3[0][4:]})" if p3 else ""
        return "P4", [f"P4: seen longer ago ({rec.source} {when}){would}"]
    if p3:
        return "P3", p3
    return "P4", [f"P4: score {_fmt(score)} < {_fmt(th.p3_score)}, no other rule"]


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
    hits = [h for ind in rules.indicators if (h := _indicator_hit(ind, answers, rules))]
    for group in rules.groups:
        hits.extend(_group_hits(group, answers))
    extras = _extra_reasons(rules, answers)
    multiplier, recency_reason = _recency(rules, answers)
    raw = sum(h.points for h in hits) + sum(points for _, points in extras)
    score = round(raw * multiplier, 2)
    strong = sum(1 for h in hits if h.strong_yes)

    fired = _fired(rules, answers)
    categories, possible = _categories(hits, fired, _sector_hints(rules, answers))
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
        f"score {_fmt(raw)} x{_fmt(multiplier)} = {_fmt(score)}",
    ]
    return Assessment(priority, ordered, score, tuple(reasons), rules.version, possible=maybe)
