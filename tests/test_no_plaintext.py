"""No plaintext at rest or in logs: plant markers, then read every byte and every log record.

Markers go into answers, first messages, addenda and bad input from known addresses;
the database files (with -wal and -shm) or, on PostgreSQL, every row of every table,
and every captured log record at DEBUG must hold no marker, no address and no code.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from storage import conversations

from tests.factories import FakeClock, Reporter, limited_service, service_with_clock
from tipline.logs import install_library_guards
from tipline.runtime import Runtime


ADDRESSES = {"sms": "+15557770123", "telegram": "918273645501", "whatsapp": "whatsapp:+447700900123"}
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")


def _conversations(rt: Runtime, clock: FakeClock) -> tuple[list[str], list[str]]:
    """Run reporters through good and bad paths; returns (planted markers, codes shown)."""
    service = service_with_clock(rt, clock)
    markers: list[str] = []
    codes: list[str] = []
    for n, (channel, address) in enumerate(ADDRESSES.items()):
        m = [f"QUOKKA{n}{i}MARKER" for i in range(8)]
        markers += m
        reporter = Reporter(service, address, channel=channel, inline=channel != "telegram")
        script = [
            f"I saw {m[0]} at the car wash",  # a first message that tells what happened
            "2", "1", "4 7 9 x",  # a bad checklist answer
            m[1] * 60,  # far too long for any step
            "1", "2", "1 2", "1", "2", "1",
            "1",  # yes, more questions
            f"Behind the {m[2]} depot", f"The {m[3]} laundry",
            "DONE",
        ]
        for line in script:
            reporter.send(line)
        codes += CODE.findall(reporter.last)
        reporter.send(f"Also the boss drives a {m[4]} van")  # came back after finishing
        reporter.send("EXIT")
        # A new interview that goes idle and is sealed by the worker.
        reporter.send(f"hello {m[5]}")
        reporter.send("2")
        clock.advance(rt.settings.conversation_idle_minutes * 60 + conversations.COARSE_SECONDS)
        service.expire_idle()
        reporter.send(f"{m[6]} again")
        reporter.send("DONE")
        codes += CODE.findall(reporter.last)
    return markers, codes


def _needles(markers: list[str], codes: list[str]) -> list[bytes]:
    plain = markers + list(ADDRESSES.values()) + [a.split(":")[-1] for a in ADDRESSES.values()]
    plain += codes + [c.replace("-", "") for c in codes]
    out = []
    for s in plain:
        out += [s.encode(), s.encode("utf-16-le"), s.encode().hex().encode()]
    return out


def _database_bytes(rt: Runtime) -> bytes:
    if rt.settings.is_sqlite:
        folder = Path(rt.settings.database_url[len("sqlite:///"):]).parent
        files = [p for p in folder.iterdir() if p.is_file()]
        assert any(p.name.endswith("-wal") for p in files), "WAL mode expected"
        return b"".join(p.read_bytes() for p in files)
    chunks = []
    with rt.db.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT t::text FROM "{table}" t')):
                chunks.append(row[0].encode())
    return b"\n".join(chunks)


def test_no_marker_address_or_code_in_database_or_logs(
    rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    install_library_guards()
    caplog.set_level(logging.DEBUG)
    markers, codes = _conversations(rt, FakeClock())
    assert len(codes) >= 3, "each reporter was shown codes"
    stored = _database_bytes(rt)
    assert len(stored) > 10_000
    logged = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {getattr(r, '__dict__', {})}" for r in caplog.records
    ).encode()
    assert caplog.records, "the service logs events"
    for needle in _needles(markers, codes):
        assert needle not in stored, f"found a planted value in the database: {needle[:12]!r}..."
        assert needle not in logged, f"found a planted value in the logs: {needle[:12]!r}..."


def test_casework_keeps_no_marker_in_database_or_logs(rt: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    """Notes, closing words, referral reasons, an interpreter's copy and a translation (issue 12)."""
    from storage import interpreters, keys
    from tests.triage.console.casework_support import post, tip_ids
    from tests.triage.console.support import Browser, console_app

    install_library_guards()
    caplog.set_level(logging.DEBUG)
    clock = FakeClock(start=1_800_000_000.0)
    reporter = Reporter(service_with_clock(rt, clock), ADDRESSES["sms"])
    for line in ["hi", "2", "1", "The QUOKKAC1MARKER boss keeps passports", "1", "2", "1 2", "1",
                 "Behind the QUOKKAC2MARKER depot", "2", "1", "2"]:
        reporter.send(line)
    (tip_id,) = tip_ids(rt)
    with rt.db.begin() as conn:
        keys.add_staff(conn, username="lena", passphrase="correct horse battery staple", is_admin=False,
                       secrets=rt.secrets, kdf=rt.settings.staff_kdf, now=0.0)
        interpreters.set_languages(conn, staff_id=keys.staff_id_of(conn, "lena"), languages=["en"])
    app = console_app(rt, clock)
    admin, lena = Browser(app.test_client(), clock), Browser(app.test_client(), clock, username="lena")
    admin.enrol()
    lena.enrol()
    forms = (("note", {"words": "QUOKKAC3MARKER"}), ("refer", {"queue": "police", "reason": "QUOKKAC4MARKER"}),
             ("interpret", {"interpreter": "lena"}), ("close", {"reason": "actioned", "words": "QUOKKAC5MARKER"}))
    for form, data in forms:
        assert post(admin, tip_id, form, **data)[0] == 303, form
    link = lena.client.get("/translations").get_data(as_text=True).split('href="/translations/')[1].split('"')[0]
    assert "QUOKKAC1MARKER" in lena.client.get(f"/translations/{link}").get_data(as_text=True)
    token = lena.token(f"/translations/{link}")
    lena.client.post(f"/translations/{link}", data={"csrf": token, "words": "QUOKKAC6MARKER"})
    assert "QUOKKAC6MARKER" in admin.client.get(f"/tips/{tip_id}").get_data(as_text=True)
    stored = _database_bytes(rt)
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {getattr(r, '__dict__', {})}" for r in caplog.records)
    for needle in _needles([f"QUOKKAC{i}MARKER" for i in range(1, 7)], []):
        assert needle not in stored, f"found a planted value in the database: {needle[:12]!r}..."
        assert needle not in logged.encode(), f"found a planted value in the logs: {needle[:12]!r}..."


