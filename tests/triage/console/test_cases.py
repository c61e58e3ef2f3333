"""Casework on the console (issue 12): statuses, notes, links, holds, new information, history."""

from __future__ import annotations

import html
import re

from flask import Flask

from tests.factories import ADMIN, FakeClock, Reporter, service_with_clock
from tests.test_no_plaintext import _database_bytes
from tests.triage.console.casework_support import audit, error_of, member, page_of, post, tip_ids
from tests.triage.console.support import LABOUR_TIP, Browser, give_tips
from tipline.runtime import Runtime

CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")


def _pull(browser: Browser) -> str:
    where = browser.client.post("/next", data={"csrf": browser.token()}).headers["Location"]
    return where.rsplit("/", 1)[1]


def test_status_moves_are_validated_audited_and_shown_in_the_queue(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    tip_id = _pull(admin)
    assert "claimed" in admin.client.get("/").get_data(as_text=True)
    assert post(admin, tip_id, "status", status="in_review") == (303, f"/tips/{tip_id}?done=status")
    assert '<td class="case-status">in review' in admin.client.get("/").get_data(as_text=True)
    status, page = post(admin, tip_id, "status", status="in_review")
    assert status == 409 and error_of(page) == "The case is already in review."
    assert post(admin, tip_id, "status", status="closed")[0] == 409  # closing has its own form, with a reason
    # No reason is preselected: a member who just presses "Close the case" must choose one first.
    form = page_of(admin, tip_id).split('id="close-reason"', 1)[1].split("</select>", 1)[0]
    assert 'name="reason" required><option value="" selected disabled>choose a reason</option>' in form
    assert form.count("selected") == 1
    for reason in ("made-up", ""):
        status, page = post(admin, tip_id, "close", reason=reason)
        assert status == 409 and "Choose why the case closes" in error_of(page)
    assert post(admin, tip_id, "close", reason="insufficient", words="")[0] == 303
    status, page = post(admin, tip_id, "status", status="waiting")
    assert status == 409 and "closed cannot become waiting" in error_of(page)
    page = page_of(admin, tip_id)
    assert "closed: Not enough information to act" in html.unescape(page)
    actions = [(a, s) for _, a, s in audit(rt) if a.startswith("status_")]
    assert actions == [("status_in_review", tip_id), ("status_closed", tip_id)]
    # A closed case is not pulled again, once the claim is given back.
    admin.client.post(f"/tips/{tip_id}/release", data={"csrf": admin.token(f"/tips/{tip_id}")})
    assert admin.client.post("/next", data={"csrf": admin.token()}).headers["Location"].endswith("note=empty")
    assert post(admin, tip_id, "status", status="in_review")[0] == 303  # reopening is allowed


def test_another_members_claim_blocks_status_changes(rt: Runtime, app: Flask, admin: Browser,
                                                     clock: FakeClock) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    ngo = member(rt, app, clock, "ngo1", "ngo")
    tip_id = _pull(ngo)
    status, page = post(admin, tip_id, "status", status="in_review")
    assert status == 409 and "Another member holds this tip" in error_of(page)


def test_notes_are_sealed_listed_in_order_with_author_and_kept_from_other_partners(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    (tip_id,) = tip_ids(rt)
    ngo = member(rt, app, clock, "ngo1", "ngo")
    assert post(ngo, tip_id, "note", words="First WOMBATNOTE1 call the shelter")[0] == 303
    clock.advance(60)
    assert post(admin, tip_id, "note", words="Second WOMBATNOTE2 <b>bold</b>")[0] == 303
    assert post(admin, tip_id, "note", words="   ")[0] == 409
    page = page_of(admin, tip_id)
    first, second = page.index("WOMBATNOTE1"), page.index("WOMBATNOTE2")
    assert first < second and "&lt;b&gt;bold&lt;/b&gt;" in page
    notes = page.split('<ol class="notes"')[1].split("</ol>")[0]
    assert notes.index("ngo1") < notes.index("admin")
    assert b"WOMBATNOTE" not in _database_bytes(rt)  # sealed, on both backends
    outsider = member(rt, app, clock, "cp", "child")  # a labour tip is not routed to child protection
    assert post(outsider, tip_id, "note", words="x")[0] == 404
    assert outsider.client.get(f"/tips/{tip_id}").status_code == 404
    assert [a for a in audit(rt) if a[1] == "note"] == [("ngo1", "note", tip_id), (ADMIN, "note", tip_id)]


def test_links_show_both_ways_and_duplicates_link_to_the_original(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP, LABOUR_TIP, LABOUR_TIP)
    one, two, three = tip_ids(rt)
    assert post(admin, one, "link", other=two[:10])[0] == 303
    assert f"/tips/{one}" in page_of(admin, two) and f"/tips/{two}" in page_of(admin, one)
    assert "already" in error_of(post(admin, two, "link", other=one)[1])
    assert "this tip" in error_of(post(admin, one, "link", other=one)[1])
    assert post(admin, one, "link", other="zz")[0] == 409
    assert post(admin, three, "duplicate", other=one)[0] == 303
    page = page_of(admin, three)
    assert "duplicate of" in html.unescape(page) and f"/tips/{one}" in page
    assert f"/tips/{three}" in page_of(admin, one)
    # Casework is metadata under the tip MAC: the line's own changes never read as tampering
    assert all("tampering" not in page_of(admin, t).lower() for t in (one, two, three))


def test_legal_hold_is_stored_shown_and_audited(rt: Runtime, app: Flask, admin: Browser, clock: FakeClock) -> None:
    from storage import cases

    give_tips(rt, clock, LABOUR_TIP)
    (tip_id,) = tip_ids(rt)
    assert post(admin, tip_id, "hold", hold="on")[0] == 303
    assert "<strong>on</strong> (kept from retention)" in page_of(admin, tip_id)
    assert "tampering" not in page_of(admin, tip_id).lower()
    assert post(admin, tip_id, "hold", hold="on")[0] == 409
    with rt.db.connect() as conn:
        assert cases.held_tips(conn) == [tip_id]
    assert post(admin, tip_id, "hold", hold="off")[0] == 303
    assert [a[1] for a in audit(rt) if a[1].startswith("legal_hold")] == ["legal_hold_on", "legal_hold_off"]


def test_new_information_shows_until_the_member_opens_the_tip_again(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    service = service_with_clock(rt, clock)
    reporter = Reporter(service, "+15550100")
    for line in LABOUR_TIP:
        reporter.send(line)
    code = CODE.search(reporter.last)
    assert code is not None
    (tip_id,) = tip_ids(rt)
    ngo = member(rt, app, clock, "ngo1", "ngo")
    page_of(ngo, tip_id)
    assert "new information" not in ngo.client.get("/").get_data(as_text=True)
    other_phone = Reporter(service, "+15550199")
    for line in (code.group(), "The van is white and has no plates", "DONE"):
        other_phone.send(line)
    queue = ngo.client.get("/").get_data(as_text=True)
    assert "new information" in queue
    assert "new information" not in admin.client.get("/").get_data(as_text=True)  # the admin never opened it
    page = page_of(ngo, tip_id)
    assert "New information" in page and "The van is white" in page
    # At the top of the page, before the answers, with a link to what was added (triage trial: it sat
    # at the foot of the case section, 2,600 px down)
    assert page.index("New information") < page.index("<h2")
    last = page[page.index("New information"):].split('href="#', 1)[1].split('"', 1)[0]
    assert f'id="{last}"' in page and page.index(f'id="{last}"') < page.index("The van is white")
    assert "new information" not in ngo.client.get("/").get_data(as_text=True)


def test_history_lists_versions_claims_notes_and_statuses_in_order(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    tip_id = _pull(admin)
    clock.advance(60)
    post(admin, tip_id, "note", words="called the shelter")
    clock.advance(60)
    post(admin, tip_id, "status", status="waiting")
    history = page_of(admin, tip_id).split('<ol class="history"')[1].split("</ol>")[0]
    steps = ["version 1 sealed", "admin claimed it", "wrote a note: <q>called the shelter",
             "set the case to waiting for the reporter"]
    at = [history.index(s) for s in steps]
    assert at == sorted(at), history
