"""A tip as staff read it: questions and chosen options in the member's language.

Answers are stored as option keys (``C: ["leave", "docs"]``), so any enabled locale can
render them from the catalogs; what the reporter typed is kept as written and labelled
with its language.  Metadata and the rules' reasons come along for the header.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Sequence

from babel import Locale, UnknownLocaleError

from bot.catalog import Catalogs
from bot.flow import Flow, Step
from bot.options import options_for
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


def language_name(code: str, *, in_locale: str) -> str:
    try:
        return Locale.parse(code).get_display_name(Locale.parse(in_locale)) or code
    except (UnknownLocaleError, ValueError):
        return code


def _labels(step: Step, value: Any, renderer: Renderer, locale: str, region: Region) -> tuple[str, ...]:
    labels = {o.key: renderer.label(locale, o) for o in options_for(step, region)}
    keys = value if isinstance(value, list) else [value]
    # A key the flow no longer has (an older flow version) is shown as stored, not dropped.
    return tuple(labels.get(str(k), str(k)) for k in keys)


def _answer(step_id: str, value: Any, flow: Flow, renderer: Renderer, locale: str, region: Region) -> AnswerView:
    step = flow.step(step_id)
    if step is None:
        return AnswerView(step_id=step_id, question=step_id, words=json.dumps(value, ensure_ascii=False))
    question = renderer.text(locale, step.text)
    if value is None:
        return AnswerView(step_id=step_id, question=question, skipped=True)
    if step.type == "text":
        return AnswerView(step_id=step_id, question=question, words=str(value))
    return AnswerView(step_id=step_id, question=question, choices=_labels(step, value, renderer, locale, region))


def build(meta: TipMeta, versions: Sequence[dict[str, Any]], *, flow: Flow, catalogs: Catalogs, region: Region,
          locale: str, default_locale: str) -> TipView:
    """The view of a tip from its opened versions (snapshots and addenda), oldest first."""
    snapshots = [v for v in versions if v.get("kind", "snapshot") == "snapshot"]
    latest = snapshots[-1] if snapshots else versions[-1]
    renderer = Renderer(catalogs=catalogs, default_locale=default_locale)
    answers = latest.get("answers", {})
    in_flow_order = [s for s in flow.steps if s in answers] + [s for s in answers if s not in flow.steps]
    assessment = latest.get("assessment", {})
    return TipView(
        meta=meta, version=int(latest.get("version", meta.version)),
        reporter_language=language_name(str(latest.get("locale", "und")), in_locale=locale),
        answers=tuple(_answer(s, answers[s], flow, renderer, locale, region) for s in in_flow_order),
        reasons=tuple(str(r) for r in assessment.get("reasons", [])),
        routing=tuple(str(r) for r in assessment.get("routing", [])),
        additions=tuple((int(v.get("version", 0)), tuple(str(t) for t in v.get("texts", [])))
                        for v in versions if v.get("kind") == "addendum"),
    )
