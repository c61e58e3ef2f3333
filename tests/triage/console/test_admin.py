"""Admin pages: members (add with the admin's passphrase again, reset a second factor), queues and keys
(create, grant, revoke with the last-holder guard, rotate), the audit log and its verification."""

from __future__ import annotations

import html

from flask import Flask
from sqlalchemy import select, update

from storage import keys
from storage.tables import AuditEntry
from tests.factories import ADMIN, ADMIN_PASSPHRASE, FakeClock, table_of
from tests.triage.console.support import Browser, add_member
from tipline.runtime import Runtime

NEW_PASSPHRASE = "a brand new passphrase"
ADMIN_PAGES = ("/admin/members", "/admin/queues", "/admin/audit")


def _audit(rt: Runtime) -> list[tuple[str, str, str]]:
    t = table_of(AuditEntry)
    with rt.db.connect() as conn:
        return [(r.actor, r.action, r.subject) for r in conn.execute(select(t).order_by(t.c.seq))]


def _text(browser: Browser, path: str) -> str:
    return html.unescape(browser.client.get(path).get_data(as_text=True))


def _add(admin: Browser, username: str, *, admin_passphrase: str = ADMIN_PASSPHRASE, again: str = NEW_PASSPHRASE,
         queues: tuple[str, ...] = ()) -> tuple[int, str]:
    response = admin.client.post("/admin/members", data={
        "csrf": admin.token("/admin/members"), "username": username, "passphrase": NEW_PASSPHRASE,
        "passphrase_again": again, "queue": list(queues), "admin_passphrase": admin_passphrase})
    return response.status_code, html.unescape(response.get_data(as_text=True))


def _post(admin: Browser, path: str, **data: str) -> tuple[int, str]:
    response = admin.client.post(path, data={"csrf": admin.token("/admin/queues"), **data})
    if response.status_code == 303:
        return 303, _text(admin, response.headers["Location"])
    return response.status_code, html.unescape(response.get_data(as_text=True))


def test_only_admins_reach_the_admin_pages(rt: Runtime, app: Flask, admin: Browser, clock: FakeClock) -> None:
    add_member(rt, "worker", "labour")
    worker = Browser(app.test_client(), clock, username="worker")
    worker.enrol()
    for path in ADMIN_PAGES:
        assert admin.client.get(path).status_code == 200
        assert worker.client.get(path).status_code == 403
    token = worker.token()
    for path in ("/admin/members", "/admin/queues", "/admin/queues/labour/rotate",
                 "/admin/members/admin/second-factor"):
        assert worker.client.post(path, data={"csrf": token, "name": "x"}).status_code == 403
    assert "Members" in _text(admin, "/") and "Members" not in _text(worker, "/")
    assert not [a for a in _audit(rt) if a[0] == "worker" and a[1] not in {"login_enrol", "totp_enrol"}]


def test_adding_a_member_needs_the_admins_passphrase_again(rt: Runtime, app: Flask, admin: Browser,
                                                           clock: FakeClock) -> None:
    status, page = _add(admin, "nadia", admin_passphrase="not my passphrase")
    assert status == 401 and "not your passphrase" in page and "nadia" not in _text(admin, "/admin/members")
    assert (ADMIN, "reconfirm_failed", "") in _audit(rt)
    assert _add(admin, "nadia", again="something else")[0] == 422
    status, page = _add(admin, "nadia", queues=("labour", "ngo"))
    assert status == 303
    members = _text(admin, "/admin/members")
    assert "nadia" in members and "not set up: next login enrols" in members
    assert [(ADMIN, "staff_add", "nadia"), (ADMIN, "grant", "nadia:labour"), (ADMIN, "grant", "nadia:ngo")] == [
        a for a in _audit(rt) if a[2].startswith("nadia")]
    nadia = Browser(app.test_client(), clock, username="nadia", passphrase=NEW_PASSPHRASE)
    nadia.enrol()
    assert "Your queues: labour, ngo." in _text(nadia, "/")
    status, page = _add(admin, "nadia")
    assert status == 409 and "already exists" in page


def test_a_weak_passphrase_is_refused_with_what_to_do(admin: Browser) -> None:
    response = admin.client.post("/admin/members", data={
        "csrf": admin.token("/admin/members"), "username": "short", "passphrase": "too short",
        "passphrase_again": "too short", "admin_passphrase": ADMIN_PASSPHRASE})
    assert response.status_code == 422
    assert "at least 10 characters" in response.get_data(as_text=True)


