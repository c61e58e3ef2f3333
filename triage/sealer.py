"""Turning engine events into sealed tip versions: score, route, seal, hash the code, alert.

The intake service calls ``TipSealer.apply`` inside its transaction whenever the engine
reports an urgent answer, a complete or incomplete interview, or an update.
"""

from __future__ import annotations

import json
import logging
from typing import Sequence

from sqlalchemy import Connection

from bot.types import ConversationState, Event, EventKind, Region, Status
from storage import refcodes, sealing, tips
from storage.crypto import KdfParams, ServerSecrets
from triage.followup import seal_addendum
from triage.routing import Routing, route_explained
from triage.rules import Rules
from triage.scoring import Assessment, assess

log = logging.getLogger(__name__)

SEALING = (EventKind.URGENT, EventKind.COMPLETE, EventKind.INCOMPLETE, EventKind.UPDATED)


class TipSealer:
    def __init__(
        self, *, secrets: ServerSecrets, rules: Rules, routing: Routing, region: Region, code_kdf: KdfParams
    ) -> None:
        self.secrets = secrets
        self.rules = rules
        self.routing = routing
        self.region = region
        self.code_kdf = code_kdf

    def apply(
        self, conn: Connection, *, tip_id: str | None, state: ConversationState, events: Sequence[Event],
        channel: str, now: float,
    ) -> str | None:
        """Seal a new version of the tip for these events; returns the tip's id (created if needed)."""
        sealing_events = [e for e in events if e.kind in SEALING]
        if not sealing_events:
            return tip_id
        if state.status == Status.FINISHED and all(e.kind is EventKind.UPDATED for e in sealing_events):
            # A reporter came back after the close: their words join the tip as an addendum
            # (the interview's answers were dropped from the state once sealed).
            texts = [str(t) for t in state.answers.get("addenda", [])]
            if tip_id is not None and texts:
                seal_addendum(conn, tip_id=tip_id, texts=texts, now=now)
                return tip_id
        if tip_id is None:
            tip_id = tips.create_tip(conn, now=now)
        meta = tips.get_tip(conn, tip_id, for_update=True)
        assert meta is not None
        assessment, queues, route_reasons = self._score(meta, state)
        status, reason = _tip_status(meta.status, sealing_events)
        version = meta.version + 1
        payload = _snapshot(tip_id=tip_id, version=version, status=status, events=sealing_events, channel=channel,
                            state=state, assessment=assessment, routing=route_reasons, now=now)
        sealing.seal_tip(conn, tip_id=tip_id, version=version, payload=payload, queues=queues, now=now)
        code = next((e.code for e in sealing_events if e.code), None)
        code_hash = refcodes.code_hash(code, secrets=self.secrets, kdf=self.code_kdf) if code is not None else None
        tips.record_seal(
            conn, tip_id=tip_id, version=version, status=status, reason=reason,
            priority=assessment.priority, categories=assessment.categories,
            rules_version=assessment.rules_version, queues=queues, now=now, code_hash=code_hash,
        )
        for event in sealing_events:
            if event.kind is EventKind.URGENT:
                tips.raise_alert(conn, tip_id=tip_id, priority=assessment.priority, reason=event.reason, now=now)
        log.info(
            "tip sealed",
            extra={"tip": tip_id, "version": version, "priority": assessment.priority, "queues": list(queues)},
        )
        return tip_id

    def _score(
        self, meta: tips.TipMeta, state: ConversationState
    ) -> tuple[Assessment, tuple[str, ...], tuple[str, ...]]:
        """Priority and categories (a re-seal never lowers the previous ones), queues and why."""
        previous = None
        if meta.version > 0:
            previous = Assessment(
                priority=meta.priority, categories=meta.categories, score=0.0, reasons=(),
                rules_version=meta.rules_version,
            )
        assessment = assess(state.answers, rules=self.rules, previous=previous)
        queues, route_reasons = route_explained(
            assessment, state.answers, routing=self.routing, region=self.region.code, locale=state.locale,
        )
        return assessment, queues, route_reasons


def _snapshot(
    *, tip_id: str, version: int, status: str, events: Sequence[Event], channel: str, state: ConversationState,
    assessment: Assessment, routing: Sequence[str], now: float,
) -> bytes:
    """The sealed payload of one version: the answers with how they were scored and routed."""
    payload = {
        "kind": "snapshot",
        "tip_id": tip_id,
        "version": version,
        "status": status,
        "events": [{"kind": e.kind.value, "reason": e.reason} for e in events],
        "channel": channel,
        "locale": state.locale,
        "answers": state.answers,
        "assessment": {
            "priority": assessment.priority,
            "categories": list(assessment.categories),
            "score": assessment.score,
            "reasons": list(assessment.reasons),
            "rules_version": assessment.rules_version,
            "routing": list(routing),
        },
        "sealed_at": now,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def _tip_status(previous: str, events: Sequence[Event]) -> tuple[str, str]:
    """The tip's status after these events: complete beats incomplete beats open."""
    kinds = {e.kind for e in events}
    if EventKind.COMPLETE in kinds:
        return "complete", next(e.reason for e in events if e.kind is EventKind.COMPLETE)
    if EventKind.INCOMPLETE in kinds:
        return "incomplete", next(e.reason for e in events if e.kind is EventKind.INCOMPLETE)
    if EventKind.UPDATED in kinds:
        return previous, "updated"
    return previous, next(e.reason for e in events)
