"""Console sessions: passphrase plus second factor, throttling, expiry, CSRF, and keys that
neither the database row nor the cookie opens alone (issue 12)."""

from __future__ import annotations

import base64
import os

from flask import Flask
from sqlalchemy import select, update

from storage import audit as audit_log
from storage.staff_tables import StaffSession
from tests.factories import ADMIN_PASSPHRASE, FakeClock, table_of
from tests.triage.console.support import Browser, add_member, console_app
from tipline.runtime import Runtime
from triage.console.auth import USER_LIMIT
from triage.console.web import COOKIE

_S = table_of(StaffSession)


def _actions(rt: Runtime) -> list[str]:
    from storage.tables import AuditEntry

    with rt.db.connect() as conn:
        return [r.action for r in conn.execute(select(table_of(AuditEntry).c.action).order_by(
            table_of(AuditEntry).c.seq))]


def _cookie(browser: Browser) -> str:
    found = browser.client.get_cookie(COOKIE)
    assert found is not None
    return found.value


def test_first_login_enrols_the_second_factor_before_any_tip_opens(rt: Runtime, app: Flask, clock: FakeClock) -> None:
    browser = Browser(app.test_client(), clock)
    status, where = browser.login()
    assert (status, where) == (303, "/enrol")
    # Half-logged-in (passphrase only): the queue is not reachable.
    assert browser.client.get("/").headers["Location"] == "/enrol"
    page = browser.client.get("/enrol").get_data(as_text=True)
    assert "<svg" in page and "QR code" in page
    browser.enrol()
    assert browser.client.get("/").status_code == 200
    assert {"login_enrol", "totp_enrol"} <= set(_actions(rt))


def test_login_needs_passphrase_and_the_current_code(admin: Browser, clock: FakeClock) -> None:
    admin.client.post("/logout", data={"csrf": admin.token()})
    assert admin.client.get("/").headers["Location"] == "/login"
    assert admin.login(code="000000") == (401, "")
    assert admin.login(passphrase="not the passphrase") == (401, "")
    assert admin.login() == (303, "/")
    assert admin.client.get("/").status_code == 200


def test_a_code_is_accepted_once(admin: Browser, clock: FakeClock) -> None:
    from triage.console.totp import code_at

    assert admin.secret is not None
    code = code_at(admin.secret, clock())
    admin.client.post("/logout", data={"csrf": admin.token()})
    assert admin.login(code=code) == (303, "/")
    admin.client.post("/logout", data={"csrf": admin.token()})
    assert admin.login(code=code) == (401, "")  # replayed within the same 30 s


def test_wrong_codes_are_throttled_per_member(rt: Runtime, admin: Browser, clock: FakeClock) -> None:
    admin.client.post("/logout", data={"csrf": admin.token()})
    for _ in range(USER_LIMIT):
        assert admin.login(code="000000")[0] == 401
    # Now even the right code is refused until the window ends.
    assert admin.login()[0] == 429
    clock.advance(15 * 60 + 1)
    assert admin.login() == (303, "/")
    assert _actions(rt).count("login_bad_code") == USER_LIMIT and "login_throttled" in _actions(rt)


def test_many_usernames_from_one_client_are_throttled(app: Flask, admin: Browser, clock: FakeClock) -> None:
    admin.client.post("/logout", data={"csrf": admin.token()})
    sprayer = Browser(app.test_client(), clock)
    for n in range(20):
        sprayer.username = f"guess{n}"
        assert sprayer.login()[0] == 401
    assert admin.login()[0] == 429  # the same client address (the test client's)


def test_idle_session_expires(rt: Runtime, admin: Browser, clock: FakeClock) -> None:
    clock.advance(14 * 60)
    assert admin.client.get("/").status_code == 200  # activity renews the idle timer
    clock.advance(14 * 60)
    assert admin.client.get("/").status_code == 200
    clock.advance(15 * 60 + 1)
    assert admin.client.get("/").headers["Location"] == "/login"
    with rt.db.connect() as conn:
        assert conn.execute(select(_S.c.staff_id)).first() is None  # the sealed keys are gone with the row