def test_resetting_a_second_factor_ends_sessions_and_sends_the_next_login_to_enrolment(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    add_member(rt, "worker", "labour")
    worker = Browser(app.test_client(), clock, username="worker")
    worker.enrol()
    assert worker.client.get("/").status_code == 200
    status, page = _post(admin, "/admin/members/worker/second-factor")
    assert status == 303 and "second factor of worker was reset" in page
    assert worker.client.get("/").headers["Location"] == "/login"  # the session ended
    assert worker.login(code="") == (303, "/enrol")  # the old code is not asked for: a new enrolment
    enrol_page = worker.client.get("/enrol").get_data(as_text=True)
    assert "<svg" in enrol_page and "QR code" in enrol_page
    assert (ADMIN, "totp_reset", "worker") in _audit(rt)
    assert _post(admin, "/admin/members/nobody/second-factor")[0] == 404


def test_queues_are_created_granted_revoked_and_rotated(rt: Runtime, app: Flask, admin: Browser,
                                                        clock: FakeClock) -> None:
    add_member(rt, "worker", "labour")
    status, page = _post(admin, "/admin/queues", name="shelter", title="Shelter partners")
    assert status == 303 and "Queue shelter was created" in page and "Shelter partners" in page
    assert _post(admin, "/admin/queues", name="shelter")[0] == 409
    status, page = _post(admin, "/admin/queues", name="bad\x00name")
    assert status == 422 and "control characters" in page
    assert _post(admin, "/admin/queues", name="long-title", title="t" * 129)[0] == 422
    assert _post(admin, "/admin/members/no%00body/second-factor")[0] == 422
    assert _post(admin, "/admin/queues/shelter/grant", member="worker")[0] == 303
    with rt.db.connect() as conn:
        worker_id = keys.staff_id_of(conn, "worker")
        assert "shelter" in keys.member_queues(conn, worker_id)
        old_key = keys.current_public_keys(conn, ["shelter"])[0][1]
    status, page = _post(admin, "/admin/queues/shelter/rotate")
    assert status == 303 and "now seals new tips to a new key" in page
    with rt.db.connect() as conn:
        new_key = keys.current_public_keys(conn, ["shelter"])[0][1]
        assert new_key != old_key and "shelter" in keys.member_queues(conn, worker_id)  # the holder got the new key
    assert _post(admin, "/admin/queues/shelter/revoke", member="worker")[0] == 303
    assert [a[1:] for a in _audit(rt) if "shelter" in a[2]] == [
        ("queue_add", "shelter"), ("grant", "worker:shelter"), ("rotate", "shelter"), ("revoke", "worker:shelter")]


def test_revoking_the_last_holder_asks_for_the_queues_name(rt: Runtime, admin: Browser) -> None:
    _post(admin, "/admin/queues", name="solo")
    status, page = _post(admin, "/admin/queues/solo/revoke", member=ADMIN)
    assert status == 409 and "last holder" in page and "Nothing was revoked" in page
    assert 'name="lose_queue"' in page
    assert _post(admin, "/admin/queues/solo/revoke", member=ADMIN, lose_queue="wrong")[0] == 422
    with rt.db.connect() as conn:
        assert "solo" in keys.member_queues(conn, keys.staff_id_of(conn, ADMIN))
    assert _post(admin, "/admin/queues/solo/revoke", member=ADMIN, lose_queue="solo")[0] == 303
    assert (ADMIN, "revoke_last", f"{ADMIN}:solo") in _audit(rt)


def test_a_queue_the_admin_does_not_hold_cannot_be_granted(rt: Runtime, admin: Browser) -> None:
    with rt.db.begin() as conn:
        keys.create_queue(conn, name="sealed-off", title="", now=0.0)  # its key granted to nobody
    status, page = _post(admin, "/admin/queues/sealed-off/grant", member=ADMIN)
    assert status == 403 and "do not hold that queue's key" in page
    assert _post(admin, "/admin/queues/nowhere/rotate")[0] == 404


def test_the_audit_page_shows_entries_and_their_verification(rt: Runtime, admin: Browser) -> None:
    page = _text(admin, "/admin/audit")
    assert "Verified: the chain of all" in page and "totp_enrol" in page
    head = page.split('<code class="head">')[1].split("<")[0]
    assert "nothing after the head you gave was cut" in _text(admin, f"/admin/audit?head={head}")
    assert "That is not an audit head" in _text(admin, "/admin/audit?head=nonsense")
    t = table_of(AuditEntry)
    with rt.db.begin() as conn:
        conn.execute(update(t).where(t.c.seq == 1).values(actor="mallory"))
    page = _text(admin, "/admin/audit")
    assert "Verification FAILED (edited)" in page and "audit entry 1 does not match" in page


def test_admin_forms_need_their_token(admin: Browser) -> None:
    response = admin.client.post("/admin/queues", data={"name": "nope"})
    assert response.status_code == 400
    assert "nope" not in _text(admin, "/admin/queues")
