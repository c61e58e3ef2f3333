"""The tip metadata MAC (storage/tip_mac.py): every write path keeps it true, tips from before it
are sealed once by 'tipline init' (never laundered afterwards), and its encoding can grow."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, text

from storage import sealing, tip_mac, tips
from storage.crypto import ServerSecrets
from storage.keys import create_queue
from storage.tip_mac import MacStatus
from tests.factories import FakeClock, Reporter, service_with_clock
from tipline.install import prepare
from tipline.runtime import Runtime
from tipline.settings import Settings

CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")
WITNESS = ["hi", "2", "1", "A man keeps the workers' passports", "1", "2", "1 2", "1", "0", "2", "1", "2"]
SECRETS = ServerSecrets(master=bytes(range(32)))


def _failing(rt: Runtime) -> dict[str, MacStatus]:
    with rt.db.connect() as conn:
        return tip_mac.failing(conn, secrets=rt.secrets)


def test_every_way_a_tip_is_written_keeps_its_metadata_verifying(rt: Runtime) -> None:
    clock = FakeClock()
    service = service_with_clock(rt, clock)
    # A finished report (code hash), a follow-up by code from another phone, words added from the
    # same phone, then danger after the close (an alert; acknowledged, then a second alert row last)
    reporter = Reporter(service, "+15550100")
    for line in WITNESS:
        reporter.send(line)
    code = CODE.search(reporter.last)
    assert code is not None
    other = Reporter(service, "+15550200")
    assert _failing(rt) == {}
    other.send(f"{code.group()} they moved the workers to a house on Elm street")
    assert _failing(rt) == {}  # checked after each kind of write: a later one must not hide a miss
    reporter.send("they have a white van too")
    assert _failing(rt) == {}
    reporter.send("help someone is hurt now")
    assert _failing(rt) == {}
    with rt.db.begin() as conn:
        [alert] = tips.open_alerts(conn)
        assert tips.acknowledge_alert(conn, alert_id=alert[0], now=clock())
    reporter.send("please help they are hurting her now")
    # And an interview sealed by idle expiry
    idle = Reporter(service, "+15550300")
    for line in ["hi", "1", "2"]:
        idle.send(line)
    clock.advance(rt.settings.conversation_idle_minutes * 60 + 600 + 1)  # rows keep ten-minute times
    assert service.expire_idle() >= 1  # the idle interview (the finished ones' follow-up states may go too)
    with rt.db.connect() as conn:
        listed = tips.list_tips(conn)
        alerts = conn.execute(text("SELECT count(*) FROM alert")).scalar_one()
    assert len(listed) == 2 and alerts >= 3 and max(t.version for t in listed) >= 4
    assert _failing(rt) == {}


def _pre_mac_tip(engine: Engine, tip_id: str) -> None:
    """A tip as the line wrote it before the MAC existed: row, envelope, no MAC."""
    with engine.begin() as conn:
        if "police" not in {r.name for r in conn.execute(text("SELECT name FROM queue"))}:
            create_queue(conn, name="police", title="Police", now=1.0)
        tips.create_tip(conn, now=1.0, tip_id=tip_id)
        sealing.seal_tip(conn, tip_id=tip_id, version=1, payload=b"{}", queues=["police"], now=1.0)
        tips.record_seal(conn, tip_id=tip_id, version=1, status="complete", reason="done", priority="P2",
                         categories=["labour"], rules_version="r1", queues=["police"], now=1.0)


def test_init_seals_old_tips_once_and_never_launders_a_mac_removed_later(engine: Engine) -> None:
    # Given tips written before the MAC existed: "not yet authenticated", not tampered
    _pre_mac_tip(engine, "a" * 32)
    _pre_mac_tip(engine, "b" * 32)
    with engine.connect() as conn:
        assert set(tip_mac.failing(conn, secrets=SECRETS).values()) == {MacStatus.UNAUTHENTICATED}
    # When init seals the install
    with engine.begin() as conn:
        assert tip_mac.seal_install(conn, secrets=SECRETS, now=2.0) == 2
    with engine.connect() as conn:
        assert tip_mac.failing(conn, secrets=SECRETS) == {}
    # Then a MAC removed afterwards is tampering, and running init again does not re-seal it
    with engine.begin() as conn:
        conn.execute(text("UPDATE tip SET mac = NULL WHERE id = :t"), {"t": "a" * 32})
        assert tip_mac.seal_install(conn, secrets=SECRETS, now=3.0) == 0
    with engine.connect() as conn:
        assert tip_mac.failing(conn, secrets=SECRETS) == {"a" * 32: MacStatus.TAMPERED}
        assert tip_mac.check(conn, secrets=SECRETS, tip_id="b" * 32) is MacStatus.OK
        # A MAC made with another server secret does not verify either
        assert tip_mac.check(conn, secrets=ServerSecrets(master=bytes(32)), tip_id="b" * 32) is MacStatus.TAMPERED


def test_on_a_fresh_install_a_tip_without_a_mac_is_tampering(settings: Settings) -> None:
    rt, _ = prepare(settings)
    _pre_mac_tip(rt.db, "c" * 32)
    with rt.db.connect() as conn:  # prepare already recorded this install as sealed (a fresh one)
        assert tip_mac.check(conn, secrets=rt.secrets, tip_id="c" * 32) is MacStatus.TAMPERED
    rt.db.dispose()


def test_a_new_encoding_re_macs_only_the_tips_that_verify(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _pre_mac_tip(engine, "a" * 32)
    _pre_mac_tip(engine, "b" * 32)
    with engine.begin() as conn:
        tip_mac.seal_install(conn, secrets=SECRETS, now=2.0)
        conn.execute(text("UPDATE tip SET priority = 'P4' WHERE id = :t"), {"t": "b" * 32})
    # A later encoding (here: the same fields in another order, standing for one more field)
    then, later = tip_mac.CURRENT, tip_mac.CURRENT + 1
    monkeypatch.setitem(tip_mac.FIELDS, later, tuple(reversed(tip_mac.FIELDS[then])))
    monkeypatch.setattr(tip_mac, "CURRENT", later)
    with engine.begin() as conn:
        assert tip_mac.upgrade_encoding(conn, secrets=SECRETS) == 1
        macs = {r.id: bytes(r.mac) for r in conn.execute(text("SELECT id, mac FROM tip"))}
        assert macs["a" * 32][0] == later and macs["b" * 32][0] == then
        assert tip_mac.failing(conn, secrets=SECRETS) == {"b" * 32: MacStatus.TAMPERED}


def test_the_encoding_is_unambiguous() -> None:
    base: dict[str, tip_mac.Value] = {
        "tip_id": "t", "version": 1, "queues": "police,ngo", "priority": "P1", "categories": "labour",
        "status": "complete", "reason": "done", "rules_version": "r", "created_at": 1.0, "code": b"",
        "alerts": 1, "envelopes": ((1, "police", "k1", b"h"),),
        "case": ("new", "", "", 0, "", 0.0), "links": (), "referrals": (),
    }
    moved = dict(base, queues="police", categories="ngo,labour")
    assert tip_mac.canonical(base) != tip_mac.canonical(moved)
    assert tip_mac.canonical(base) != tip_mac.canonical(dict(base, alerts=0))
    assert tip_mac.canonical(base) != tip_mac.canonical(dict(base, envelopes=((1, "police", "k", b"1h"),)))
    assert tip_mac.canonical(base) != tip_mac.canonical(dict(base, case=("closed", "", "", 0, "", 0.0)))
    assert tip_mac.canonical(base) != tip_mac.canonical(dict(base, links=("t2",)))
    assert tip_mac.compute(SECRETS, base)[0] == tip_mac.CURRENT


def test_a_new_tip_written_whole_carries_the_mac_its_stored_metadata_gives(rt: Runtime) -> None:
    # A new tip is written in one insert with a MAC worked out from the values written (issue 11):
    # the same MAC a read-back gives, also for a tip first sealed by danger (with its alert).
    service = service_with_clock(rt, FakeClock())
    urgent, finished = Reporter(service, "+15550400"), Reporter(service, "+15550500")
    urgent.send("hi")
    urgent.send("help someone is hurt now")
    for line in WITNESS:
        finished.send(line)
    with rt.db.connect() as conn:
        stored = {r.id: bytes(r.mac) for r in conn.execute(text("SELECT id, mac FROM tip"))}
        alerts = conn.execute(text("SELECT count(*) FROM alert")).scalar_one()
    assert len(stored) == 2 and alerts == 1 and _failing(rt) == {}
    with rt.db.begin() as conn:
        for tip_id in stored:
            tip_mac.refresh(conn, secrets=rt.secrets, tip_id=tip_id)
        again = {r.id: bytes(r.mac) for r in conn.execute(text("SELECT id, mac FROM tip"))}
    assert again == stored
