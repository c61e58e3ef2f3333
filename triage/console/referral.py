"""Referring a tip to another partner's queue: seal it anew to that queue's current key.

What is shared is every version of the tip the member can open (its snapshots: after an
interview paused by EXIT or "not safe to text", the later ones hold only what came after; and
the reporter's later additions) and its notes; nothing the tip's own queues hold changes, so their members lose
nothing.  The why is a note sealed to every queue of the tip; the record says who shared which
versions and how many notes with which queue.  INTAKE decision 8 is asked before anything is
sealed (``triage.casework.referral_check``); an override is written to the audit log, and so is a
referral decision 8 refuses (``refer_refused_<kind>``: who tried, which tip, which kind; no content).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from storage import case_notes, cases, keys, referrals, sealing, tip_mac
from storage.case_notes import SealedNote
from storage.db import deferred
from storage.keys import StaffKeys
from storage.sealing import Envelope
from storage.tips import TipMeta
from triage.casework import CaseStatus, is_open, referral_check
from triage.console.cases import CaseError, Casework, words_of, visible
from triage.console.tipview import merged_answers


class Refused(CaseError):
    """Decision 8 forbids the referral; ``kind`` is the kind of queue it would have reached."""

    def __init__(self, why: str, kind: str) -> None:
        super().__init__(why)
        self.kind = kind


@dataclass(frozen=True)
class _Prepared:
    envelopes: tuple[Envelope, ...] = field(repr=False)
    notes: tuple[SealedNote, ...] = field(repr=False)
    reason: SealedNote = field(repr=False)
    override: str | None


def _opened_versions(conn: Connection, member: StaffKeys, tip_id: str) -> list[tuple[int, bytes, dict[str, Any]]]:
    """(version, payload, parsed) of every version the member can open: a snapshot sealed after
    coming back holds only what was given since (``tipview.merged_answers``)."""
    opened = []
    for version in sealing.tip_versions(conn, tip_id):
        try:
            payload = sealing.open_tip(conn, tip_id=tip_id, keys=member, version=version).payload
        except keys.NotGrantedError:
            continue
        opened.append((version, payload, json.loads(payload)))
    return opened


def current_answers(conn: Connection, member: StaffKeys, tip_id: str) -> dict[str, Any]:
    """The answers of the tip's snapshots the member can open, as one (decision 8 reads them)."""
    return merged_answers([p for _, _, p in _opened_versions(conn, member, tip_id)])


class Referrals:
    def __init__(self, casework: Casework) -> None:
        self.casework = casework
        self.cfg = casework.cfg

    def targets(self, conn: Connection, tip_id: str) -> list[str]:
        """Queues the tip may still be referred to."""
        present = set(case_notes.tip_queues(conn, tip_id))
        return [q for q in keys.list_queues(conn) if q not in present]

    def _override(self, meta: TipMeta, answers: dict[str, Any], queue: str, override: str) -> str | None:
        check = referral_check(meta.categories, answers, queue=queue, routing=self.casework.routing)
        if not check.allowed:
            kind = {q.name: q.kind for q in self.casework.routing.queues}.get(queue, "police")
            raise Refused(f"Not referred: {check.why}.", kind)
        if check.grounds and override not in check.grounds:
            raise CaseError(f"Not referred yet: {check.why}. Name the override that applies "
                            f"({' or '.join(check.grounds)}); it is written to the audit log.")
        return override if check.grounds else None

    def _prepare(self, member: StaffKeys, tip_id: str, queue: str, reason: str, override: str) -> _Prepared:
        with deferred(self.cfg.db) as conn:
            meta = visible(conn, member, tip_id)
            if queue not in self.targets(conn, tip_id):
                raise CaseError("Choose a queue from the list: the tip is not in it yet.")
            current = _opened_versions(conn, member, tip_id)
            answers = merged_answers([p for _, _, p in current])
            ground = self._override(meta, answers, queue, override)
            envelopes = [e for version, payload, _ in current for e in sealing.seal_envelopes(
                conn, tip_id=tip_id, version=version, payload=payload, queues=[queue])]
            notes = [case_notes.seal_note(conn, tip_id=tip_id, kind=n.kind, text=n.text, queues=[queue],
                                          note_id=n.note_id)
                     for n in case_notes.notes(conn, tip_id=tip_id, keys=member) if n.text is not None]
            why = case_notes.seal_note(conn, tip_id=tip_id, kind="referral", text=f"Referred to {queue}: {reason}",
                                       queues=case_notes.tip_queues(conn, tip_id) + [queue])
        return _Prepared(envelopes=tuple(envelopes), notes=tuple(notes), reason=why, override=ground)

    def refer(self, member: StaffKeys, tip_id: str, queue: str, reason: str, override: str = "") -> str:
        text = words_of(reason, required=True, what="why you refer it")
        try:
            prepared = self._prepare(member, tip_id, queue, text, override)
        except Refused as refused:
            with self.cfg.db.begin() as conn:
                self.casework.auth.audit(conn, member.username, f"refer_refused_{refused.kind}", tip_id)
            raise
        now = self.cfg.clock()
        with self.cfg.db.begin() as conn:
            visible(conn, member, tip_id)
            self.casework.check_not_held_by_another(conn, member, tip_id)
            case = cases.get(conn, tip_id)
            if not is_open(case.status):
                raise CaseError("This case is closed: reopen it (in review) before referring it.")
            if not sealing.keys_still_current(conn, prepared.envelopes):
                raise CaseError("A queue key changed a moment ago: send the form again.")
            try:
                sealing.write_envelopes(conn, prepared.envelopes, now=now)
            except sealing.AlreadySealedError:
                raise CaseError("Someone referred this tip to that queue a moment ago.") from None
            self._write(conn, member, tip_id, queue, prepared, case.status, now)
        return "referred"

    def _write(self, conn: Connection, member: StaffKeys, tip_id: str, queue: str, prepared: _Prepared,
               status: str, now: float) -> None:
        for note in prepared.notes:
            case_notes.write_envelopes(conn, note, now=now)
        case_notes.write_note(conn, prepared.reason, staff_id=member.staff_id, now=now)
        referrals.record(conn, tip_id=tip_id, to_queue=queue, staff_id=member.staff_id,
                         versions=sorted({e.version for e in prepared.envelopes}), notes=len(prepared.notes),
                         reason_note=prepared.reason.note_id, override=prepared.override, now=now)
        cases.set_status(conn, tip_id=tip_id, expect=status, status=CaseStatus.REFERRED, staff_id=member.staff_id,
                         now=now)
        self.casework.auth.audit(conn, member.username, "refer", tip_id)
        tip_mac.refresh(conn, secrets=self.cfg.secrets, tip_id=tip_id)  # the new envelopes are covered
        if prepared.override is not None:
            self.casework.auth.audit(conn, member.username, f"refer_override_{prepared.override}", tip_id)
