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

_NAMED = re.compile(r"(?<!:):([A-Za-z_]\w*)")


class Statement:
    """One SQL text with ``:name`` parameters, for sqlite3 (named) and psycopg (pyformat)."""

    __slots__ = ("sqlite", "postgresql")

    def __init__(self, sql: str) -> None:
        self.sqlite = sql
        self.postgresql = _NAMED.sub(r"%(\1)s", sql)

    def run(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Execute on the driver connection; returns its cursor (rows are plain tuples)."""
        raw = conn.connection.driver_connection
        sql = self.postgresql if conn.dialect.name == "postgresql" else self.sqlite
        return raw.execute(sql, params)  # type: ignore[union-attr]

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        return self.run(conn, params).fetchone()  # type: ignore[no-any-return]
