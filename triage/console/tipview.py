"""A tip as staff read it: questions and chosen options in the member's language.

Answers are stored as option keys (``C: ["leave", "docs"]``), so any enabled locale can
render them from the catalogs; what the reporter typed is kept as written and labelled
with its language.  Metadata and the rules' reasons come along for the header.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from babel import Locale, UnknownLocaleError

from bot import messages as m
from bot import state as st
from bot.catalog import Catalogs
from bot.flow import Flow, Step
from bot.options import options_for
from bot.region_words import region_params
from bot.render import Renderer
from bot.types import Region
from storage.tips import TipMeta


@dataclass(frozen=True)
class AnswerView:
    step_id: str
    question: str
    choices: tuple[str, ...] = ()  # option labels in the member's language
    words: str | None = field(default=None, repr=False)  # what the reporter typed, as written
    skipped: bool = False


@dataclass(frozen=True)
class TipView:
    meta: TipMeta
    version: int
    reporter_language: str
    answers: tuple[AnswerView, ...] = field(repr=False)
    reasons: tuple[str, ...]
    routing: tuple[str, ...]
    additions: tuple[tuple[int, tuple[str, ...]], ...] = field(repr=False)  # (version, texts) added later


def picker_name(code: str) -> str:
    """A language as a picker shows it: its own name, then English's ("español (Spanish)"), never a bare code."""
    own, english = language_name(code, in_locale=code), language_name(code, in_locale="en")
    return own if own == english else f"{own} ({english})"


def language_name(code: str, *, in_locale: str) -> str:
    try:
        return Locale.parse(code).get_display_name(Locale.parse(in_locale)) or code
    except (UnknownLocaleError, ValueError):
        return code


# Answer keys the engine keeps for itself: the alert already told staff of the danger.
BOOKKEEPING = frozenset({st.EMERGENCY_ANSWER, st.ADDENDA})
OWN_WORDS = "in their own words"
# "C.leave", "T1 today" in the rules' reasons: a step id and an option key.
_DOTTED = re.compile(r"\b([A-Z][A-Za-z0-9]*)\.([a-z][a-z0-9_]*)\b")
_SPACED = re.compile(r"\b([A-Z][A-Za-z0-9]*) ([a-z][a-z0-9_]*)\b")


@dataclass(frozen=True)
class _Words:
    """What a step's question and options read as, in one locale, placeholders filled."""

    flow: Flow
    renderer: Renderer
    locale: str
    region: Region

    def question(self, step: Step) -> str:
        params = {**region_params(self.renderer, self.locale, self.region),
                  "partners": self.renderer.text(self.locale, m.PARTNERS_DEFAULT)}
        return self.renderer.text(self.locale, step.text, **params)

    def labels(self, step: Step, value: Any) -> tuple[str, ...]:
        labels = {o.key: self.renderer.label(self.locale, o) for o in options_for(step, self.region)}
        keys = value if isinstance(value, list) else [value]
        # A key the flow no longer has (an older flow version) is shown as stored, not dropped.
        return tuple(labels.get(str(k), str(k)) for k in keys)

    def cited(self, step_id: str, key: str, whole: str, quoted: bool) -> str:
        step = self.flow.step(step_id)
        if step is None:
            return whole
        labels = {o.key: self.renderer.label(self.locale, o) for o in options_for(step, self.region)}
        if key not in labels:
            return whole
        return f"\u201c{labels[key]}\u201d" if quoted else f"\u201c{self.question(step)}\u201d {labels[key]}"


def _written(value: Any) -> str:
    """The reporter's words as written: the messages typed at one question, one a line."""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _times(count: Any) -> str:
    return f"{count} time" if count == 1 else f"{count} times"


def _answer(step_id: str, value: Any, words: _Words) -> AnswerView | None:
    if step_id in BOOKKEEPING:
        return None
    if step_id == st.URGENT_REPEATS:
        return AnswerView(step_id=step_id, question="Danger said again after the alert", choices=(_times(value),))
    if step_id.endswith(st.WORDS_SUFFIX):
        asked = words.flow.step(step_id[:-len(st.WORDS_SUFFIX)])
        question = words.question(asked) if asked is not None else step_id[:-len(st.WORDS_SUFFIX)]
        return AnswerView(step_id=step_id, question=f"{question} ({OWN_WORDS})", words=_written(value))
    step = words.flow.step(step_id)
    if step is None:
        return AnswerView(step_id=step_id, question=step_id, words=_written(value))
    question = words.question(step)
    if value is None:
        return AnswerView(step_id=step_id, question=question, skipped=True)
    if step.type == "text":
        return AnswerView(step_id=step_id, question=question, words=_written(value))
    return AnswerView(step_id=step_id, question=question, choices=words.labels(step, value))


