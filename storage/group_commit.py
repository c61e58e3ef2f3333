"""Group commit on SQLite: one COMMIT, one fsync, for the writes that were ready together.

The hot path's write phase (``triage.intake``, the optimistic path) holds SQLite's one writer
for a few statements and a COMMIT, and the COMMIT (a WAL append and an fsync: ``synchronous=FULL``)
is most of that hold.  While one thread of a process holds the writer lock, the process's other
writers wait for it anyway; here they wait as jobs.  A thread appends its job (a callable taking
a connection), then takes the writer lock; whoever holds it runs every job pending at that moment
on its own connection, in one transaction, and commits them all at once.  A thread that gets the
lock and finds its job already done just returns its outcome.

- In the common case no job raises, and the batch is BEGIN IMMEDIATE, each job's writes, COMMIT:
  no statement more than its jobs' own.  Every statement under the lock counts (issue 11): each
  sqlite3 call lets go of the GIL, and under load the holder must win it back from the process's
  other threads; a savepoint per job was two more such calls per message.
- A job that raises (a lost race, a driver error) in a batch of several rolls the whole transaction
  back, and the batch runs again, each job in its own SAVEPOINT: the job that raises is rolled back
  to its savepoint alone, its own thread gets the exception, exactly as if it had run in a
  transaction of its own, and the other jobs commit, once.  So a job may run twice, and must be a
  plain function of the database state and of what it was handed: nothing it does outside the
  transaction may depend on its first run or count on having one (``triage.intake``'s writes say
  why theirs are).  A batch of one runs as a transaction of its own.
- If the transaction fails as a whole (BEGIN, COMMIT, a rollback, or a driver error that ended
  it), every job of the batch gets the error (a job that raised keeps its own): nothing of it was
  committed.  Whatever failed, the connection is left holding no transaction (no write lock).
- Every request waits for its own job to be committed before it answers, so nothing is
  acknowledged before it is on disk, and nothing waits here longer than its own request.

The writer lock is the same one the locked paths take (``storage.db.writer_lock``), so a batch and
their transactions exclude each other.  PostgreSQL has no single writer (the lock is a no-op there),
so each request keeps its own transaction, as does an in-memory SQLite database.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import deque
from typing import Any, Callable, Protocol, TypeVar

from sqlalchemy import Connection, Engine

from storage.db import WriterLock, writer_lock
from storage.fastsql import driver_execute

T = TypeVar("T")


class GroupAborted(RuntimeError):
    """The thread committing a batch was interrupted before its commit: nothing of the batch was kept."""


class Writes(Protocol):
    def run(self, conn: Connection, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a write transaction and commit it; its result, or what it raised."""


class _Job:
    __slots__ = ("work", "done", "result", "error")

    def __init__(self, work: Callable[[Connection], Any]) -> None:
        self.work = work
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class _Alone:
    """One transaction per request (PostgreSQL, in-memory SQLite)."""

    def run(self, conn: Connection, work: Callable[[Connection], T]) -> T:
        with conn.begin():
            return work(conn)


class _Combiner:
    """The process's writers to one SQLite database, committed in batches under its writer lock."""

    def __init__(self, lock: WriterLock) -> None:
        self._lock = lock
        # Appends (any thread) and pops (only the thread holding the lock) are atomic: no guard.
        self.pending: deque[_Job] = deque()

    def run(self, conn: Connection, work: Callable[[Connection], T]) -> T:
        job = _Job(work)
        self.pending.append(job)
        with self._lock.thread_lock:
            # Not done: no holder took it (a holder marks its whole batch done before it lets go
            # of the lock), so it is still pending, and this thread commits it with the others.
            if not job.done:
                try:
                    self._lock.lock_file()
                except BaseException:
                    self.pending.remove(job)  # this request fails: its job must not be run after it
                    raise
                try:
                    _commit(conn, self._take())
                finally:
                    self._lock.unlock_file()
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[no-any-return]

    def _take(self) -> list[_Job]:
        batch = []
        while self.pending:
            batch.append(self.pending.popleft())
        return batch


def _commit(conn: Connection, batch: list[_Job]) -> None:
    """Run the batch in one transaction and commit it; every job ends done, with its result or error."""
    try:
        if not _all_at_once(conn, batch):
            # A job raised and the whole transaction was rolled back: run the batch again, each
            # job in a savepoint of its own, so that the one that raises fails alone.
            for job in batch:
                job.result = job.error = None
            with conn.begin():
                for job in batch:
                    _in_savepoint(conn, job)
    except Exception as exc:
        _end_transaction(conn)
        _fail(batch, exc)
    except BaseException:
        _end_transaction(conn)
        _fail(batch, GroupAborted())
        raise
    finally:
        for job in batch:
            job.done = True


def _all_at_once(conn: Connection, batch: list[_Job]) -> bool:
    """The common case: every job's writes in one transaction, no savepoint, and COMMIT.

    False when a job of several raised: nothing of the batch was kept (rolled back), and the job
    holds its error (its own, should the rollback fail too).  A batch of one runs exactly as a
    transaction of its own: its job's error ends the transaction and is raised.
    """
    with conn.begin() as tx:  # BEGIN IMMEDIATE (storage.db); COMMIT, or ROLLBACK on an error
        for job in batch:
            try:
                job.result = job.work(conn)
            except Exception as exc:
                if len(batch) == 1:
                    raise
                job.error = exc
                tx.rollback()
                return False
    return True


def _in_savepoint(conn: Connection, job: _Job) -> None:
    driver_execute(conn, "SAVEPOINT tipline_job")
    try:
        job.result = job.work(conn)
    except Exception as exc:
        job.error = exc
        # Raises if the error ended the whole transaction (SQLite rolls back on some, e.g. a full
        # disk): then the batch fails, and every other job of it gets that error.
        driver_execute(conn, "ROLLBACK TO tipline_job")
    driver_execute(conn, "RELEASE tipline_job")


def _end_transaction(conn: Connection) -> None:
    """Roll back what a failed COMMIT left open.

    SQLAlchemy does not roll back after its COMMIT failed (a deferred constraint, say), and SQLite
    keeps the transaction open then: the pooled connection (no reset on return, storage.db) would
    keep the write lock, and every writer after it would wait for it until its busy timeout.
    """
    raw = conn.connection.driver_connection
    try:
        if raw.in_transaction:  # type: ignore[union-attr]
            raw.rollback()  # type: ignore[union-attr]
    except Exception:
        conn.invalidate()  # a connection that cannot roll back is not used again


def _fail(batch: list[_Job], exc: BaseException) -> None:
    """Nothing of the batch was committed: each job without an error of its own gets ``exc``."""
    for job in batch:
        if job.error is None:
            job.error, job.result = exc, None


_ALONE = _Alone()
_combiners: "weakref.WeakKeyDictionary[Engine, _Combiner]" = weakref.WeakKeyDictionary()
_combiners_guard = threading.Lock()


def group_commit(engine: Engine) -> Writes:
    """The engine's writes for the hot path: batched on a SQLite file, one transaction each elsewhere."""
    lock = writer_lock(engine)
    if not isinstance(lock, WriterLock):
        return _ALONE
    with _combiners_guard:
        combiner = _combiners.get(engine)
        if combiner is None:
            combiner = _combiners[engine] = _Combiner(lock)
    return combiner


def _forget_pending() -> None:
    # A forked child serves none of its parent's requests: their jobs are not its to commit.
    for combiner in list(_combiners.values()):
        combiner.pending.clear()


os.register_at_fork(after_in_child=_forget_pending)
