"""Referral (issue 12): sealed anew to the other queue, nothing lost, decision 8, child protection receipts."""

from __future__ import annotations

import html
import re

from flask import Flask

from storage import referrals
from tests.factories import ADMIN, FakeClock, Reporter, service_with_clock
from tests.test_no_plaintext import _database_bytes
from tests.triage.console.casework_support import (
    CHILD_TIP, SELF_REPORT_IN_DANGER, SELF_REPORT_NO_CONSENT, add_queue, audit, envelope_queues, error_of, member,
    page_of, post, routing_with, tip_ids,
)
from tests.triage.console.support import LABOUR_TIP, Browser, console_app, give_tips
from tipline.runtime import Runtime
from triage.routing_file import QueueSpec

CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")


def test_referral_seals_the_tip_and_its_notes_anew_for_the_other_queue(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP)  # routed to triage, ngo, labour
    (tip_id,) = tip_ids(rt)
    ngo = member(rt, app, clock, "ngo1", "ngo")
    police = member(rt, app, clock, "cop1", "police")
    assert police.client.get(f"/tips/{tip_id}").status_code == 404
    post(ngo, tip_id, "note", words="Spoke to the shelter PANGOLINNOTE")
    before = envelope_queues(rt, tip_id)
    status, where = post(ngo, tip_id, "refer", queue="police", reason="Passports held: PANGOLINWHY")
    assert (status, where) == (303, f"/tips/{tip_id}?done=referred")
    after = envelope_queues(rt, tip_id)
    assert after == {**before, "police": {1}}  # the old queues keep everything they had
    page = police.client.get(f"/tips/{tip_id}").get_data(as_text=True)
    assert "passports" in page and "PANGOLINNOTE" in page and "Referred to police: Passports held: PANGOLINWHY" in page
    assert "tamper" not in page.lower()  # the referral's envelopes joined the metadata MAC
    assert "Open <span" in police.client.get("/").get_data(as_text=True)  # in the police queue now
    ngo_page = page_of(ngo, tip_id)
    assert "PANGOLINNOTE" in ngo_page and "PANGOLINWHY" in ngo_page and "referred" in ngo_page
    assert "ngo1 shared version 1 (1 note) with police" in html.unescape(ngo_page)
    with rt.db.connect() as conn:
        [record] = referrals.of_tip(conn, tip_id)
    assert (record.by, record.to_queue, record.versions, record.notes, record.override) == \
        ("ngo1", "police", (1,), 1, None)
    assert ("ngo1", "refer", tip_id) in audit(rt)
    assert b"PANGOLIN" not in _database_bytes(rt)
    outsider = member(rt, app, clock, "cp1", "child")
    assert outsider.client.get(f"/tips/{tip_id}").status_code == 404
    assert post(outsider, tip_id, "refer", queue="child", reason="x")[0] == 404
    assert "Choose a queue" in error_of(post(ngo, tip_id, "refer", queue="police", reason="again")[1])
    assert "Write why" in error_of(post(ngo, tip_id, "refer", queue="child", reason=" ")[1])


def test_an_adult_self_report_without_consent_goes_to_no_police_or_ngo_queue(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, SELF_REPORT_NO_CONSENT)  # triage only
    (tip_id,) = tip_ids(rt)
    status, page = post(admin, tip_id, "refer", queue="police", reason="they should know", override="danger")
    assert status == 409 and "decision 8" in error_of(page) and "no danger or child override" in error_of(page)
    assert "police" not in envelope_queues(rt, tip_id)
    # the reporter said No to organizations too: the routing withheld ngo, so does a referral
    status, page = post(admin, tip_id, "refer", queue="ngo", reason="victim services")
    assert status == 409 and "did not agree to ngo queues" in error_of(page)
    assert "ngo" not in envelope_queues(rt, tip_id)
    assert post(admin, tip_id, "refer", queue="triage", reason="second look")[0] in (303, 409)
    assert not [a for a in audit(rt) if a[1].startswith("refer_override")]
    # Each refusal is on record (who, which tip, which kind), and in the tip's history.
    refused = [a for a in audit(rt) if a[1].startswith("refer_refused_")]
    assert refused == [(admin.username, "refer_refused_police", tip_id), (admin.username, "refer_refused_ngo", tip_id)]
    assert "was refused a referral to police (decision 8)" in page_of(admin, tip_id)


def test_a_queue_the_routing_file_does_not_know_counts_as_police(
    rt: Runtime, admin: Browser, clock: FakeClock
) -> None:
    add_queue(rt, "task_force_b")
    give_tips(rt, clock, SELF_REPORT_NO_CONSENT)
    (tip_id,) = tip_ids(rt)
    status, page = post(admin, tip_id, "refer", queue="task_force_b", reason="x")
    assert status == 409 and "decision 8" in error_of(page)


def test_a_danger_override_needs_naming_and_is_audited(rt: Runtime, clock: FakeClock) -> None:
    add_queue(rt, "police_east")  # a second police queue the tip was not routed to
    app = console_app(rt, clock, routing=routing_with(rt, QueueSpec("police_east", "East", "police")))
    admin = Browser(app.test_client(), clock)
    admin.enrol()
    give_tips(rt, clock, SELF_REPORT_IN_DANGER)
    (tip_id,) = tip_ids(rt)
    assert "police" in envelope_queues(rt, tip_id)  # danger routed it there (mandated)
    status, page = post(admin, tip_id, "refer", queue="police_east", reason="danger now")
    assert status == 409 and "Name the override that applies (danger)" in error_of(page)
    assert post(admin, tip_id, "refer", queue="police_east", reason="danger now", override="child")[0] == 409
    assert post(admin, tip_id, "refer", queue="police_east", reason="danger now", override="danger")[0] == 303
    assert (ADMIN, "refer_override_danger", tip_id) in audit(rt)
    assert "decision 8 override: danger" in page_of(admin, tip_id)


