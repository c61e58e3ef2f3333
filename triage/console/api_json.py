"""What the JSON API answers: the console's queue and tip views as plain JSON values.

Times are seconds since the epoch (UTC), as everywhere in tipline.  A tip comes as the
console's tip page shows it: questions and chosen options in the token's language, the
reporter's words as written (``words``) and made safe to display (``words_shown``: control,
bidi and invisible characters as visible escapes, see ``text.py``), their language named.
"""

from __future__ import annotations

from typing import Any

from storage.claims import Claim, QueueItem
from triage.console.text import visible
from triage.console.tipview import AnswerView, TipView
from triage.console.work import QueuePage


def queue_item(item: QueueItem) -> dict[str, Any]:
    return {"tip_id": item.tip_id, "priority": item.priority, "categories": list(item.categories),
            "interview_status": item.status, "created_at": item.created_at, "updated_at": item.updated_at,
            "claimed_by": item.claimed_by, "lease_until": item.lease_until}


def queue(page: QueuePage) -> dict[str, Any]:
    return {"queues": list(page.queues), "now": page.now, "items": [queue_item(i) for i in page.items]}


def claim(found: Claim | None) -> dict[str, Any]:
    if found is None:
        return {"claim": None, "message": "Nothing is waiting in your queues."}
    return {"claim": {"tip_id": found.tip_id, "lease_until": found.lease_until}}


def _answer(answer: AnswerView) -> dict[str, Any]:
    return {"step": answer.step_id, "question": answer.question, "choices": list(answer.choices),
            "words": answer.words, "words_shown": None if answer.words is None else visible(answer.words),
            "skipped": answer.skipped}


def tip(view: TipView, held: Claim | None, mine: bool, locale: str) -> dict[str, Any]:
    meta = view.meta
    return {
        "tip_id": meta.id, "priority": meta.priority, "categories": list(meta.categories),
        "interview_status": meta.status, "interview_reason": meta.reason, "version": view.version,
        "created_at": meta.created_at, "updated_at": meta.updated_at, "locale": locale,
        "reporter_language": view.reporter_language,
        "answers": [_answer(a) for a in view.answers],
        "additions": [{"version": version, "texts": list(texts), "texts_shown": [visible(t) for t in texts]}
                      for version, texts in view.additions],
        "reasons": list(view.reasons), "routing": list(view.routing),
        "claim": {"held": held is not None, "mine": mine, "lease_until": held.lease_until if mine and held else None},
    }