def test_no_oncall_address_in_database_or_logs(rt: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    """Staff addresses on the on-call rota (issue 12): sealed at rest, never logged, also while alerting."""
    from bot import load_catalogs
    from storage import oncall
    from storage.oncall_secret import load_rota_opener
    from tipline.oncall_loop import AlertLoop
    from triage import oncall_rota
    from triage.oncall_enrol import OncallEnrol

    install_library_guards()
    caplog.set_level(logging.DEBUG)
    phone, chat = "+15557770999", "918273645588"
    with rt.db.begin() as conn:
        oncall_rota.add_member(conn, name="desk", channel="sms", address=phone, locale="en", locales=("en",), now=0.0)
        tg = oncall_rota.add_member(conn, name="night", channel="telegram", address=None, locale="en",
                                    locales=("en",), now=0.0)
        token = oncall.new_enrolment(conn, member_id=tg, now=time.time())
    catalogs = load_catalogs(rt.settings.locales_dir, ("en",))
    OncallEnrol(db=rt.db, secrets=rt.secrets, catalogs=catalogs, default_locale="en").enrol(chat, token)
    sent: list[tuple[str, str]] = []
    loop = AlertLoop(db=rt.db, opener=load_rota_opener(rt.settings.oncall_key_dir),
                     pager=lambda channel, address, text: sent.append((channel, address)), catalogs=catalogs,
                     default_locale="en", escalate_seconds=0.0)
    reporter = Reporter(service_with_clock(rt, FakeClock()), "+15557770001")
    reporter.send("hi")
    reporter.send("1")  # danger now: an alert
    loop.run_once()
    loop.run_once()
    assert sent == [("sms", phone), ("telegram", chat)], "the loop opened and used both addresses"
    stored = _database_bytes(rt)
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {getattr(r, '__dict__', {})}"
                       for r in caplog.records).encode()
    for needle in _needles([phone, chat, token], []):
        assert needle not in stored, f"found an on-call address in the database: {needle[:12]!r}..."
        assert needle not in logged, f"found an on-call address in the logs: {needle[:12]!r}..."


def test_held_messages_keep_no_marker_or_address_in_database_or_logs(
    rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """What a sender over the abuse limits wrote waits sealed in held_message (issue 13)."""
    install_library_guards()
    caplog.set_level(logging.DEBUG)
    clock = FakeClock()
    service = limited_service(rt, clock, per_sender=1)
    markers = [f"QUOKKAH{i}MARKER" for i in range(4)]
    for channel, address in ADDRESSES.items():
        reporter = Reporter(service, address, channel=channel, inline=channel != "telegram")
        for marker in markers:
            reporter.send(f"sos {marker} is at the car wash")
    with rt.db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM held_message")).scalar_one() == 3 * (len(markers) - 1)
    stored = _database_bytes(rt)
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {getattr(r, '__dict__', {})}" for r in caplog.records)
    for needle in _needles(markers, []):
        assert needle not in stored, f"found a planted value in the database: {needle[:12]!r}..."
        assert needle not in logged.encode(), f"found a planted value in the logs: {needle[:12]!r}..."