def test_busy_session_still_ends_at_the_absolute_limit(admin: Browser, clock: FakeClock) -> None:
    for _ in range(8 * 6 - 1):
        clock.advance(10 * 60)
        assert admin.client.get("/").status_code == 200
    clock.advance(10 * 60)
    assert admin.client.get("/").headers["Location"] == "/login"


def test_a_form_without_its_token_is_refused(rt: Runtime, admin: Browser) -> None:
    from tests.triage.console.support import DANGER_TIP, give_tips

    give_tips(rt, FakeClock(), DANGER_TIP)
    assert admin.client.post("/next", data={}).status_code == 400
    assert admin.client.post("/next", data={"csrf": "0" * 64}).status_code == 400
    assert "claim" not in _actions(rt)
    assert admin.client.post("/next", data={"csrf": admin.token()}).status_code == 303
    assert "claim" in _actions(rt)


def test_cookies_are_httponly_samesite_strict_and_secure(rt: Runtime, clock: FakeClock) -> None:
    browser = Browser(console_app(rt, clock, secure_cookies=True).test_client(), clock)
    browser.client.get("/login")
    page = browser.client.get("/login", base_url="https://localhost").get_data(as_text=True)
    from tests.triage.console.support import form_token

    response = browser.client.post("/login", base_url="https://localhost", data={
        "csrf": form_token(page), "username": "admin", "passphrase": ADMIN_PASSPHRASE, "code": "", "locale": "en"})
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie


def test_a_cookie_without_its_key_opens_nothing(admin: Browser) -> None:
    sid, _, key = _cookie(admin).partition(".")
    for forged in (sid, f"{sid}.", f"{sid}.{base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip('=')}"):
        admin.client.set_cookie(COOKIE, forged)
        assert admin.client.get("/").headers["Location"] == "/login"


def test_the_database_row_alone_opens_nothing(rt: Runtime, app: Flask, admin: Browser, clock: FakeClock) -> None:
    # Given an insider who can write the database and holds a session of their own
    add_member(rt, "mole", "labour")
    mole = Browser(app.test_client(), clock, username="mole")
    mole.enrol()
    mole_id = _mole_id(rt)
    with rt.db.begin() as conn:
        admin_row = next(r for r in conn.execute(select(_S)) if r.staff_id != mole_id)
        # When they copy the admin's sealed keys into their own session row
        conn.execute(update(_S).where(_S.c.staff_id == mole_id).values(sealed=admin_row.sealed,
                                                                       staff_id=admin_row.staff_id))
    # Then their cookie's key does not open it: they are logged out, not logged in as the admin
    assert mole.client.get("/").headers["Location"] == "/login"
    assert admin.client.get("/").status_code == 200
    with rt.db.connect() as conn:
        stored = b"".join(bytes(r.sealed) + bytes(r.id_hash) for r in conn.execute(select(_S)))
    assert _cookie(admin).split(".")[0].encode() not in stored and ADMIN_PASSPHRASE.encode() not in stored


def _mole_id(rt: Runtime) -> str:
    from storage.keys import staff_id_of

    with rt.db.connect() as conn:
        return staff_id_of(conn, "mole")


def test_logout_everywhere_ends_every_session_of_the_member(app: Flask, admin: Browser, clock: FakeClock) -> None:
    other = Browser(app.test_client(), clock, secret=admin.secret)
    clock.advance(30)
    assert other.login() == (303, "/")
    admin.client.post("/logout", data={"csrf": admin.token(), "everywhere": "1"})
    assert other.client.get("/").headers["Location"] == "/login"
    assert admin.client.get("/").headers["Location"] == "/login"


def test_audit_log_still_verifies_after_console_activity(rt: Runtime, admin: Browser) -> None:
    with rt.db.connect() as conn:
        assert audit_log.verify(conn, secrets=rt.secrets).ok
