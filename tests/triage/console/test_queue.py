"""The queue, first cut: order, leases, no double claim under concurrency, reading a tip (issue 12)."""

from __future__ import annotations

import html
import threading

import pytest

from flask import Flask
from sqlalchemy import Connection, select

from bot import load_catalogs, load_flow
from storage import claims, keys
from storage.tables import AuditEntry
from tests.factories import ADMIN, FakeClock, table_of
from tests.triage.console.support import DANGER_TIP, LABOUR_TIP, Browser, add_member, give_tips
from tipline.runtime import Runtime

ALL_QUEUES = ("child", "labour", "ngo", "police", "triage")


def _metas(rt: Runtime) -> dict[str, str]:
    """tip id -> priority."""
    from storage.tips import list_tips

    with rt.db.connect() as conn:
        return {t.id: t.priority for t in list_tips(conn)}


def _claim(rt: Runtime, staff_id: str, now: float, queues: tuple[str, ...] = ALL_QUEUES) -> claims.Claim | None:
    with rt.db.begin() as conn:
        return claims.claim_next(conn, staff_id=staff_id, queues=queues, now=now)


def _audit(rt: Runtime) -> list[tuple[str, str, str]]:
    t = table_of(AuditEntry)
    with rt.db.connect() as conn:
        return [(r.actor, r.action, r.subject) for r in conn.execute(select(t).order_by(t.c.seq))]


def test_pull_gives_p1_first_then_oldest_first(rt: Runtime, clock: FakeClock) -> None:
    give_tips(rt, clock, LABOUR_TIP, DANGER_TIP, LABOUR_TIP)
    with rt.db.connect() as conn:
        order = [i.tip_id for i in claims.queue_items(conn, queues=ALL_QUEUES, now=clock())]
    pulled = [c.tip_id for c in (_claim(rt, "s1", clock()) for _ in range(3)) if c is not None]
    priorities = _metas(rt)
    assert [priorities[t] for t in pulled] == ["P1", "P2", "P2"]
    assert pulled == order  # the page lists them in the order they are pulled
    assert _claim(rt, "s1", clock()) is None


def test_only_tips_of_the_members_queues_are_pulled(rt: Runtime, clock: FakeClock) -> None:
    give_tips(rt, clock, LABOUR_TIP)  # routed to triage, ngo, labour: not child
    assert _claim(rt, "s1", clock(), queues=("child",)) is None
    assert _claim(rt, "s1", clock(), queues=("labour",)) is not None


def test_a_claim_expires_and_p1_leases_are_shorter(rt: Runtime, clock: FakeClock) -> None:
    give_tips(rt, clock, DANGER_TIP, LABOUR_TIP)
    p1, p2 = _claim(rt, "alice", clock()), _claim(rt, "alice", clock())
    assert p1 is not None and p2 is not None
    assert p1.lease_until - clock() < p2.lease_until - clock()
    assert _claim(rt, "bob", clock()) is None  # both held
    clock.advance(p1.lease_until - clock() + 1)  # alice walked away from the urgent one
    again = _claim(rt, "bob", clock())
    assert again is not None and again.tip_id == p1.tip_id
    assert _claim(rt, "carol", clock()) is None  # the P2 lease is still running


def test_renewal_keeps_a_claim_alive(rt: Runtime, clock: FakeClock) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    held = _claim(rt, "alice", clock())
    assert held is not None
    for _ in range(3):
        clock.advance(claims.LEASE_SECONDS - 60)
        with rt.db.begin() as conn:
            assert claims.renew(conn, tip_id=held.tip_id, staff_id="alice", priority="P2", now=clock())
    assert _claim(rt, "bob", clock()) is None


