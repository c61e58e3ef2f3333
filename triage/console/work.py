"""The queue, first cut: list a member's queues, pull the next tip as a claim, open a tip.

Every opening is written to the audit log in the transaction that opened it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from sqlalchemy import Connection

from storage import cases, claims, keys, referrals, sealing, tip_mac, tips
from storage.claims import Claim, QueueItem
from storage.keys import StaffKeys
from storage.tip_mac import MacStatus
from storage.tips import TipMeta
from triage.casework import LABELS, is_open, shown_status
from triage.console import alert_ack, tipview
from triage.console.auth import Auth
from triage.console.config import ConsoleConfig
from triage.console.oncall_work import rota_warning
from triage.console.tipview import TipView

SHORT_ID = 8  # the id's characters the queue, `tipline tips list` and alerts show
HELD_BY_ANOTHER = "Another member holds this tip: wait until they give it back or their claim ends."
NOT_OPEN = "This case is closed: reopen it (in review) before claiming it."


def in_member_queues(conn: Connection, staff_id: str, meta: TipMeta | None) -> bool:
    """Whether a sealed tip is in one of the member's queues: routed there or referred there
    (a referral adds the queue to the tip's envelopes, not to its routed queues)."""
    if meta is None or meta.version <= 0:
        return False
    held = set(keys.member_queues(conn, staff_id, current_only=False))
    return bool(held & set(referrals.with_referred(conn, meta.id, meta.queues)))


@dataclass(frozen=True)
class QueuePage:
    queues: tuple[str, ...]
    items: tuple[QueueItem, ...]
    now: float
    # Tip id -> its metadata MAC status; a row whose tip fails is marked (storage.tip_mac).
    metadata: dict[str, MacStatus] = field(default_factory=dict)

    @property
    def tampered(self) -> int:
        return sum(1 for status in self.metadata.values() if status is MacStatus.TAMPERED)
    case_status: Mapping[str, str] = field(default_factory=dict)  # tip id -> case status label (triage.casework)
    new_information: frozenset[str] = frozenset()  # tips the reporter added to since the member opened them
    rota_warning: str = ""  # urgent tips alert nobody, and why: every member is warned


@dataclass(frozen=True)
class OpenedTipPage:
    view: TipView
    claim: Claim | None
    mine: bool
    metadata: MacStatus = MacStatus.OK  # anything else: the page opens with a tampering banner
    unopened: tuple[int, ...] = ()  # versions whose envelope held by the member did not open


class Work:
    def __init__(self, cfg: ConsoleConfig, auth: Auth) -> None:
        self.cfg = cfg
        self.auth = auth

    def queue(self, member: StaffKeys) -> QueuePage:
        now = self.cfg.clock()
        with self.cfg.db.begin() as conn:
            queues = tuple(keys.member_queues(conn, member.staff_id))
            items = tuple(claims.queue_items(conn, queues=queues, now=now))
            ids = [i.tip_id for i in items]
            checked = tip_mac.check_many(conn, secrets=self.cfg.secrets, tip_ids=ids)
            rows = cases.of_tips(conn, ids)
            fresh = frozenset(cases.with_new_information(conn, staff_id=member.staff_id, tip_ids=ids))
            warning = rota_warning(conn, self.cfg.oncall_unreachable)
        statuses = {i.tip_id: LABELS[shown_status(rows[i.tip_id].status if i.tip_id in rows else "new",
                                                  i.claimed_by is not None)] for i in items}
        return QueuePage(queues=queues, items=items, now=now, metadata=checked, case_status=statuses,
                         new_information=fresh, rota_warning=warning)

    def pull_next(self, member: StaffKeys) -> Claim | None:
        """Claim the next tip (P1 first, then oldest); audited."""
        with self.cfg.db.begin() as conn:
            queues = keys.member_queues(conn, member.staff_id)
            claim = claims.claim_next(conn, staff_id=member.staff_id, queues=queues, now=self.cfg.clock())
            if claim is not None:
                self.auth.audit(conn, member.username, "claim", claim.tip_id)
                alert_ack.acknowledge(conn, self.auth, member, claim.tip_id, self.cfg.clock())
        return claim

    def resolve(self, member: StaffKeys, tip_id: str) -> str:
        """The full id of a short one (the 8 characters the queue, lists and alerts show) when it
        starts exactly one tip the member may see; otherwise ``tip_id`` unchanged (then a 404)."""
        if len(tip_id) < SHORT_ID:
            return tip_id
        with self.cfg.db.begin() as conn:
            if tips.get_tip(conn, tip_id) is not None:
                return tip_id
            seen = [m for m in (tips.get_tip(conn, t) for t in cases.tips_starting(conn, tip_id, limit=50))
                    if m is not None and in_member_queues(conn, member.staff_id, m)]
        return seen[0].id if len(seen) == 1 else tip_id

    def sees(self, member: StaffKeys, tip_id: str) -> bool:
        """Whether the tip is in one of the member's queues (otherwise the views answer 404)."""
        with self.cfg.db.begin() as conn:
            return in_member_queues(conn, member.staff_id, tips.get_tip(conn, tip_id))

    def claim(self, member: StaffKeys, tip_id: str) -> str:
        """Claim this tip as a pull would (same lease, audit, alert acknowledgement): "" when
        claimed, else why not.  The caller checks first that the member sees the tip."""
        now = self.cfg.clock()
        with self.cfg.db.begin() as conn:
            meta = tips.get_tip(conn, tip_id)
            if meta is None:
                return HELD_BY_ANOTHER
            if not is_open(cases.get(conn, tip_id).status):  # as a pull: closed cases are not taken again
                return NOT_OPEN
            if claims.claim_tip(conn, tip_id=tip_id, staff_id=member.staff_id, priority=meta.priority,
                                now=now) is None:
                return HELD_BY_ANOTHER
            self.auth.audit(conn, member.username, "claim", tip_id)
            alert_ack.acknowledge(conn, self.auth, member, tip_id, now)
        return ""

    def release(self, member: StaffKeys, tip_id: str) -> bool:
        with self.cfg.db.begin() as conn:
            released = claims.release(conn, tip_id=tip_id, staff_id=member.staff_id)
            if released:
                self.auth.audit(conn, member.username, "release", tip_id)
        return released

    def open(self, member: StaffKeys, tip_id: str, *, locale: str) -> OpenedTipPage | None:
        """The tip rendered in ``locale``, or None when it does not exist or none of its keys is the member's."""
        now = self.cfg.clock()
        with self.cfg.db.begin() as conn:
            meta = tips.get_tip(conn, tip_id)
            versions, unopened = self._open_versions(conn, member, tip_id) if meta is not None else ([], [])
            if meta is None or not (versions or unopened):
                return None
            status = tip_mac.check(conn, secrets=self.cfg.secrets, tip_id=tip_id)
            self.auth.audit(conn, member.username, "open_tip", tip_id)
            # Reading a tip one holds keeps the claim alive while one works on it.
            claims.renew(conn, tip_id=tip_id, staff_id=member.staff_id, priority=meta.priority, now=now)
            claim = claims.holder(conn, tip_id=tip_id, now=now)
            if claim is not None and claim.staff_id == member.staff_id:
                alert_ack.acknowledge(conn, self.auth, member, tip_id, now)
        # Nothing opened but a version held by the member did not open: the banner says so.
        view = tipview.build(meta, versions or [{"version": meta.version}], flow=self.cfg.flow,
                             catalogs=self.cfg.catalogs, region=self.cfg.region, locale=locale,
                             default_locale=self.cfg.default_locale)
        return OpenedTipPage(view=view, claim=claim, mine=claim is not None and claim.staff_id == member.staff_id,
                             metadata=status, unopened=tuple(unopened))

    @staticmethod
    def _open_versions(conn: Connection, member: StaffKeys, tip_id: str) -> tuple[list[dict[str, Any]], list[int]]:
        """The versions that open, and those whose envelope (for a key the member holds) does not."""
        opened: list[dict[str, Any]] = []
        unopened: list[int] = []
        for version in sealing.tip_versions(conn, tip_id):
            try:
                opened.append(json.loads(sealing.open_tip(conn, tip_id=tip_id, keys=member, version=version).payload))
            except keys.NotGrantedError:
                continue  # a version sealed only to a queue the member does not hold
            except sealing.EnvelopeTamperedError:
                unopened.append(version)  # moved from another tip or version, or altered: shown, never a 500
        return opened, unopened
