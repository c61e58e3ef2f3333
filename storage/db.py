"""Database engines and transactions, for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with ``synchronous=FULL`` (a webhook is acknowledged only
after its transaction is on disk), ``secure_delete`` (deleted rows are zeroed,
not left in free pages) and ``BEGIN IMMEDIATE`` for every transaction, so that
writers queue on the lock up front instead of failing half-way on an upgrade
from a read lock.  That makes SQLite a single writer, which is what the design
asks of it.

The WAL keeps old versions of rows (an UPDATE's old value, a deleted row) in its frames
until they are overwritten: ``journal_size_limit`` bounds what a reset WAL keeps, and the
worker empties it after each round (``truncate_wal``), so an idle line's WAL holds nothing.
"""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Connection, Engine, create_engine, event, text

from storage.fastsql import driver_execute, driver_rollback


class DatabaseError(Exception):
    """The database cannot be used; the message says what to fix."""


def _sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):])
    return None


# How long a request waits for a free connection of its process's pool before it fails (under
# gunicorn's 30 s worker timeout and Twilio's 12 s read timeout, so the failure is ours to answer).
POOL_TIMEOUT = 10.0


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10, pool_timeout: float = POOL_TIMEOUT) -> Engine:
    """Create an engine with the pragmas and transaction mode this project relies on.

    ``pool_size`` and ``max_overflow`` bound PostgreSQL connections of this process
    (``Settings.pool_for``: the process's threads, README "Sizing")."""
    path = _sqlite_path(url)
    if path is not None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "isolation_level": None, "check_same_thread": False},
            # Every use ends its transaction (commit, or rollback on error) before the connection
            # goes back; the pool's extra rollback per checkin would be pure overhead.
            pool_reset_on_return=None,
            hide_parameters=True,  # parameters never appear in errors or logs
        )
        _configure_sqlite(engine)
        return engine
    if url.startswith("sqlite"):
        raise DatabaseError(f"unsupported SQLite URL {url!r}: use sqlite:////absolute/path.sqlite3")
    return create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout,
                         pool_pre_ping=True, hide_parameters=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA secure_delete=ON")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Readers (``read_only``) take no write lock: WAL lets them run beside the writer.
        # On the driver connection: this runs for every transaction, and SQLAlchemy's own
        # execute path would cost more than the statement.
        read = conn.get_execution_options().get("tipline_read_only")
        driver_execute(conn, "BEGIN" if read else "BEGIN IMMEDIATE")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


# Bytes a WAL keeps after a checkpoint resets it (stale frames included).  Above what the automatic
# checkpoint lets it reach (1000 pages of 4 KiB and their frame headers, about 4 MiB), so a busy
# line's WAL is rewritten in place between the worker's rounds instead of cut back and grown again:
# a commit's fsync that extends the file also writes the file's size, and most commits did (issue
# 11; 7-page commits on this machine, median 1.18 ms with a 1 MiB limit, 0.51 ms with this).  The
# worker still empties the WAL after every round (``truncate_wal``).
WAL_SIZE_LIMIT = 6 * 1024 * 1024
_CHECKPOINT_WAIT_MS = 2000  # a reader still on an old snapshot: try again next round, do not stall


def truncate_wal(engine: Engine) -> bool:
    """Checkpoint SQLite's WAL into the database and truncate it to zero bytes (the worker,
    after each round); True when done, False when a reader kept it (retried next round).
    A no-op (True) on PostgreSQL, whose WAL and dead rows are the server's (README)."""
    if not is_sqlite(engine):
        return True
    with engine.connect() as conn:
        raw = conn.connection.driver_connection  # outside any transaction: a checkpoint needs that
        try:
            raw.execute(f"PRAGMA busy_timeout={_CHECKPOINT_WAIT_MS}")  # type: ignore[union-attr]
            busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()  # type: ignore[union-attr]
        except engine.dialect.loaded_dbapi.OperationalError:
            busy = 1
        finally:
            raw.execute("PRAGMA busy_timeout=30000")  # type: ignore[union-attr]
        return not busy


@contextmanager
def deferred(engine: Engine) -> Iterator[Connection]:
    """A transaction that takes SQLite's write lock only if and when it writes.

    For slow work that rarely writes (a staff login's Argon2id): the hot path's writers
    are not held up while it runs.  Commits on success.
    """
    with engine.connect() as conn:
        conn = conn.execution_options(tipline_read_only=True)
        with conn.begin():
            yield conn


@contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only; on SQLite it does not wait for or block the writer."""
    with engine.connect() as conn:
        conn = conn.execution_options(tipline_read_only=True)
        yield conn
        conn.rollback()


def ping(engine: Engine) -> None:
    """One round trip to the database (the health check); raises what the driver raises."""
    with read_only(engine) as conn:
        conn.execute(text("SELECT 1"))



class WriterLock:
    """SQLite's one writer, handed from writer to writer without polling.

    SQLite's busy handler sleeps in growing steps (1, 2, 5 ... 100 ms) while it waits for
    the write lock, so under load a writer often sleeps long after the lock was freed.
    The hot path takes this lock first (a thread lock, then ``flock`` on a file beside the
    database, which the kernel hands over at once across processes), so its
    ``BEGIN IMMEDIATE`` rarely has to wait at all.  The two halves are also taken apart
    (``storage.group_commit``: a thread whose writes another thread committed needs only the first).
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self.thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked worker opens its own
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def lock_file(self) -> None:
        """The processes' half; only with ``thread_lock`` held."""
        fcntl.flock(self._file(), fcntl.LOCK_EX)

    def unlock_file(self) -> None:
        fcntl.flock(self._file(), fcntl.LOCK_UN)

    def __enter__(self) -> None:
        self.thread_lock.acquire()
        try:
            self.lock_file()
        except BaseException:
            self.thread_lock.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            self.unlock_file()
        finally:
            self.thread_lock.release()


_writer_locks: "weakref.WeakKeyDictionary[Engine, WriterLock]" = weakref.WeakKeyDictionary()
_writer_locks_guard = threading.Lock()


def writer_lock(engine: Engine) -> AbstractContextManager[None]:
    """Hold around a write transaction on the hot path; a no-op on PostgreSQL."""
    if not is_sqlite(engine) or not engine.url.database:
        return nullcontext()
    with _writer_locks_guard:
        lock = _writer_locks.get(engine)
        if lock is None:
            lock = _writer_locks[engine] = WriterLock(Path(engine.url.database + ".writer"))
    return lock


def start_plain_reads(conn: Connection) -> Connection:
    """Reads before a write phase (the optimistic path): on SQLite they take no write lock.

    ``end_read_snapshot`` ends them and makes the connection's next transaction a writer's again.
    """
    return conn.execution_options(tipline_read_only=True)


def end_read_snapshot(conn: Connection) -> None:
    """End the read snapshot the driver opened implicitly for plain reads.

    psycopg begins a transaction on the first statement even when SQLAlchemy began none
    (so SQLAlchemy's own rollback would do nothing); on SQLite the reads ran in autocommit
    and this is a no-op.  Called after an optimistic read, before any write phase.
    """
    if conn.in_transaction():  # Core reads (keys, tips, throttle) autobegan one of SQLAlchemy's own
        conn.rollback()
    # A server gone since the read raises DBAPIError, which the edges catch (the message is
    # spooled), not the driver's own error, which became a 500.
    driver_rollback(conn)
    conn.execution_options(tipline_read_only=False)