def test_a_possible_minor_closes_only_after_child_protection_received_it(rt: Runtime, clock: FakeClock) -> None:
    # This deployment's child protection is "cp_east"; the tip was routed to a "child" queue of another kind.
    add_queue(rt, "cp_east")
    routing = routing_with(rt, QueueSpec("cp_east", "CP East", "child_protection"), rekind={"child": "ngo"})
    app = console_app(rt, clock, routing=routing)
    admin = Browser(app.test_client(), clock)
    admin.enrol()
    give_tips(rt, clock, CHILD_TIP, CHILD_TIP)
    first, second = tip_ids(rt)
    assert "<strong>has not received it</strong>" in page_of(admin, first)
    status, page = post(admin, first, "close", reason="actioned", words="")
    assert status == 409 and "child protection has not received this tip" in error_of(page)
    assert post(admin, first, "refer", queue="cp_east", reason="a minor")[0] == 303
    assert "(referred to cp_east)" in page_of(admin, first)
    assert post(admin, first, "close", reason="actioned", words="")[0] == 303
    # Or a member records, with a reason, that no minor is involved.
    assert post(admin, second, "no-minor", words="")[0] == 409
    assert post(admin, second, "no-minor", words="The girl is the owner's adult niece")[0] == 303
    assert post(admin, second, "close", reason="not_trafficking", words="")[0] == 303
    assert (ADMIN, "no_minor", second) in audit(rt)


def test_routing_to_child_protection_counts_as_received(rt: Runtime, admin: Browser, clock: FakeClock) -> None:
    give_tips(rt, clock, CHILD_TIP)
    (tip_id,) = tip_ids(rt)
    assert "(routed to child)" in page_of(admin, tip_id)
    assert post(admin, tip_id, "close", reason="actioned", words="")[0] == 303


def test_what_the_reporter_adds_after_a_referral_reaches_the_other_queue(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    service = service_with_clock(rt, clock)
    reporter = Reporter(service, "+15550100")
    for line in LABOUR_TIP:
        reporter.send(line)
    code = CODE.search(reporter.last)
    assert code is not None
    (tip_id,) = tip_ids(rt)
    police = member(rt, app, clock, "cop1", "police")
    assert post(admin, tip_id, "refer", queue="police", reason="passports")[0] == 303
    page_of(police, tip_id)
    other = Reporter(service, "+15550199")
    for line in (code.group(), "They moved the workers to the quarry", "DONE"):
        other.send(line)
    assert envelope_queues(rt, tip_id)["police"] == {1, 2}
    assert "new information" in police.client.get("/").get_data(as_text=True)
    assert "moved the workers to the quarry" in page_of(police, tip_id)


def test_two_members_referring_at_once_make_one_referral(rt: Runtime, app: Flask, clock: FakeClock) -> None:
    import threading

    give_tips(rt, clock, LABOUR_TIP)
    (tip_id,) = tip_ids(rt)
    members = [member(rt, app, clock, f"ngo{n}", "ngo") for n in range(2)]
    tokens = [m.token(f"/tips/{tip_id}") for m in members]
    barrier = threading.Barrier(len(members))
    statuses: list[int] = []

    def refer(n: int) -> None:
        barrier.wait()
        response = members[n].client.post(f"/tips/{tip_id}/refer",
                                          data={"csrf": tokens[n], "queue": "police", "reason": f"from {n}"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=refer, args=(n,)) for n in range(len(members))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [303, 409]
    with rt.db.connect() as conn:
        assert len(referrals.of_tip(conn, tip_id)) == 1
    assert envelope_queues(rt, tip_id)["police"] == {1}



PASSPORT = "My boss took my passport and I owe him a debt I can never pay"
# Not safe to text after the passport words; back later, safe now, on to what would help.
BACK_AFTER_NOT_SAFE = ["hi", "2", "2", PASSPORT, "2", "ok he is gone now", "1", "3", "DONE"]


def test_a_referral_after_coming_back_shares_what_was_given_before_not_safe_to_text(
    rt: Runtime, clock: FakeClock
) -> None:
    add_queue(rt, "ngo_east")  # a second organization: no consent was asked (V6 absent), ngo queues may have it
    app = console_app(rt, clock, routing=routing_with(rt, QueueSpec("ngo_east", "East", "ngo")))
    admin = Browser(app.test_client(), clock)
    admin.enrol()
    give_tips(rt, clock, BACK_AFTER_NOT_SAFE)
    (tip_id,) = tip_ids(rt)
    east = member(rt, app, clock, "east1", "ngo_east")
    assert PASSPORT in html.unescape(page_of(admin, tip_id))
    status, where = post(admin, tip_id, "refer", queue="ngo_east", reason="shelter space")
    assert (status, where) == (303, f"/tips/{tip_id}?done=referred"), error_of(where)
    page = html.unescape(page_of(east, tip_id))
    assert PASSPORT in page and "ok he is gone now" in page and "No, someone may see" in page
