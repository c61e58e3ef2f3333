"""Logging staff in and out: passphrase, second factor, throttling, sessions, audit.

The views call this; it calls named functions of ``storage``.  What a session keeps (the
member's unwrapped private key) is sealed under the cookie's key (``storage.staff_sessions``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection

from storage import audit, keys, staff_sessions, staff_totp, throttle
from storage.db import deferred
from storage.keys import StaffKeys
from storage.purposes import Purpose
from storage.staff_sessions import NoSessionError, OpenedSession
from triage.console import totp
from triage.console.config import ConsoleConfig

FULL, ENROL = "full", "enrol"
# A bearer token of the JSON API is a session row of its own stage: short-lived, never a cookie.
API, API_SECONDS, API_IDLE_SECONDS = "api", 15 * 60.0, 5 * 60.0
# Wrong logins allowed per window: per member (a guessed passphrase or code), per client (a spray).
USER_LIMIT, CLIENT_LIMIT, THROTTLE_WINDOW = 5, 20, 15 * 60.0
UNKNOWN_ACTOR = "?"  # an unknown username may be a passphrase typed in the wrong field: never logged


class Outcome(StrEnum):
    OK = "ok"
    ENROL = "enrol"
    REFUSED = "refused"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class Member:
    """A logged-in member for one request: their session and their unlocked keys."""

    session: OpenedSession
    keys: StaffKeys
    pending_secret: str | None = None

    @property
    def username(self) -> str:
        return self.keys.username


def _payload(member: StaffKeys, pending_secret: str | None = None) -> bytes:
    data = {"u": member.username, "a": member.is_admin, "pub": member.public.hex(), "priv": member.private.hex(),
            "totp": pending_secret}
    return json.dumps(data).encode()


def _member(session: OpenedSession) -> Member:
    data = json.loads(session.payload)
    member = StaffKeys(staff_id=session.staff_id, username=data["u"], is_admin=bool(data["a"]),
                       public=bytes.fromhex(data["pub"]), private=bytes.fromhex(data["priv"]))
    return Member(session=session, keys=member, pending_secret=data.get("totp"))


class Auth:
    def __init__(self, cfg: ConsoleConfig) -> None:
        self.cfg = cfg
        self._totp_box = cfg.secrets.box(Purpose.STAFF_TOTP)

    def audit(self, conn: Connection, actor: str, action: str, subject: str = "") -> None:
        audit.append(conn, secrets=self.cfg.secrets, actor=actor, action=action, subject=subject,
                     now=self.cfg.clock())

    def _throttle_keys(self, username: str, client: str) -> tuple[tuple[bytes, int], ...]:
        mac = self.cfg.secrets.mac
        return ((mac(Purpose.STAFF_LOGIN, b"user:" + username.casefold().encode()), USER_LIMIT),
                (mac(Purpose.STAFF_LOGIN, b"client:" + client.encode()), CLIENT_LIMIT))

    def _blocked(self, conn: Connection, username: str, client: str) -> bool:
        now = self.cfg.clock()
        return any(throttle.is_blocked(conn, key=key, limit=limit, window_seconds=THROTTLE_WINDOW, now=now)
                   for key, limit in self._throttle_keys(username, client))

    def _fail(self, username: str, client: str, actor: str, action: str = "login_failed") -> Outcome:
        with self.cfg.db.begin() as conn:
            for key, limit in self._throttle_keys(username, client):
                throttle.hit(conn, key=key, limit=limit, window_seconds=THROTTLE_WINDOW, now=self.cfg.clock())
            self.audit(conn, actor, action)
        return Outcome.REFUSED

    def _unlock(self, username: str, passphrase: str) -> tuple[StaffKeys | None, str]:
        """The member's keys (None when refused) and the actor name the audit log may carry."""
        if "\x00" in username:  # PostgreSQL text cannot hold it: no such member, and no query
            return None, UNKNOWN_ACTOR
        # Argon2id runs without SQLite's write lock, as in the CLI: the public line goes on meanwhile.
        with deferred(self.cfg.db) as conn:
            try:
                return keys.unlock(conn, username=username, passphrase=passphrase, secrets=self.cfg.secrets,
                                   kdf=self.cfg.staff_kdf), username
            except keys.UnknownStaffError:
                return None, UNKNOWN_ACTOR
            except keys.WrongPassphraseError:
                return None, username

    def login(self, *, username: str, passphrase: str, code: str, client: str, locale: str, api: bool = False
              ) -> tuple[Outcome, str | None]:
        """Check passphrase and code; returns the outcome and, when a session began, its cookie value
        (with ``api``, a bearer token; a member who has not enrolled gets ENROL and no token)."""
        with self.cfg.db.begin() as conn:
            if self._blocked(conn, username, client):
                self.audit(conn, UNKNOWN_ACTOR, "login_throttled")
                return Outcome.THROTTLED, None
        member, actor = self._unlock(username, passphrase)
        if member is None:
            return self._fail(username, client, actor), None
        with self.cfg.db.begin() as conn:
            secret = staff_totp.secret_of(conn, staff_id=member.staff_id, box=self._totp_box)
            if secret is None and api:  # enrolment shows a QR code: only the console does that
                self.audit(conn, member.username, "api_login_unenrolled")
                return Outcome.ENROL, None
            if secret is None:  # first login: the second factor is set up before anything opens
                cookie = self._start(conn, member, ENROL, locale, pending=totp.new_secret())
                self.audit(conn, member.username, "login_enrol")
                return Outcome.ENROL, cookie
            step = totp.matching_step(secret, code, now=self.cfg.clock())
            if step is not None and staff_totp.use_step(conn, staff_id=member.staff_id, step=step):
                cookie = self._start(conn, member, API if api else FULL, locale)
                self.audit(conn, member.username, "api_login" if api else "login")
                return Outcome.OK, cookie
        return self._fail(username, client, member.username, "login_bad_code"), None

    def _start(self, conn: Connection, member: StaffKeys, stage: str, locale: str, pending: str | None = None) -> str:
        now = self.cfg.clock()
        staff_sessions.prune(conn, now=now, idle_seconds=self.cfg.idle_seconds)
        locale = locale if locale in self.cfg.locales else self.cfg.default_locale
        lifetime = API_SECONDS if stage == API else self.cfg.session_seconds
        return staff_sessions.create(conn, staff_id=member.staff_id, payload=_payload(member, pending), stage=stage,
                                     locale=locale, now=now, lifetime=lifetime)

    def current(self, cookie: str | None, *, bearer: bool = False) -> Member | None:
        """The member this cookie (or, with ``bearer``, this API token) logs in, or None (none given, expired,
        one that opens nothing, or a token presented as a cookie or the other way round)."""
        if not cookie:
            return None
        idle = API_IDLE_SECONDS if bearer else self.cfg.idle_seconds
        with self.cfg.db.begin() as conn:
            try:
                session = staff_sessions.open_session(conn, cookie=cookie, now=self.cfg.clock(), idle_seconds=idle)
            except NoSessionError:
                return None
        return _member(session) if (session.stage == API) == bearer else None

    def reconfirm(self, member: Member, passphrase: str, *, client: str) -> Outcome:
        """A logged-in member types their passphrase again before a grave action (throttled like a login)."""
        with self.cfg.db.begin() as conn:
            if self._blocked(conn, member.username, client):
                self.audit(conn, member.username, "reconfirm_throttled")
                return Outcome.THROTTLED
        keys_again, _ = self._unlock(member.username, passphrase)
        if keys_again is None or keys_again.staff_id != member.keys.staff_id:
            return self._fail(member.username, client, member.username, "reconfirm_failed")
        keys_again.forget()
        return Outcome.OK

    def enrol(self, member: Member, code: str, *, client: str) -> bool:
        """Confirm the pending second factor with a code from the member's app; the session becomes full."""
        secret = member.pending_secret
        step = None if secret is None else totp.matching_step(secret, code, now=self.cfg.clock())
        if secret is None or step is None:
            self._fail(member.username, client, member.username, "totp_enrol_failed")
            return False
        with self.cfg.db.begin() as conn:
            staff_totp.enrol(conn, staff_id=member.keys.staff_id, secret=secret, step=step, box=self._totp_box,
                             now=self.cfg.clock())
            staff_sessions.reseal(conn, member.session, payload=_payload(member.keys), stage=FULL)
            self.audit(conn, member.username, "totp_enrol")
        return True

    def set_locale(self, member: Member, locale: str) -> None:
        if locale in self.cfg.locales:
            with self.cfg.db.begin() as conn:
                staff_sessions.reseal(conn, member.session, payload=member.session.payload, locale=locale)

    def logout(self, member: Member, *, everywhere: bool = False) -> None:
        with self.cfg.db.begin() as conn:
            if everywhere:
                staff_sessions.end_all(conn, staff_id=member.keys.staff_id)
            else:
                staff_sessions.end(conn, member.session)
            self.audit(conn, member.username, "logout_all" if everywhere else "logout")
        member.keys.forget()
