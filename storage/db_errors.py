"""What to tell an operator when the database refuses this process (issue 13).

A refused connection reaches us as the driver's text inside SQLAlchemy's ``OperationalError``.
That text names hosts and roles, so it is never shown: it is sorted into a few kinds, and each
kind gets one line naming the setting to fix.  ``/readyz`` answers the short ``reason`` of the
kind; the CLI's start-up prints its ``fix``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout


@dataclass(frozen=True)
class Refusal:
    reason: str  # short, for /readyz and logs
    fix: str  # one line for an operator at start-up


NOT_ANSWERING = "not answering"

# Lower-cased fragments of the server's or libpq's message, most specific first.
_KINDS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("too many connections for role",), "too many connections for the database role",
     "the role's CONNECTION LIMIT is reached: lower TIPLINE_DB_POOL_SIZE/TIPLINE_DB_MAX_OVERFLOW or the "
     "serve/console workers x threads, or raise it (ALTER ROLE ... CONNECTION LIMIT n)"),
    (("too many connections for database",), "too many connections for the database",
     "the database's CONNECTION LIMIT is reached: lower TIPLINE_DB_POOL_SIZE/TIPLINE_DB_MAX_OVERFLOW or the "
     "serve/console workers x threads, or raise it (ALTER DATABASE ... CONNECTION LIMIT n)"),
    (("too many clients", "remaining connection slots are reserved"), "too many clients",
     "the server's max_connections is reached: lower TIPLINE_DB_POOL_SIZE/TIPLINE_DB_MAX_OVERFLOW or the "
     "serve/console workers x threads (README, \"Sizing\"), raise max_connections, or put PgBouncer in between"),
    (("password authentication failed", "authentication failed", "no password supplied",
      "no pg_hba.conf entry", "role \""), "authentication failed",
     "check the user and password in TIPLINE_DATABASE_URL, and that pg_hba.conf lets this host in"),
    (("database \"",), "database does not exist",
     "the database named in TIPLINE_DATABASE_URL does not exist: create it (createdb) or fix the URL"),
    (("the database system is starting up", "the database system is shutting down",
      "the database system is in recovery mode"), "database starting or stopping",
     "PostgreSQL is starting or stopping: wait, then retry"),
    (("connection refused", "could not connect", "no such file or directory", "timeout expired",
      "could not translate host name", "name or service not known", "network is unreachable",
      "server closed the connection", "connection timed out"), NOT_ANSWERING,
     "nothing answers at TIPLINE_DATABASE_URL's host and port: start PostgreSQL, or fix the host/port"),
)


def refusal(exc: BaseException) -> Refusal | None:
    """The kind of refusal ``exc`` is (a driver error wrapped by SQLAlchemy, or the pool's timeout),
    or None when it is something else (a bad query, a missing table)."""
    if isinstance(exc, PoolTimeout):
        return Refusal("connection pool exhausted",
                       "every connection of this process's pool was busy: raise TIPLINE_DB_POOL_SIZE (and "
                       "PostgreSQL's max_connections to match), or look for slow queries")
    if not isinstance(exc, OperationalError) or exc.orig is None:
        return None  # connecting fails with this class; a bad query or a missing table with others
    if not type(exc.orig).__module__.startswith("psycopg"):
        return None  # SQLite's errors say what they are already
    text = str(exc.orig).lower()
    for fragments, reason, fix in _KINDS:
        if any(fragment in text for fragment in fragments):
            return Refusal(reason, fix)
    return None


def operator_line(exc: BaseException) -> str | None:
    """The one line an operator reads when a process cannot start, or None (not a refusal)."""
    found = refusal(exc)
    if found is None:
        return None
    verb = "did not answer" if found.reason == NOT_ANSWERING else f"refused the connection: {found.reason}"
    return f"PostgreSQL {verb}. Fix: {found.fix}"
