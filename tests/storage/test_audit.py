from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, select

from storage import audit
from storage.audit import AuditTamperedError, BadHeadError
from storage.crypto import ServerSecrets
from storage.tables import AuditEntry
from tests.factories import table_of

NOW = 1_800_000_000.0
_t = table_of(AuditEntry)


def _fill(engine: Engine, secrets: ServerSecrets, n: int = 6) -> str:
    with engine.begin() as conn:
        for i in range(n):
            seq = audit.append(conn, secrets=secrets, actor="alice", action="tip.open", subject=f"t{i}",
                               now=NOW + i + 0.25)
            assert seq == i + 1
        return audit.head(conn, secrets=secrets)


def test_intact_log_verifies(engine: Engine, server_secrets: ServerSecrets) -> None:
    with engine.begin() as conn:
        assert audit.head(conn, secrets=server_secrets) == "0:"
        assert audit.verify(conn, secrets=server_secrets, head="0:").ok
    head = _fill(engine, server_secrets)
    assert head.startswith("6:") and len(head) == 2 + 64
    with engine.begin() as conn:
        report = audit.verify(conn, secrets=server_secrets, head=head)
        assert report.ok and report.entries == 6 and report.last_seq == 6
        report.raise_for_problem()
        assert audit.verify(conn, secrets=server_secrets, head=None).ok
        # other server secret: nothing verifies
        bad = audit.verify(conn, secrets=ServerSecrets(b"\x05" * 32), head=head)
        assert not bad.ok and bad.failed_seq == 1
        with pytest.raises(BadHeadError):
            audit.verify(conn, secrets=server_secrets, head="garbage")


def test_edited_entry_is_caught(engine: Engine, server_secrets: ServerSecrets) -> None:
    head = _fill(engine, server_secrets)
    for column, value in (("actor", "mallory"), ("subject", "t99"), ("action", "tip.delete"), ("at", NOW + 100)):
        with engine.begin() as conn:
            original = conn.execute(select(_t).where(_t.c.seq == 3)).one()
            conn.execute(_t.update().where(_t.c.seq == 3).values(**{column: value}))
            report = audit.verify(conn, secrets=server_secrets, head=head)
            assert not report.ok and report.problem == "edited" and report.failed_seq == 3, column
            with pytest.raises(AuditTamperedError, match="3"):
                report.raise_for_problem()
            conn.execute(_t.update().where(_t.c.seq == 3).values(**{column: getattr(original, column)}))
            assert audit.verify(conn, secrets=server_secrets, head=head).ok


def test_deleted_entry_is_caught(engine: Engine, server_secrets: ServerSecrets) -> None:
    head = _fill(engine, server_secrets)
    with engine.begin() as conn:
        conn.execute(_t.delete().where(_t.c.seq == 3))
        report = audit.verify(conn, secrets=server_secrets, head=head)
        assert not report.ok and report.problem == "missing" and report.failed_seq == 3
    with engine.begin() as conn:  # renumbered to hide the gap: the chain breaks instead
        for seq in (4, 5, 6):
            conn.execute(_t.update().where(_t.c.seq == seq).values(seq=seq - 1))
        report = audit.verify(conn, secrets=server_secrets, head=None)
        assert not report.ok and report.problem == "edited" and report.failed_seq == 3
    with engine.begin() as conn:
        conn.execute(_t.delete())
    head = _fill(engine, server_secrets)
    with engine.begin() as conn:  # first entry deleted
        conn.execute(_t.delete().where(_t.c.seq == 1))
        report = audit.verify(conn, secrets=server_secrets, head=head)
        assert not report.ok and report.failed_seq == 1


def test_truncation_is_caught_against_head(engine: Engine, server_secrets: ServerSecrets) -> None:
    head = _fill(engine, server_secrets)
    with engine.begin() as conn:
        conn.execute(_t.delete().where(_t.c.seq >= 5))
        assert audit.verify(conn, secrets=server_secrets, head=None).ok  # undetectable without a head
        report = audit.verify(conn, secrets=server_secrets, head=head)
        assert not report.ok and report.problem == "truncated" and report.failed_seq == 5
    with engine.begin() as conn:  # truncated and refilled: the entry at the head differs
        audit.append(conn, secrets=server_secrets, actor="x", action="a", subject="", now=NOW + 50)
        audit.append(conn, secrets=server_secrets, actor="x", action="a", subject="", now=NOW + 51)
        report = audit.verify(conn, secrets=server_secrets, head=head)
        assert not report.ok and report.problem == "head-mismatch" and report.failed_seq == 6


def test_head_refuses_a_forged_newest_entry(engine: Engine, server_secrets: ServerSecrets) -> None:
    _fill(engine, server_secrets)
    with engine.begin() as conn:
        conn.execute(_t.insert().values(seq=7, at=NOW, actor="mallory", action="x", subject="", mac=b"\x00" * 32))
        with pytest.raises(AuditTamperedError):
            audit.head(conn, secrets=server_secrets)


def test_concurrent_appends_do_not_fork(engine: Engine, server_secrets: ServerSecrets) -> None:
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            for i in range(5):
                with engine.begin() as conn:
                    audit.append(conn, secrets=server_secrets, actor=name, action="x", subject=str(i), now=NOW + i)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    with engine.begin() as conn:
        report = audit.verify(conn, secrets=server_secrets, head=audit.head(conn, secrets=server_secrets))
        assert report.ok and report.entries == 20
