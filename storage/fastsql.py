"""Hot-path statements run on the driver connection, inside SQLAlchemy's transaction.

Every webhook runs the same few statements.  Through SQLAlchemy's execute path each
costs ~50 us of bookkeeping (events, result metadata, cache lookups) on top of a few
microseconds of SQLite work, which a profile of the webhook showed as the largest share
left.  These statements are written once, in SQL both SQLite and PostgreSQL accept,
and run on the DBAPI connection that SQLAlchemy holds, so they still take part in its
transaction (``engine.begin()``), its pool and its pragmas.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, StatementError

_NAMED = re.compile(r"(?<!:):([A-Za-z_]\w*)")


class Statement:
    """One SQL text with ``:name`` parameters, for sqlite3 (positional) and psycopg (pyformat).

    On SQLite the names become ``?`` and the values go as a tuple in their order: Python's sqlite3
    (3.11) lets go of the GIL to look up each named parameter's name, and under load every time
    it lets go another thread takes the GIL, and this one must wait to win it back.  A webhook
    bound about forty named values; positional ones cost no switch (issue 11).
    """

    __slots__ = ("sqlite", "names", "postgresql")

    def __init__(self, sql: str) -> None:
        self.names = tuple(m.group(1) for m in _NAMED.finditer(sql))
        self.sqlite = _NAMED.sub("?", sql)
        self.postgresql = _NAMED.sub(r"%(\1)s", sql)

    def run(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Execute on the driver connection; returns its cursor (rows are plain tuples).

        Driver errors are raised as SQLAlchemy's ``DBAPIError`` family, as SQLAlchemy's
        own execute would, so callers (a webhook answering 503) see one kind of error.
        """
        if conn.dialect.name == "postgresql":
            return driver_execute(conn, self.postgresql, params)
        return driver_execute(conn, self.sqlite, tuple([params[name] for name in self.names]))

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        return self.run(conn, params).fetchone()  # type: ignore[no-any-return]


def driver_execute(conn: Connection, sql: str, params: Mapping[str, Any] | tuple[Any, ...] | None = None) -> Any:
    """Run ``sql`` on the driver connection inside ``conn``'s transaction, errors wrapped."""
    raw = conn.connection.driver_connection
    try:
        return raw.execute(sql, params) if params is not None else raw.execute(sql)  # type: ignore[union-attr]
    except conn.dialect.loaded_dbapi.Error as exc:
        raise as_dbapi_error(conn, sql, exc) from exc


def driver_rollback(conn: Connection) -> None:
    """Roll back the driver connection's own transaction (a no-op without one), errors wrapped."""
    try:
        conn.connection.driver_connection.rollback()  # type: ignore[union-attr]
    except conn.dialect.loaded_dbapi.Error as exc:
        raise as_dbapi_error(conn, "ROLLBACK", exc) from exc


def as_dbapi_error(conn: Connection, sql: str, exc: Exception) -> StatementError:
    """The driver's error as SQLAlchemy's ``DBAPIError`` family, which the edges catch (503 or the
    spool); no parameters in it: they would reach tracebacks and logs."""
    return DBAPIError.instance(sql, None, exc, conn.dialect.loaded_dbapi.Error, hide_parameters=True)