def _reason(reason: str, words: _Words) -> str | None:
    """A rules reason as a sentence staff read: options by their text; no line that adds nothing."""
    if reason.startswith("recency "):
        when, _, mult = reason[len("recency "):].rpartition(" x")
        return None if mult == "1" else f"when it happened ({when}) multiplies the score by {mult}"
    if reason.startswith("score ") and " x" in reason and " = " in reason:
        raw, _, rest = reason[len("score "):].partition(" x")
        mult, _, total = rest.partition(" = ")
        if total == "0":
            return None
        return f"score {total}" if mult == "1" else f"score {raw}, times {mult} for when it happened: {total}"
    return _cited(reason, words)


def _cited(reason: str, words: _Words) -> str:
    """Step ids and option keys ("C.leave", "V6 no") replaced by what the reporter was shown."""
    reason = _DOTTED.sub(lambda h: words.cited(h.group(1), h.group(2), h.group(0), True), reason)
    return _SPACED.sub(lambda h: words.cited(h.group(1), h.group(2), h.group(0), False), reason)


def _ordered(flow: Flow, answers: dict[str, Any]) -> list[str]:
    """Steps in flow order, each followed by what was typed at it; other keys last."""
    order = [key for s in flow.steps for key in (s, s + st.WORDS_SUFFIX) if key in answers]
    return order + [key for key in answers if key not in order]


def merged_answers(versions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """All the answers of a tip's snapshots (oldest first) as one: what the reporter gave so far.

    Within one interview each snapshot holds everything given, so a later answer replaces an
    earlier one.  But an interview left by EXIT or "not safe to text" drops its answers once
    sealed (README, threat model), so after coming back a snapshot holds only what was given
    since (and the option answers that steer the path): an answer it lacks is kept from an
    earlier snapshot, and words typed at a question join the earlier words unless the later
    list starts with them (then it is the same interview going on).
    """
    merged: dict[str, Any] = {}
    last: dict[str, Any] = {}  # each key's value in the latest snapshot that had it
    for version in versions:
        if version.get("kind", "snapshot") != "snapshot":
            continue
        for key, given in version.get("answers", {}).items():
            before, earlier = merged.get(key), last.get(key)
            last[key] = merged[key] = given
            if key.endswith(st.WORDS_SUFFIX) and isinstance(given, list) and isinstance(before, list):
                # the same interview going on: its list starts with what the last snapshot had
                same = len(earlier) if isinstance(earlier, list) and given[:len(earlier)] == earlier else 0
                merged[key] = before[:len(before) - same] + given
    return merged


def build(meta: TipMeta, versions: Sequence[dict[str, Any]], *, flow: Flow, catalogs: Catalogs, region: Region,
          locale: str, default_locale: str) -> TipView:
    """The view of a tip from its opened versions (snapshots and addenda), oldest first: the
    answers of every snapshot (``merged_answers``), the latest one's language and assessment."""
    snapshots = [v for v in versions if v.get("kind", "snapshot") == "snapshot"]
    latest = snapshots[-1] if snapshots else versions[-1]
    words = _Words(flow, Renderer(catalogs=catalogs, default_locale=default_locale), locale, region)
    answers = merged_answers(snapshots)
    in_flow_order = _ordered(flow, answers)
    assessment = latest.get("assessment", {})
    return TipView(
        meta=meta, version=int(latest.get("version", meta.version)),
        reporter_language=language_name(str(latest.get("locale", "und")), in_locale=locale),
        answers=tuple(a for a in (_answer(s, answers[s], words) for s in in_flow_order) if a is not None),
        reasons=(*(f"P1: danger in words added later (version {int(v.get('version', 0))})"
                   for v in versions if v.get("kind") == "addendum" and v.get("danger")),
                 *(r for r in (_reason(str(r), words) for r in assessment.get("reasons", [])) if r is not None)),
        routing=tuple(_cited(str(r), words) for r in assessment.get("routing", [])),
        additions=tuple((int(v.get("version", 0)), tuple(str(t) for t in v.get("texts", [])))
                        for v in versions if v.get("kind") == "addendum"),
    )