def test_concurrent_claimers_never_share_a_tip(rt: Runtime, clock: FakeClock) -> None:
    give_tips(rt, clock, *([DANGER_TIP] * 4 + [LABOUR_TIP] * 2))
    claimers = 16
    barrier = threading.Barrier(claimers)
    got: list[claims.Claim | None] = []
    lock = threading.Lock()

    def pull(n: int) -> None:
        barrier.wait()
        found = _claim(rt, f"s{n}", clock())
        with lock:
            got.append(found)

    threads = [threading.Thread(target=pull, args=(n,)) for n in range(claimers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    taken = [c.tip_id for c in got if c is not None]
    assert len(got) == claimers
    assert sorted(taken) == sorted(set(taken)) and set(taken) == set(_metas(rt))  # each tip once, all taken



def test_a_pull_that_loses_many_races_still_gets_a_tip(rt: Runtime, clock: FakeClock,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Members pulling at once on PostgreSQL each lose races (the candidate read, then another member's
    claim commits before ours is written): losing a dozen in a row is no reason to say the queue is empty."""
    give_tips(rt, clock, *([LABOUR_TIP] * 12))
    take, lost = claims._take, list[str]()

    def someone_else_first(conn: Connection, *, tip_id: str, staff_id: str, now: float, lease: float) -> bool:
        if len(lost) < 11:  # another member's claim lands between our read and our write
            assert take(conn, tip_id=tip_id, staff_id="other", now=now, lease=lease)
            lost.append(tip_id)
        return take(conn, tip_id=tip_id, staff_id=staff_id, now=now, lease=lease)

    monkeypatch.setattr(claims, "_take", someone_else_first)
    got = _claim(rt, "s1", clock())
    assert got is not None and got.tip_id not in lost and len(set(lost)) == 11
    assert _claim(rt, "s2", clock()) is None  # now the queue is empty, and says so

def test_opening_a_tip_renders_questions_and_options_in_the_members_language(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    pulled = admin.client.post("/next", data={"csrf": admin.token()})
    tip_path = pulled.headers["Location"]
    english = admin.client.get(tip_path).get_data(as_text=True)
    catalogs = load_catalogs(rt.settings.locales_dir, ("en", "es"))
    docs = next(o.text for o in load_flow().steps["C"].options if o.key == "docs")  # the stored key: "docs"
    for words in (catalogs.text("en", "q.C"), catalogs.text("en", docs)):
        assert html.escape(words, quote=False) in english
    assert "C:" not in english and "docs" not in english.split("<h2>Answers</h2>")[1].split("<h2>")[0]
    admin.client.post("/language", data={"csrf": admin.token(tip_path), "locale": "es", "back": tip_path[6:]})
    spanish = admin.client.get(tip_path).get_data(as_text=True)
    for words in (catalogs.text("es", "q.C"), catalogs.text("es", docs)):
        assert html.escape(words, quote=False) in spanish
    assert "<dd>English</dd>" not in spanish and "<dd>inglés</dd>" in spanish  # the reporter's language, in Spanish


def test_the_reporters_words_are_escaped_not_obeyed(admin: Browser, rt: Runtime, clock: FakeClock) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    tip_path = admin.client.post("/next", data={"csrf": admin.token()}).headers["Location"]
    page = admin.client.get(tip_path).get_data(as_text=True)
    assert "\x1b" not in page and "\u202e" not in page
    assert "passports \\x1b[2J \\u202eevil" in page


def test_every_opening_is_audited(rt: Runtime, admin: Browser, clock: FakeClock) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    (tip_id,) = _metas(rt)
    for _ in range(2):
        assert admin.client.get(f"/tips/{tip_id}").status_code == 200
    assert _audit(rt).count((ADMIN, "open_tip", tip_id)) == 2


def test_a_member_of_another_queue_cannot_open_the_tip_by_url(
    rt: Runtime, app: Flask, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP)  # not routed to child protection
    (tip_id,) = _metas(rt)
    add_member(rt, "cp", "child")
    outsider = Browser(app.test_client(), clock, username="cp")
    outsider.enrol()
    assert outsider.client.get(f"/tips/{tip_id}").status_code == 404
    assert outsider.client.get("/tips/0123456789abcdef").status_code == 404  # the same answer as a missing tip
    assert "No tips in your queues" in outsider.client.get("/").get_data(as_text=True)
    assert not [a for a in _audit(rt) if a[1] == "open_tip"]
    with rt.db.connect() as conn:
        assert keys.member_queues(conn, keys.staff_id_of(conn, "cp")) == ["child"]
