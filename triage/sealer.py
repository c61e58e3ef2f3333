"""Turning engine events into sealed tip versions: score, route, seal, hash the code, alert.

A version is worked out and sealed in two steps so that the slow part can run before the
write transaction (issue 11): ``prepare`` reads the tip and the queue keys, scores, routes,
seals the snapshot (X25519) and takes the reference code's hash from the caller (Argon2id,
computed outside the lock); ``write`` then only writes, and refuses (False) when the tip
moved on or a queue key was rotated since, so the caller redoes the message under the lock.
``apply`` does both inside one transaction (the locked path, idle expiry).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Callable, Sequence

from sqlalchemy import Connection

from bot.types import ConversationState, Event, EventKind, Region, Status
from storage import referrals, refcodes, sealing, tip_mac, tips
from storage.crypto import KdfParams, ServerSecrets
from triage.addenda import DANGER_PRIORITY, raise_danger_alert, seal_addendum
from triage.routing import Routing, route_explained
from triage.rules import Rules
from triage.scoring import Assessment, assess

log = logging.getLogger(__name__)

SEALING = (EventKind.URGENT, EventKind.COMPLETE, EventKind.INCOMPLETE, EventKind.UPDATED)
# The engine's UPDATED for words added after the close; any other UPDATED reason is an
# urgent answer coming back (the engine counts it in answers["urgent_repeats"]).
ADDED_WORDS = "more"

CodeHash = Callable[[str], bytes]


@dataclass(frozen=True)
class Sealing:
    """One tip version, scored, routed and sealed, waiting for its writes."""

    tip_id: str
    new_tip: bool
    version: int
    status: str
    reason: str
    assessment: Assessment
    queues: tuple[str, ...]
    envelopes: tuple[sealing.Envelope, ...] = field(repr=False)
    code_hash: bytes | None = field(repr=False)
    alarms: tuple[str, ...]  # reasons that raise (or count a repeat on) the tip's one open alert


def is_addendum(state: ConversationState, events: Sequence[Event]) -> bool:
    """A reporter came back after the close: their words (and any alarm) join the tip as an addendum."""
    kinds = {e.kind for e in events if e.kind in SEALING}
    return state.status == Status.FINISHED and bool(kinds) and kinds <= {EventKind.UPDATED, EventKind.URGENT}


class TipSealer:
    def __init__(
        self, *, secrets: ServerSecrets, rules: Rules, routing: Routing, region: Region, code_kdf: KdfParams
    ) -> None:
        self.secrets = secrets
        self.rules = rules
        self.routing = routing
        self.region = region
        self.code_kdf = code_kdf
        # The slow keyed hash of a code (Argon2id); tests may put a recording fake here.
        self.hasher: CodeHash = lambda code: refcodes.code_hash(code, secrets=secrets, kdf=code_kdf)

    def code_hash(self, code: str) -> bytes:
        """The slow keyed hash of a code: callers run it before the write transaction."""
        return self.hasher(code)

    def apply(
        self, conn: Connection, *, tip_id: str | None, state: ConversationState, events: Sequence[Event],
        channel: str, now: float, code_hash: CodeHash | None = None,
    ) -> str | None:
        """Seal a new version of the tip for these events; returns the tip's id (created if needed)."""
        if is_addendum(state, events) and tip_id is not None:
            return self._addendum(conn, tip_id=tip_id, state=state, events=events, now=now)
        for _ in range(3):  # the tip row is locked; only a key rotated meanwhile makes it seal again
            prepared = self.prepare(conn, tip_id=tip_id, state=state, events=events, channel=channel, now=now,
                                    code_hash=code_hash or self.code_hash, lock=True)
            if prepared is None:
                return tip_id
            if self.write(conn, prepared, now=now):
                return prepared.tip_id
        raise sealing.SealingError("the queue keys kept changing while a tip was sealed")

    def prepare(
        self, conn: Connection, *, tip_id: str | None, state: ConversationState, events: Sequence[Event],
        channel: str, now: float, code_hash: CodeHash, lock: bool = False,
    ) -> Sealing | None:
        """Work out and seal the next version from plain reads (``lock``: the tip row locked for
        this transaction); None when no event seals."""
        sealing_events = [e for e in events if e.kind in SEALING]
        if not sealing_events:
            return None
        meta = tips.get_tip(conn, tip_id, for_update=lock) if tip_id is not None else None
        new_tip = meta is None
        tip_id = tip_id if meta is not None and tip_id is not None else tips.new_tip_id()
        assessment, queues, route_reasons = self._score(meta, state)
        status, reason = _tip_status(meta.status if meta else tips.TipStatus.OPEN, sealing_events)
        version = (meta.version if meta else 0) + 1
        payload = _snapshot(tip_id=tip_id, version=version, status=status, events=sealing_events, channel=channel,
                            state=state, assessment=assessment, routing=route_reasons, now=now)
        # A tip referred to another partner keeps reaching it (storage.referrals).
        sealed_to = queues if new_tip else referrals.with_referred(conn, tip_id, queues)
        envelopes = sealing.seal_envelopes(conn, tip_id=tip_id, version=version, payload=payload, queues=sealed_to)
        code = next((e.code for e in sealing_events if e.code), None)
        return Sealing(
            tip_id=tip_id, new_tip=new_tip, version=version, status=status, reason=reason, assessment=assessment,
            queues=queues, envelopes=tuple(envelopes), code_hash=code_hash(code) if code is not None else None,
            alarms=tuple(e.reason for e in sealing_events if _alarms(e)),
        )

    def write(self, conn: Connection, prepared: Sealing, *, now: float) -> bool:
        """The writes of a prepared version; False (nothing written) if the tip or a key moved on."""
        p = prepared
        if not sealing.keys_still_current(conn, p.envelopes):
            return False
        if p.new_tip:
            self._insert_new(conn, p, now=now)
        elif not tips.record_seal(
            conn, tip_id=p.tip_id, version=p.version, status=p.status, reason=p.reason,
            priority=p.assessment.priority, categories=p.assessment.categories,
            rules_version=p.assessment.rules_version, queues=p.queues, now=now, code_hash=p.code_hash,
            expect_version=p.version - 1,
        ):
            return False
        sealing.write_envelopes(conn, p.envelopes, now=now)
        for reason in p.alarms:
            tips.raise_alert(conn, tip_id=p.tip_id, priority=p.assessment.priority, reason=reason, now=now)
        if not p.new_tip:
            tip_mac.refresh(conn, secrets=self.secrets, tip_id=p.tip_id)  # last: it covers all of the above
        log.info(
            "tip sealed",
            extra={"tip": p.tip_id, "version": p.version, "priority": p.assessment.priority, "queues": list(p.queues)},
        )
        return True

    def _insert_new(self, conn: Connection, p: Sealing, *, now: float) -> None:
        """A new tip in one insert, its MAC computed from what this transaction writes (no read-back):
        its envelopes, and one alert row whatever the number of alarms (repeats count on that row)."""
        row = tips.NewTipRow(
            tip_id=p.tip_id, version=p.version, status=p.status, reason=p.reason, priority=p.assessment.priority,
            categories=",".join(p.assessment.categories), rules_version=p.assessment.rules_version,
            queues=",".join(p.queues), ref_hash=p.code_hash,
        )
        mac = tip_mac.for_new_tip(self.secrets, row, created_at=now, alerts=1 if p.alarms else 0,
                                  envelopes=[(e.version, e.queue, e.key_id, e.sealed) for e in p.envelopes])
        tips.insert_sealed(conn, row, now=now, mac=mac)

    def _addendum(
        self, conn: Connection, *, tip_id: str, state: ConversationState, events: Sequence[Event], now: float
    ) -> str:
        """Words after the close join the tip (the interview's answers were dropped once sealed);
        danger words after the close raise the tip's alert (one open alert, repeats counted) and P1."""
        texts = [str(t) for t in state.answers.get("addenda", [])]
        alarm = any(e.kind is EventKind.URGENT for e in events)
        if texts or alarm:
            seal_addendum(conn, secrets=self.secrets, tip_id=tip_id, texts=texts, now=now,
                          raise_to=DANGER_PRIORITY if alarm else None)
        if alarm:
            raise_danger_alert(conn, secrets=self.secrets, tip_id=tip_id, now=now)
        return tip_id

    def _score(
        self, meta: tips.TipMeta | None, state: ConversationState
    ) -> tuple[Assessment, tuple[str, ...], tuple[str, ...]]:
        """Priority and categories (a re-seal never lowers the previous ones), queues and why."""
        previous = None
        if meta is not None and meta.version > 0:
            previous = Assessment(
                priority=meta.priority, categories=meta.categories, score=0.0, reasons=(),
                rules_version=meta.rules_version,
            )
        assessment = assess(state.answers, rules=self.rules, previous=previous)
        queues, route_reasons = route_explained(
            assessment, state.answers, routing=self.routing, region=self.region.code, locale=state.locale,
        )
        return assessment, queues, route_reasons


def _alarms(event: Event) -> bool:
    """An urgent answer, first time or coming back: it raises the alert or counts a repeat."""
    return event.kind is EventKind.URGENT or (event.kind is EventKind.UPDATED and event.reason != ADDED_WORDS)


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
            # Categories only the venue suggests: shown to staff as such, never routed.
            "possible": list(assessment.possible),
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
        return tips.TipStatus.COMPLETE, next(e.reason for e in events if e.kind is EventKind.COMPLETE)
    if EventKind.INCOMPLETE in kinds:
        return tips.TipStatus.INCOMPLETE, next(e.reason for e in events if e.kind is EventKind.INCOMPLETE)
    if EventKind.UPDATED in kinds:
        return previous, "updated"
    return previous, next(e.reason for e in events)
