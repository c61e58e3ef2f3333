"""No plaintext at rest or in logs: plant markers, then read every byte and every log record.

Markers go into answers, first messages, addenda and bad input from known addresses;
the database files (with -wal and -shm) or, on PostgreSQL, every row of every table,
and every captured log record at DEBUG must hold no marker, no address and no code.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from storage import conversations

from tests.factories import FakeClock, Reporter, service_with_clock
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
