"""Group commit (storage.group_commit): writes ready together share one transaction and one COMMIT.

Real SQLite files and real threads: the test holds the writer lock (as a locked-path transaction
or another thread's batch would) while several threads hand in their writes, then lets go, so
that those writes meet in one batch.  Each job writes rows of a scratch table.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import pytest
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from storage.db import is_sqlite, writer_lock
from storage.group_commit import group_commit

Work = Callable[[Connection], Any]


class Moved(Exception):
    """What a job raises when what it read has moved (the intake's lost race)."""


# Batches are SQLite's (PostgreSQL keeps one transaction per request): these run on SQLite
# in every run, the PostgreSQL one included, rather than being skipped there.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def db(engine: Engine) -> Engine:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE gc_row (id INTEGER PRIMARY KEY, who TEXT NOT NULL)"))
        conn.execute(text("CREATE TABLE gc_child (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL"
                          " REFERENCES gc_row (id) DEFERRABLE INITIALLY DEFERRED)"))
    return engine


@pytest.fixture
def sqlite_db(db: Engine) -> Engine:
    assert is_sqlite(db), "mark the test @SQLITE_ONLY"
    return db


def insert(row_id: int, then: Callable[[Connection], None] | None = None) -> Work:
    def work(conn: Connection) -> int:
        conn.execute(text("INSERT INTO gc_row (id, who) VALUES (:id, :who)"), {"id": row_id, "who": f"job{row_id}"})
        if then is not None:
            then(conn)
        return row_id
    return work


def moved(conn: Connection) -> None:
    raise Moved


def rows(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT id FROM gc_row ORDER BY id"))]


def commits(engine: Engine) -> list[int]:
    counted: list[int] = []
    event.listen(engine, "commit", lambda conn: counted.append(1))
    return counted


def batch(engine: Engine, works: list[Work]) -> list[Any]:
    """Each work in a thread of its own, handed in while the writer lock is held: one batch, in order.

    Returns what each thread got: its work's result, or the exception it raised."""
    group = group_commit(engine)
    got: list[Any] = [None] * len(works)

    def one(i: int) -> None:
        with engine.connect() as conn:
            try:
                got[i] = group.run(conn, works[i])
            except Exception as exc:
                got[i] = exc

    threads, before = [], rows(engine)
    with writer_lock(engine):
        for i in range(len(works)):
            threads.append(threading.Thread(target=one, args=(i,), daemon=True))
            threads[-1].start()
            wait_queued(group, i + 1)  # in order
        assert rows(engine) == before  # nothing is written while the lock is held elsewhere
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive()
    return got


def wait_queued(group: object, n: int) -> None:
    """Until ``n`` jobs wait for the writer lock (the batch the next holder takes)."""
    deadline = time.monotonic() + 10
    while len(group.pending) != n:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "a job never reached the batch"
        time.sleep(0.001)


@SQLITE_ONLY
def test_writes_ready_together_commit_at_once(sqlite_db: Engine) -> None:
    counted = commits(sqlite_db)
    got = batch(sqlite_db, [insert(i) for i in range(1, 6)])
    assert got == [1, 2, 3, 4, 5]  # each thread gets its own job's result
    assert rows(sqlite_db) == [1, 2, 3, 4, 5]
    assert len(counted) == 1  # one COMMIT (one fsync) for the five


@SQLITE_ONLY
def test_a_job_that_raises_is_rolled_back_alone(sqlite_db: Engine) -> None:
    got = batch(sqlite_db, [insert(1), insert(2, then=moved), insert(3)])
    assert got[0] == 1 and isinstance(got[1], Moved) and got[2] == 3
    assert rows(sqlite_db) == [1, 3]  # its insert, made before it raised, was rolled back with it


@SQLITE_ONLY
def test_a_driver_error_fails_only_its_own_job(sqlite_db: Engine) -> None:
    with sqlite_db.begin() as conn:
        conn.execute(text("INSERT INTO gc_row (id, who) VALUES (7, 'before')"))
    got = batch(sqlite_db, [insert(1), insert(7), insert(3)])
    assert isinstance(got[1], IntegrityError)  # a DBAPIError: the edge spools that message
    assert got[0] == 1 and got[2] == 3
    assert rows(sqlite_db) == [1, 3, 7]


@SQLITE_ONLY
def test_a_failing_commit_fails_every_job_and_keeps_nothing(sqlite_db: Engine) -> None:
    def orphan(conn: Connection) -> None:  # checked only at COMMIT: the constraint is deferred
        conn.execute(text("INSERT INTO gc_child (id, parent) VALUES (1, 999)"))

    got = batch(sqlite_db, [insert(1), insert(2, then=orphan), insert(3)])
    assert all(isinstance(g, IntegrityError) for g in got)  # none was committed, none is acknowledged
    assert rows(sqlite_db) == []
    with sqlite_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM gc_child")).scalar() == 0
    # The lock and the connections are free again: the next writes go through.
    assert batch(sqlite_db, [insert(4), insert(5)]) == [4, 5]
    assert rows(sqlite_db) == [4, 5]


@SQLITE_ONLY
def test_a_job_that_loses_keeps_its_own_error_when_the_commit_fails(sqlite_db: Engine) -> None:
    def orphan(conn: Connection) -> None:
        conn.execute(text("INSERT INTO gc_child (id, parent) VALUES (1, 999)"))

    got = batch(sqlite_db, [insert(1, then=moved), insert(2, then=orphan)])
    assert isinstance(got[0], Moved) and isinstance(got[1], IntegrityError)
    assert rows(sqlite_db) == []


def log_once(who: str, then: Callable[[Connection], None] | None = None, runs: list[str] | None = None) -> Work:
    """Appends a row to a table with no unique key: a write kept twice would show as two rows."""
    def work(conn: Connection) -> str:
        if runs is not None:
            runs.append(who)
        conn.execute(text("INSERT INTO gc_log (who) VALUES (:who)"), {"who": who})
        if then is not None:
            then(conn)
        return who
    return work


def logged(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(r[0] for r in conn.execute(text("SELECT who FROM gc_log")))


def driver_error(conn: Connection) -> None:
    conn.execute(text("INSERT INTO no_such_table VALUES (1)"))


@pytest.fixture
def log_db(sqlite_db: Engine) -> Engine:
    with sqlite_db.begin() as conn:
        conn.execute(text("CREATE TABLE gc_log (who TEXT NOT NULL)"))
    return sqlite_db


def traced(engine: Engine) -> list[str]:
    """The SQL every new connection of the engine runs from now on (sqlite3's trace callback)."""
    seen: list[str] = []
    event.listen(engine, "connect", lambda dbapi_conn, _record: dbapi_conn.set_trace_callback(seen.append))
    engine.dispose()  # the pool's connections so far are not traced: new ones are
    return seen


@SQLITE_ONLY
def test_a_batch_where_no_job_raises_runs_each_job_once_with_no_savepoint(log_db: Engine) -> None:
    runs: list[str] = []
    seen = traced(log_db)
    counted = commits(log_db)
    assert batch(log_db, [log_once(f"job{i}", runs=runs) for i in range(4)]) == ["job0", "job1", "job2", "job3"]
    assert sorted(runs) == ["job0", "job1", "job2", "job3"]
    assert logged(log_db) == ["job0", "job1", "job2", "job3"]
    assert len(counted) == 1
    # Under the lock: BEGIN, the four jobs' own statements, COMMIT; no SAVEPOINT, no RELEASE.
    start = next(i for i, sql in enumerate(seen) if sql.startswith("INSERT INTO gc_log")) - 1
    assert [sql.split()[0] for sql in seen[start:start + 6]] == ["BEGIN", "INSERT", "INSERT", "INSERT", "INSERT",
                                                                 "COMMIT"]
    assert not [sql for sql in seen if sql.split()[0].upper() in ("SAVEPOINT", "RELEASE")]


@SQLITE_ONLY
@pytest.mark.parametrize("failing", [0, 2, 4])
@pytest.mark.parametrize("error", [moved, driver_error], ids=["lost race", "driver error"])
def test_a_job_that_raises_fails_alone_and_the_others_are_kept_exactly_once(
    log_db: Engine, failing: int, error: Callable[[Connection], None],
) -> None:
    runs: list[str] = []
    works = [log_once(f"job{i}", then=error if i == failing else None, runs=runs) for i in range(5)]
    counted = commits(log_db)
    got = batch(log_db, works)
    assert isinstance(got[failing], Moved if error is moved else DBAPIError)
    assert [g for i, g in enumerate(got) if i != failing] == [f"job{i}" for i in range(5) if i != failing]
    # Each other job's row once, though the batch ran again after the failure; none of the failing one's.
    assert logged(log_db) == [f"job{i}" for i in range(5) if i != failing]
    assert len(counted) == 1
    assert runs.count(f"job{failing}") == 2  # it raised in the first run and again in its savepoint


def test_a_job_alone_is_a_transaction_of_its_own(db: Engine) -> None:
    group = group_commit(db)
    with db.connect() as conn:
        assert group.run(conn, insert(1)) == 1
        with pytest.raises(Moved):
            group.run(conn, insert(2, then=moved))
        with pytest.raises(DBAPIError):
            group.run(conn, insert(1))
        assert group.run(conn, insert(3)) == 3
    assert rows(db) == [1, 3]


def test_many_threads_each_get_their_own_outcome(db: Engine) -> None:
    group = group_commit(db)
    got: dict[int, Any] = {}

    def writer(first: int) -> None:
        with db.connect() as conn:
            for row_id in range(first, first + 40):
                try:
                    got[row_id] = group.run(conn, insert(row_id, then=moved if row_id % 7 == 0 else None))
                except Moved:
                    got[row_id] = "moved"

    threads = [threading.Thread(target=writer, args=(n * 100,), daemon=True) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    expected = {r: ("moved" if r % 7 == 0 else r) for n in range(1, 9) for r in range(n * 100, n * 100 + 40)}
    assert got == expected
    assert rows(db) == sorted(r for r, g in expected.items() if g != "moved")


def test_a_lone_failing_commit_leaves_the_writer_free(db: Engine) -> None:
    def orphan(conn: Connection) -> None:
        conn.execute(text("INSERT INTO gc_child (id, parent) VALUES (1, 999)"))

    group = group_commit(db)
    with db.connect() as conn:
        with pytest.raises(IntegrityError):
            group.run(conn, insert(1, then=orphan))
    with db.connect() as conn:  # the pool's connection again: it holds no transaction
        assert group.run(conn, insert(2)) == 2
    assert rows(db) == [2]
