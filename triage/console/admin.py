"""What the admin pages do: members, queues, keys and the audit log, with the CLI's storage functions.

Every change is audited under the acting admin's name, as ``tipline staff`` / ``tipline keys`` do.
The acting admin's keys come from their session (they open the grants a grant or rotation needs);
adding a member asks the admin's passphrase again (``Auth.reconfirm``, throttled like a login).
Argon2id (checking that passphrase, wrapping the new member's key) runs before any write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from storage import audit, keys, staff_overview, staff_sessions, staff_totp
from storage.audit import AuditReport, BadHeadError
from storage.db import deferred, read_only
from storage.keys import KeyManagementError, StaffKeys
from storage.staff_accounts import require_admin
from storage.staff_overview import AuditLine, MemberLine, QueueLine
from triage.console.auth import Auth, Member, Outcome
from triage.console.config import ConsoleConfig

AUDIT_PAGE = 100
_STATUS: dict[type[KeyManagementError], int] = {
    keys.UnknownStaffError: 404, keys.UnknownQueueError: 404, keys.DuplicateError: 409, keys.LastHolderError: 409,
    keys.WeakPassphraseError: 422, keys.NotGrantedError: 403, keys.NotAdminError: 403,
}


class AdminError(Exception):
    """A refused admin action: a message that says what to do, and the status of the page that shows it."""

    def __init__(self, message: str, status: int = 422, last_holder: tuple[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.last_holder = last_holder  # (member, queue) a revocation may go on for, if confirmed


def _names(*names: str) -> None:
    """Member and queue names are plain text: a control character (which PostgreSQL may not even store)
    is refused with a message instead of reaching a query."""
    if any(ord(c) < 32 or c == "\x7f" for name in names for c in name):
        raise AdminError("Names cannot hold control characters. Nothing changed.")


def _pair(username: str, queue: str) -> str:
    return f"{username}:{queue}"[:64]  # the audit subject's column is 64 characters


def _refused(exc: KeyManagementError) -> AdminError:
    if isinstance(exc, keys.NotGrantedError):
        return AdminError("You do not hold that queue's key: an admin who holds it must do this. Nothing changed.",
                          403)
    text = str(exc)
    return AdminError(f"{text[:1].upper()}{text[1:]}. Nothing changed.", _STATUS.get(type(exc), 422))


@dataclass(frozen=True)
class AuditPage:
    report: AuditReport | None  # None when the head given was not a head
    head: str
    lines: tuple[AuditLine, ...]
    older: int | None  # ``before`` for the next page, None on the last one


class Admin:
    def __init__(self, cfg: ConsoleConfig, auth: Auth) -> None:
        self.cfg = cfg
        self.auth = auth

    def members(self) -> list[MemberLine]:
        with read_only(self.cfg.db) as conn:
            return staff_overview.members(conn, now=self.cfg.clock())

    def queues(self) -> list[QueueLine]:
        with read_only(self.cfg.db) as conn:
            return staff_overview.queues(conn)

    def audit_page(self, *, before: int | None, head: str | None) -> AuditPage:
        with read_only(self.cfg.db) as conn:
            try:
                report: AuditReport | None = audit.verify(conn, secrets=self.cfg.secrets, head=head or None)
            except BadHeadError:
                report = None
            try:
                current_head = audit.head(conn, secrets=self.cfg.secrets)
            except audit.AuditTamperedError:
                current_head = "(the newest entry does not verify)"
            lines = tuple(staff_overview.audit_lines(conn, before=before, limit=AUDIT_PAGE + 1))
        older = lines[AUDIT_PAGE - 1].seq if len(lines) > AUDIT_PAGE else None
        return AuditPage(report=report, head=current_head, lines=lines[:AUDIT_PAGE], older=older)

    def add_member(self, admin: Member, *, username: str, passphrase: str, is_admin: bool,
                   queues: Sequence[str], admin_passphrase: str, client: str) -> None:
        """Like ``tipline staff add`` then ``staff grant``: the admin confirms with their passphrase."""
        _names(username, *queues)
        outcome = self.auth.reconfirm(admin, admin_passphrase, client=client)
        if outcome is Outcome.THROTTLED:
            raise AdminError("Too many wrong passphrases. Wait 15 minutes, then try again.", 429)
        if outcome is not Outcome.OK:
            raise AdminError("That is not your passphrase. Nobody was added.", 401)
        now = self.cfg.clock()
        try:
            with deferred(self.cfg.db) as conn:  # the new key's Argon2id runs before the first write
                keys.add_staff(conn, username=username, passphrase=passphrase, is_admin=is_admin,
                               secrets=self.cfg.secrets, kdf=self.cfg.staff_kdf, now=now)
                self.auth.audit(conn, admin.username, "staff_add_admin" if is_admin else "staff_add", username)
                for queue in queues:
                    keys.grant(conn, admin=admin.keys, member=username, queue=queue, now=now)
                    self.auth.audit(conn, admin.username, "grant", _pair(username, queue))
        except KeyManagementError as exc:
            raise _refused(exc) from None

    def reset_second_factor(self, admin: Member, username: str) -> None:
        """The member's next login goes to enrolment (a new QR code); their sessions and tokens end now."""
        _names(username)
        self._require_admin(admin.keys)
        try:
            with self.cfg.db.begin() as conn:
                staff_id = keys.staff_id_of(conn, username)
                staff_totp.remove(conn, staff_id=staff_id)
                staff_sessions.end_all(conn, staff_id=staff_id)
                self.auth.audit(conn, admin.username, "totp_reset", username)
        except KeyManagementError as exc:
            raise _refused(exc) from None

    def create_queue(self, admin: Member, *, name: str, title: str) -> None:
        """A new queue and its first key, granted to the admin who creates it (they grant it on)."""
        _names(name, title)
        if len(title) > 128:
            raise AdminError("A queue's title is at most 128 characters. Nothing changed.")
        self._require_admin(admin.keys)
        try:
            with self.cfg.db.begin() as conn:
                pair = keys.create_queue(conn, name=name, title=title, now=self.cfg.clock())
                keys.grant_new_queue(conn, member_id=admin.keys.staff_id, pair=pair, now=self.cfg.clock(),
                                     granted_by=admin.keys.staff_id)
                self.auth.audit(conn, admin.username, "queue_add", name)
        except KeyManagementError as exc:
            raise _refused(exc) from None

    def grant(self, admin: Member, *, username: str, queue: str) -> None:
        _names(username, queue)
        try:
            with self.cfg.db.begin() as conn:
                keys.grant(conn, admin=admin.keys, member=username, queue=queue, now=self.cfg.clock())
                self.auth.audit(conn, admin.username, "grant", _pair(username, queue))
        except KeyManagementError as exc:
            raise _refused(exc) from None

    def revoke(self, admin: Member, *, username: str, queue: str, lose_queue: bool) -> int:
        """Like ``tipline staff revoke``: refused for the last holder unless ``lose_queue``."""
        _names(username, queue)
        try:
            with self.cfg.db.begin() as conn:
                removed = keys.revoke(conn, admin=admin.keys, member=username, queue=queue,
                                      allow_last_holder=lose_queue)
                action = "revoke_last" if lose_queue else "revoke"
                self.auth.audit(conn, admin.username, action, _pair(username, queue))
        except keys.LastHolderError as exc:
            raise AdminError(f"{exc}. Grant {queue} to another member first, or, to lose those tips on purpose, "
                             "confirm below. Nothing was revoked.", 409, last_holder=(username, queue)) from None
        except KeyManagementError as exc:
            raise _refused(exc) from None
        return removed

    def rotate(self, admin: Member, queue: str) -> str:
        _names(queue)
        try:
            with self.cfg.db.begin() as conn:
                key_id = keys.rotate(conn, admin=admin.keys, queue=queue, now=self.cfg.clock())
                self.auth.audit(conn, admin.username, "rotate", queue)
        except KeyManagementError as exc:
            raise _refused(exc) from None
        return key_id

    def _require_admin(self, admin: StaffKeys) -> None:
        with read_only(self.cfg.db) as conn:
            try:
                require_admin(conn, admin)
            except KeyManagementError as exc:
                raise _refused(exc) from None
