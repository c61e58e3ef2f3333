"""Which categories a tip's evidence says, and which only its venue (the sector hints) suggests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from triage.evidence import Hit, chosen
from triage.rules import Rules, Trigger

# Labour and sex are the two categories the sector hints (B2, L1) can decide between.
_SECTOR_CATEGORIES = frozenset({"labour", "sex"})


def sector_hints(rules: Rules, answers: Mapping[str, Any]) -> tuple[set[str], list[str]]:
    hints: set[str] = set()
    named: list[str] = []
    for step, options in rules.sectors.items():
        for option in chosen(answers, step):
            if option in options:
                hints.update(options[option])
                named.append(f"{step} {option}")
    return hints, named


def _hit_categories(hit: Hit, hints: set[str]) -> tuple[set[str], set[str]]:
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


def category_evidence(
    hits: Sequence[Hit],
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
