"""What the answers say, read against the rules: the scored contributions ("hits") of a tip.

Each indicator, checklist group and extra of triage/rules.toml that an answer sets off becomes a
``Hit`` (or an extra's reason and points), with the words ``assess`` puts in the tip's reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from triage.rules import Group, Indicator, Rules


def chosen(answers: Mapping[str, Any], step: str) -> tuple[str, ...]:
    """Options chosen in a checklist; "none" is the explicit empty choice."""
    value = answers.get(step)
    if isinstance(value, str):
        return (value,) if value != "none" else ()
    if not isinstance(value, (list, tuple)):  # a tuple of types: asked ~20 times per tip scored
        return ()
    return tuple([v for v in value if isinstance(v, str) and v != "none"])


def given(value: Any) -> bool:
    """Free text (or a Telegram location pin) that actually says something."""
    if isinstance(value, str):
        return bool(value.strip()) and value.strip() != "0"
    return isinstance(value, Mapping | list | tuple) and bool(value)


def read_answer(answers: Mapping[str, Any], source: str, present: bool) -> str | None:
    """The answer value a source stands for: "yes"/"no"/"unsure", "present", or None."""
    if "." in source:
        step, option = source.split(".", 1)
        if step not in answers or answers[step] is None:
            return None
        return "yes" if option in chosen(answers, step) else "no"
    value = answers.get(source)
    if present:
        return "present" if given(value) else None
    return value if isinstance(value, str) else None


def matches(answers: Mapping[str, Any], key: str, allowed: Sequence[str]) -> list[str]:
    """Descriptions ("B3 unsure", "V2 emergency") of the allowed values the answer holds."""
    value = answers.get(key)
    if isinstance(value, str):
        return [f"{key} {value}"] if value in allowed else []
    return [f"{key} {v}" for v in chosen(answers, key) if v in allowed]


def fmt(number: float) -> str:
    return f"{round(number, 2):g}"


@dataclass(frozen=True)
class Hit:
    """One scored contribution, with what it says about categories."""

    evidence: str  # how category reasons cite it: "S2 yes", "C.leave", "M1 cash"
    reason: str
    points: float
    strong_yes: bool
    primary: tuple[str, ...] = ()
    contributes: tuple[str, ...] = ()


def indicator_hit(ind: Indicator, answers: Mapping[str, Any], rules: Rules) -> Hit | None:
    factors = ind.factors if ind.factors is not None else rules.factors
    best: tuple[float, str, str] | None = None
    # One indicator asked in two places (C.leave / V4.leave, C.housing / S3.live) counts once,
    # at its strongest answer.
    for source in ind.sources:
        value = read_answer(answers, source, ind.present)
        if value is None:
            continue
        factor = 1.0 if value == "present" else factors.get(value, 0.0)
        if best is None or factor > best[0]:
            best = (factor, source, value)
    if best is None or best[0] <= 0:
        return None
    factor, source, value = best
    points = ind.weight * factor
    reason = f"{source} {value} +{fmt(points)}"
    if ind.present:
        reason += f" ({ind.label})"
    return Hit(
        # A chosen checklist option or a given text is named bare; a yes/unsure answer with it.
        evidence=source if "." in source or ind.present else f"{source} {value}",
        reason=reason,
        points=points,
        strong_yes=ind.strength == "strong" and value == "yes",
        primary=ind.primary,
        contributes=ind.contributes,
    )


def group_hits(group: Group, answers: Mapping[str, Any]) -> list[Hit]:
    hits: list[Hit] = []
    total = 0.0
    for option in chosen(answers, group.source):
        points = min(group.weight_each, group.cap - total)
        reason = f"{group.source} {option} +{fmt(points)}"
        if points < group.weight_each:
            reason += f" ({group.label} capped at {fmt(group.cap)})"
        total += points
        hits.append(
            Hit(
                evidence=f"{group.source} {option}",
                reason=reason,
                points=points,
                strong_yes=False,
                primary=group.primary,
                contributes=group.contributes,
            )
        )
    return hits


def extra_reasons(rules: Rules, answers: Mapping[str, Any]) -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []
    for extra in rules.extras:
        for source in extra.sources:
            value = answers.get(source)
            if (extra.present and given(value)) or (
                isinstance(value, str) and value in extra.values
            ):
                shown = "given" if extra.present else value
                label = "" if extra.label == shown else f" ({extra.label})"
                found.append((f"{source} {shown}{label} +{fmt(extra.points)}", extra.points))
                break  # W2 and W3 both given is still one locatable place
    return found


def recency(rules: Rules, answers: Mapping[str, Any]) -> tuple[float, str]:
    when = answers.get(rules.recency.source)
    if isinstance(when, str) and when in rules.recency.multipliers:
        mult = rules.recency.multipliers[when]
        return mult, f"recency {when} x{fmt(mult)}"
    return 1.0, "recency not given x1"
