"""The JSON API: bearer tokens from passphrase + second factor, the queue, pull, read, release,
logout; JSON errors with the right status; no cookie accepted; another partner's tip is 404."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from storage.tables import AuditEntry
from tests.factories import ADMIN, FakeClock, table_of
from tests.triage.console.api_support import api_login, call, conforms, fresh, token_of
from tests.triage.console.support import DANGER_TIP, LABOUR_TIP, Browser, add_member, give_tips
from tipline.runtime import Runtime
from triage.console.auth import USER_LIMIT
from triage.console.web import COOKIE


def _actions(rt: Runtime) -> list[tuple[str, str]]:
    t = table_of(AuditEntry)
    with rt.db.connect() as conn:
        return [(r.actor, r.action) for r in conn.execute(select(t).order_by(t.c.seq))]


def test_a_token_lists_pulls_reads_and_releases(rt: Runtime, admin: Browser, clock: FakeClock) -> None:
    give_tips(rt, clock, LABOUR_TIP, DANGER_TIP)
    status, body = api_login(admin)
    assert status == 201 and body["token_type"] == "Bearer" and body["expires_in"] == 15 * 60
    conforms("Token", body)
    client, token = fresh(admin), body["token"]
    status, queue = call(client, "GET", "/api/v1/queue", token)
    assert status == 200 and [i["priority"] for i in queue["items"]] == ["P1", "P2"]
    conforms("Queue", queue)
    # A POST with a bearer token needs no form token (CSRF does not apply: no cookie is accepted).
    status, pulled = call(client, "POST", "/api/v1/next", token)
    assert status == 200 and pulled["claim"]["tip_id"] == queue["items"][0]["tip_id"]
    conforms("Pulled", pulled)
    status, tip = call(client, "GET", f"/api/v1/tips/{pulled['claim']['tip_id']}", token)
    assert status == 200 and tip["claim"]["mine"] and tip["reporter_language"] == "English"
    assert tip["answers"][0]["question"] == "Is anyone in danger right now?"
    conforms("Tip", tip)
    status, released = call(client, "POST", f"/api/v1/tips/{tip['tip_id']}/release", token)
    assert (status, released) == (200, {"released": True, "tip_id": tip["tip_id"]})
    status, again = call(client, "POST", f"/api/v1/tips/{tip['tip_id']}/release", token)
    assert status == 409 and "do not hold" in again["error"]["message"]
    conforms("Error", again)
    assert {(ADMIN, "api_login"), (ADMIN, "claim"), (ADMIN, "open_tip"), (ADMIN, "release")} <= set(_actions(rt))


def test_a_tip_shows_options_and_the_reporters_words_in_the_tokens_language(
    rt: Runtime, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    status, body = api_login(admin, locale="es")
    client, token = fresh(admin), body["token"]
    (item,) = call(client, "GET", "/api/v1/queue", token)[1]["items"]
    tip = call(client, "GET", f"/api/v1/tips/{item['tip_id']}", token)[1]
    assert tip["locale"] == "es" and tip["reporter_language"] == "inglés"
    words = [a for a in tip["answers"] if a["words"]]
    assert words and "passports \x1b[2J" in words[0]["words"]  # as written
    assert "passports \\x1b[2J \\u202eevil" in words[0]["words_shown"]  # safe to display
    assert any(a["choices"] for a in tip["answers"])
    english = call(client, "GET", f"/api/v1/tips/{item['tip_id']}?locale=en", token)[1]
    assert english["reporter_language"] == "English" and english["answers"] != tip["answers"]
    status, refused = call(client, "GET", f"/api/v1/tips/{item['tip_id']}?locale=xx", token)
    assert status == 422 and "en, es" in refused["error"]["message"]


def test_wrong_logins_are_refused_then_throttled(admin: Browser) -> None:
    for _ in range(USER_LIMIT):
        status, body = api_login(admin, code="000000")
        assert status == 401 and "Nothing was opened" in body["error"]["message"]
    assert api_login(admin)[0] == 429  # the right code too, until the window ends
    admin.clock.advance(15 * 60 + 1)
    assert api_login(admin)[0] == 201


def test_a_member_without_a_second_factor_is_sent_to_the_console(rt: Runtime, app: Flask, clock: FakeClock) -> None:
    add_member(rt, "newcomer", "labour")
    newcomer = Browser(app.test_client(), clock, username="newcomer")
    status, body = api_login(newcomer, code="123456")
    assert status == 403 and "/login" in body["error"]["message"]
    assert ("newcomer", "api_login_unenrolled") in _actions(rt)


def test_cookies_are_not_accepted_and_tokens_are_not_cookies(admin: Browser) -> None:
    # The browser's session cookie does not open the API, and a POST without a token is a JSON 401.
    assert call(admin.client, "GET", "/api/v1/queue")[0] == 401
    status, body = call(admin.client, "POST", "/api/v1/next")
    assert status == 401 and "Bearer" in body["error"]["message"]
    cookie = admin.client.get_cookie(COOKIE)
    assert cookie is not None
    assert call(fresh(admin), "GET", "/api/v1/queue", cookie.value)[0] == 401
    token = token_of(admin)
    stranger = fresh(admin)
    stranger.set_cookie(COOKIE, token)
    assert stranger.get("/").headers["Location"] == "/login"


def test_a_token_ends_when_idle_and_after_fifteen_minutes(admin: Browser, clock: FakeClock) -> None:
    client, token = fresh(admin), token_of(admin)
    clock.advance(5 * 60 + 1)
    status, body = call(client, "GET", "/api/v1/queue", token)
    assert status == 401 and "expired" in body["error"]["message"]
    token = token_of(admin)
    for _ in range(3):  # busy: a request every 4 minutes
        clock.advance(4 * 60)
        assert call(client, "GET", "/api/v1/queue", token)[0] == 200
    clock.advance(4 * 60)  # 16 minutes after login
    assert call(client, "GET", "/api/v1/queue", token)[0] == 401


def test_logout_ends_the_token_and_everywhere_ends_the_browser_too(admin: Browser) -> None:
    client, token = fresh(admin), token_of(admin)
    assert call(client, "POST", "/api/v1/logout", token) == (200, {"logged_out": True, "everywhere": False})
    assert call(client, "GET", "/api/v1/queue", token)[0] == 401
    assert admin.client.get("/").status_code == 200
    token = token_of(admin)
    status, body = call(client, "POST", "/api/v1/logout", token, json={"everywhere": True})
    assert (status, body["everywhere"]) == (200, True)
    assert admin.client.get("/").headers["Location"] == "/login"


def test_another_partners_member_gets_404_for_the_tip(rt: Runtime, app: Flask, clock: FakeClock) -> None:
    give_tips(rt, clock, LABOUR_TIP)  # not routed to child protection
    add_member(rt, "cp", "child")
    outsider = Browser(app.test_client(), clock, username="cp")
    outsider.enrol()
    client, token = fresh(outsider), token_of(outsider)
    assert call(client, "GET", "/api/v1/queue", token)[1]["items"] == []
    with rt.db.connect() as conn:
        from storage.tips import list_tips

        (tip_id,) = [t.id for t in list_tips(conn)]
    missing = call(client, "GET", "/api/v1/tips/0123456789abcdef0123456789abcdef", token)
    assert call(client, "GET", f"/api/v1/tips/{tip_id}", token) == missing
    assert missing[0] == 404
    assert call(client, "POST", f"/api/v1/tips/{tip_id}/release", token)[0] == 404
    assert call(client, "POST", "/api/v1/next", token)[1]["claim"] is None
    assert ("cp", "open_tip") not in _actions(rt)


def test_bad_requests_get_clear_json_errors(admin: Browser) -> None:
    client = fresh(admin)
    status, body = call(client, "POST", "/api/v1/login", data="username=admin")
    assert status == 422 and "JSON object" in body["error"]["message"]
    status, body = call(client, "POST", "/api/v1/login", json={"username": "admin", "code": 123456})
    assert status == 422 and body["error"]["message"].endswith("passphrase, code.")
    status, body = call(client, "POST", "/api/v1/login", json={"username": "admin", "passphrase": "x" * 12,
                                                                  "code": "123456", "locale": "zz"})
    assert status == 422 and "locale" in body["error"]["message"]
    assert call(client, "GET", "/api/v1/nothing-here")[0] == 404
    assert call(client, "GET", "/api/v1/login")[0] == 405
    assert call(client, "POST", "/api/v1/login", data="x" * 70_000, content_type="application/json")[0] == 413
    deep = '{"a":' * 9_000 + "1" + "}" * 9_000  # under the size limit, past the parser's depth
    status, body = call(client, "POST", "/api/v1/login", data=deep, content_type="application/json")
    assert status == 422 and "JSON object" in body["error"]["message"]
    status, body = call(client, "POST", "/api/v1/login", json={"username": "ad\x00min", "passphrase": "x" * 12,
                                                                  "code": "123456"})
    assert status == 422 and "NUL" in body["error"]["message"]
    token = token_of(admin)
    for odd in ("%00", "x" * 65, "a%20b", "%C3%A9t%C3%A9"):
        assert call(client, "GET", f"/api/v1/tips/{odd}", token)[0] == 404
        assert call(client, "POST", f"/api/v1/tips/{odd}/release", token)[0] == 404
    status, body = call(client, "GET", "/api/v1/queue", "not-a-token")
    assert status == 401
    conforms("Error", body)


def test_the_database_holds_neither_the_token_nor_the_keys_it_opens(rt: Runtime, admin: Browser) -> None:
    import base64

    from storage import keys
    from storage.staff_tables import StaffSession
    from tests.factories import ADMIN_PASSPHRASE

    token = token_of(admin)
    with rt.db.connect() as conn:
        private = keys.unlock(conn, username=ADMIN, passphrase=ADMIN_PASSPHRASE, secrets=rt.secrets,
                              kdf=rt.settings.staff_kdf).private
        rows = [b"|".join(str(v).encode() if not isinstance(v, bytes) else v for v in row)
                for row in conn.execute(select(table_of(StaffSession)))]
    stored = b"\n".join(rows)
    assert len(rows) == 2  # the browser's session and the token
    for part in token.split("."):
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        assert part.encode() not in stored and raw not in stored
    assert private not in stored and private.hex().encode() not in stored


def test_a_nul_in_the_login_forms_username_is_a_refusal_not_an_error(admin: Browser) -> None:
    admin.client.post("/logout", data={"csrf": admin.token()})
    browser = Browser(admin.client, admin.clock, username="ad\x00min")
    assert browser.login(code="123456") == (401, "")
