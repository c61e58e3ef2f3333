"""The casework part of a tip's page: its case, notes, links, referrals, receipts and history.

Built after the tip was opened (and its opening audited).  Building it records which version
the member has now read, so the queue's "new information" flag is about what came after.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection

from storage import case_notes, cases, claims, interpreters, referrals, tip_history
from storage.case_notes import Note
from storage.keys import StaffKeys
from storage.referrals import Referral
from storage.tips import TipMeta
from triage.casework import CLOSE_REASONS, LABELS, SETTABLE, shown_status
from triage.console.cases import Casework, visible
from triage.console.referral import Referrals

_ACTIONS = {
    "claim": "claimed it", "release": "gave it back to the queue", "link": "linked it to another tip",
    "legal_hold_on": "put it on legal hold", "legal_hold_off": "lifted the legal hold",
    "no_minor": "recorded that no minor is involved", "interpret_request": "asked an interpreter",
    "interpret_open": "opened the text to translate", "interpret_done": "sent back a translation",
    "alert_ack": "acknowledged its alert",
    "case.reopened": "reopened it: the reporter added to the closed case (see the newest version)",
}
_QUIET = ("note", "refer")  # listed with their words below, not twice


@dataclass(frozen=True)
class Receipt:
    """When child protection received a tip with a possible minor."""

    needed: bool
    queue: str | None = None
    at: float | None = None
    how: str = ""  # routed | referred
    no_minor_at: float | None = None


@dataclass(frozen=True)
class Event:
    at: float
    who: str
    what: str
    text: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CasePanel:
    status: str
    label: str
    case: cases.CaseRow
    close_reason: str
    notes: tuple[Note, ...] = field(repr=False)
    links: tuple[str, ...]
    referrals: tuple[Referral, ...]
    receipt: Receipt
    new_since: int | None  # the version the member had read, when the reporter added since
    history: tuple[Event, ...] = field(repr=False)
    targets: tuple[str, ...]
    interpreters: tuple[tuple[str, str], ...]  # (username, language)
    settable: tuple[tuple[str, str], ...] = tuple((s.value, LABELS[s.value]) for s in SETTABLE)
    close_reasons: tuple[tuple[str, str], ...] = tuple(CLOSE_REASONS.items())


def _receipt(conn: Connection, casework: Casework, meta: TipMeta, case: cases.CaseRow) -> Receipt:
    if "child" not in meta.categories:
        return Receipt(needed=False)
    first = case_notes.first_sealed_at(conn, meta.id, casework.child_queues())
    if first is None:
        return Receipt(needed=True, no_minor_at=case.no_minor_at)
    how = "referred" if first[0] in referrals.referred_queues(conn, meta.id) else "routed"
    return Receipt(needed=True, queue=first[0], at=first[1], how=how, no_minor_at=case.no_minor_at)


def _history(conn: Connection, tip_id: str, notes: list[Note], sent: list[Referral]) -> tuple[Event, ...]:
    events = [Event(at, "reporter", f"version {v} sealed") for v, at in case_notes.version_times(conn, tip_id)]
    for entry in tip_history.audit_of_tip(conn, tip_id):
        if entry.action.startswith("status_"):
            events.append(Event(entry.at, entry.actor, f"set the case to {LABELS.get(entry.action[7:], '?')}"))
        elif entry.action.startswith("export_pdf_"):
            events.append(Event(entry.at, entry.actor, f"exported it to PDF for {entry.action[11:]}"))
        elif entry.action.startswith(("refer_refused_", "export_refused_")):
            what = "a referral" if entry.action.startswith("refer") else "an export"
            kind = entry.action.rpartition("_refused_")[2].replace("_", " ")
            events.append(Event(entry.at, entry.actor, f"was refused {what} to {kind} (decision 8)"))
        elif entry.action.startswith(("refer_override_", "export_override_")):
            events.append(Event(entry.at, entry.actor, f"overrode decision 8 ({entry.action.rpartition('_')[2]})"))
        elif entry.action not in _QUIET:
            events.append(Event(entry.at, entry.actor, _ACTIONS.get(entry.action, entry.action)))
    events += [Event(n.created_at, n.author, _wrote(n.kind), n.text) for n in notes]
    events += [Event(r.created_at, r.by, f"referred {r.shared} to {r.to_queue}") for r in sent]
    return tuple(sorted(events, key=lambda e: e.at))


def build(casework: Casework, member: StaffKeys, tip_id: str) -> CasePanel:
    now = casework.cfg.clock()
    with casework.cfg.db.begin() as conn:
        meta = visible(conn, member, tip_id)
        case = cases.get(conn, tip_id)
        before = cases.mark_seen(conn, staff_id=member.staff_id, tip_id=tip_id, version=meta.version, now=now)
        notes = case_notes.notes(conn, tip_id=tip_id, keys=member)
        sent = referrals.of_tip(conn, tip_id)
        claimed = claims.holder(conn, tip_id=tip_id, now=now) is not None
        status = shown_status(case.status, claimed)
        return CasePanel(
            status=status, label=LABELS.get(status, status), case=case,
            close_reason=CLOSE_REASONS.get(case.close_reason or "", ""), notes=tuple(notes),
            links=tuple(cases.links(conn, tip_id)), referrals=tuple(sent),
            receipt=_receipt(conn, casework, meta, case),
            new_since=before if before is not None and before < meta.version else None,
            history=_history(conn, tip_id, notes, sent), targets=tuple(Referrals(casework).targets(conn, tip_id)),
            interpreters=tuple(interpreters.interpreters(conn)),
        )


def _wrote(kind: str) -> str:
    """ "wrote a note", "wrote a closing note": the kind named once."""
    words = kind.replace("_", " ")
    if words == "export":
        return "named the recipient of a PDF export"
    return "wrote a note" if words == "note" else f"wrote a {words.removesuffix(' note')} note"
