"""``tipline training report``: what the trainee did in the sandbox, scored against the rules.

Read from the sandbox's casework and audit records only (metadata: no tip is opened), so the
trainer needs no passphrase and the debrief says nothing a tip holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Connection

from storage import audit, case_notes, cases, claims, keys, referrals, tips
from tipline.training import TRAINEE
from triage.casework import CLOSE_REASONS
from triage.routing_file import Routing

ACTED = ("actioned", "handled_elsewhere")  # the close reasons that say something was done for the child
FALSE_ALARM_REASONS = ("not_trafficking", "insufficient", "reporter_withdrew")
REFUSED = ("refer_refused_", "export_refused_")  # decision 8 refusals, audited by the console


@dataclass(frozen=True)
class Check:
    key: str
    title: str
    passed: bool
    detail: str  # what was found
    why: str  # why the rule matters


@dataclass(frozen=True)
class Sandboxed:
    """What a check reads: the sandbox's records, its routing, its scenario -> tip map."""

    conn: Connection
    routing: Routing
    tips: dict[str, str]
    trainee_id: str

    def kind_of(self, queue: str) -> str:
        found = [q.kind for q in self.routing.queues if q.name == queue]
        return found[0] if found else "police"  # a queue the routing file does not know counts as police

    def reached(self, scenario: str) -> set[str]:
        """Kinds of the queues the tip was routed or referred to."""
        tip_id = self.tips[scenario]
        meta = tips.get_tip(self.conn, tip_id)
        queues = set(meta.queues if meta else ()) | set(referrals.referred_queues(self.conn, tip_id))
        return {self.kind_of(q) for q in queues}


def _child(s: Sandboxed) -> Check:
    reached = "child_protection" in s.reached("motel")
    case = cases.get(s.conn, s.tips["motel"])
    # Closing a child in danger as anything but acted on is the gravest error in the set: say so.
    dropped = case.status == "closed" and case.close_reason not in ACTED
    found = ["referred to a child protection queue" if reached else "child protection never received the tip"]
    if dropped:
        found.append(f"you closed this P1 as \"{CLOSE_REASONS.get(case.close_reason or '', '?')}\"")
    return Check("child_referral", "The child in the motel reached child protection", reached and not dropped,
                 ", and ".join(found),
                 "The reporter skipped the age question; only their words say \"a girl who looks about 14\". "
                 "A possible minor must reach child protection whatever the answers say, and a P1 with a child "
                 "in danger is never closed as if nothing could be done.")


def _p1_claim(s: Sandboxed) -> Check:
    tip_id = s.tips["motel"]
    logins = [e.at for e in audit.entries(s.conn, actor=TRAINEE, limit=1000) if e.action in ("login", "login_enrol")]
    every = audit.entries(s.conn, actor=TRAINEE, action="claim", limit=1000)
    claimed = [e.at for e in every if e.subject == tip_id]
    lease = claims.lease_seconds("P1")
    if not claimed or not logins:
        passed, detail = False, "the P1 tip was never claimed"
    else:
        waited = claimed[0] - logins[0]
        # Within the lease is not enough: another tip claimed first means the P1 waited for it.
        first = every[0].subject
        passed = waited <= lease and first == tip_id
        detail = f"claimed {waited / 60:.1f} minutes after your first login (the lease is {lease / 60:.0f})"
        if first != tip_id:
            detail += f", after you had claimed tip {first[:8]}"
    return Check("p1_claim", "The P1 tip was claimed within its lease", passed, detail,
                 "Someone is in danger now: a P1 is pulled first and worked within 10 minutes, or the "
                 "on-call rota is alerted again.")


def _no_police(s: Sandboxed) -> Check:
    tip_id = s.tips["self"]
    police = "police" in s.reached("self")
    opened = bool(audit.entries(s.conn, actor=TRAINEE, action="open_tip", subject=tip_id, limit=1))
    # A refused referral or export is an attempt the console stopped: the rule was not known.
    tried = [e.action.partition("_refused_")[2] for e in audit.entries(s.conn, actor=TRAINEE, subject=tip_id,
                                                                         limit=1000)
             if e.action.startswith(REFUSED)]
    if police:
        detail = "the tip reached a police queue"
    elif tried:
        kinds = ", ".join(sorted({k.replace("_", " ") for k in tried}))
        detail = (f"you tried to send her tip to {kinds} {len(tried)} time(s) (referral or PDF export); "
                  "the console stopped you")
    else:
        detail = "you worked it and it stayed away from police" if opened else "you never opened it"
    return Check("no_police_self", "No police referral of the adult who said no to police",
                 opened and not police and not tried, detail,
                 "INTAKE decision 8: an adult who did not agree to police is never referred there unless a "
                 "danger or child override applies; breaking it costs the line its trust.")


def _notes(s: Sandboxed) -> Check:
    missing = [k for k in ("farm", "motel", "self")
               if case_notes.count_by(s.conn, tip_id=s.tips[k], staff_id=s.trainee_id) == 0]
    return Check("notes", "A note on every tip worked (farm, motel, self-report)", not missing,
                 "no note on: " + ", ".join(f"{k} (tip {s.tips[k][:8]})" for k in missing) if missing
                 else "each has a note",
                 "Notes are how the next member and the partner know what was done and why.")


def _false_alarm(s: Sandboxed) -> Check:
    case = cases.get(s.conn, s.tips["false_alarm"])
    closed = case.status == "closed" and bool(case.close_reason)
    label = CLOSE_REASONS.get(case.close_reason or "", "")
    passed = closed and case.close_reason in FALSE_ALARM_REASONS
    detail = f"its case is {case.status}" if not closed else f"closed: \"{label}\"" + (
        "" if passed else ", a reason that does not fit a false alarm")
    return Check("false_alarm_closed", "The false alarm was closed with a reason that fits", passed, detail,
                 "A closed case with the right reason leaves the queue to real work and says why nothing was done; "
                 "a wrong reason (\"Acted on\") puts a false alarm in the line's counts as a partner's action.")


def _follow_up(s: Sandboxed) -> Check:
    tip_id = s.tips["farm"]
    meta = tips.get_tip(s.conn, tip_id)
    seen = cases.seen_version(s.conn, staff_id=s.trainee_id, tip_id=tip_id)
    passed = meta is not None and seen is not None and seen >= meta.version
    return Check("follow_up_read", "The farm witness's follow-up was read", passed,
                 "read after the reporter added to it" if passed else "the reporter's new words were not opened",
                 "A reporter who comes back with their code adds what staff need (here: when the van comes).")


CHECKS: tuple[Callable[[Sandboxed], Check], ...] = (_child, _p1_claim, _no_police, _notes, _false_alarm, _follow_up)


def score(conn: Connection, *, routing: Routing, tip_ids: dict[str, str]) -> list[Check]:
    trainee_id = keys.staff_id_of(conn, TRAINEE)
    sandbox = Sandboxed(conn=conn, routing=routing, tips=tip_ids, trainee_id=trainee_id)
    return [check(sandbox) for check in CHECKS]


def debrief(checks: list[Check]) -> str:
    """The short text the trainer and the trainee read: right, missed, why it matters."""
    right = [c for c in checks if c.passed]
    missed = [c for c in checks if not c.passed]
    lines = [f"Training report: {len(right)} of {len(checks)} rules met."]
    if right:
        lines += ["", "What was right:"] + [f"  [ok] {c.title}: {c.detail}." for c in right]
    if missed:
        lines += ["", "What was missed:"]
        for c in missed:
            lines += [f"  [missed] {c.title}: {c.detail}.", f"      Why it matters: {c.why}"]
    return "\n".join(lines)
