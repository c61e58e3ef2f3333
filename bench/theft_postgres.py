"""What a thief reads from a stolen PostgreSQL database: every live row, and dead rows where it can.

Dead row versions (an UPDATE's old value, a DELETE's row) stay in the table's pages until
VACUUM, and are not reachable from SQL.  With the ``pageinspect`` extension (a superuser's)
the drill reads every page's tuples, dead ones included, and carves every bytea value out of
them; without it, dead rows are said to be not covered.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Engine, MetaData, create_engine, select, text

from bench.theft_carve import Record, Value

# A bytea value in a heap tuple: a one-byte varlena header (length * 2 + 1) then the bytes.
_MIN_BLOB = 29


def _live(engine: Engine) -> list[Record]:
    meta = MetaData()
    meta.reflect(engine)
    out = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                values: tuple[Value, ...] = tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                out.append(Record(values, f"row of {table.name}"))
    return out


def _carve_tuple(data: bytes) -> list[Value]:
    """bytea values with a short (one-byte) or 4-byte varlena header, at every offset, and the
    short text values and 32-byte hashes beside them (the associated data of the blobs)."""
    found: list[Value] = []
    for i, b in enumerate(data):
        if b & 1 and b != 1:
            n = (b >> 1) - 1
            value = data[i + 1 : i + 1 + n]
            if n >= _MIN_BLOB and i + 1 + n <= len(data) and data[i + 1] == 1:
                found.append(value)
            elif n == 32 and len(value) == 32:
                found.append(value)
            elif 0 < n <= 64 and len(value) == n and value.isascii() and value.decode().isprintable():
                found.append(value.decode())
        elif b & 3 == 0 and i + 4 < len(data):
            n = (int.from_bytes(data[i : i + 4], "little") >> 2) - 4
            if _MIN_BLOB <= n and i + 4 + n <= len(data) and data[i + 4] == 1:
                found.append(data[i + 4 : i + 4 + n])
    return found


def _dead(engine: Engine) -> tuple[list[Record], str]:
    with engine.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'pageinspect'")).first() is None:
            return [], "dead rows: not covered (pageinspect is not available)"
        try:
            if conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pageinspect'")).first() is None:
                # In the drill's own schema, so that dropping the schema removes it again.
                schema = conn.execute(text("SELECT current_schema()")).scalar_one()
                conn.execute(text(f'CREATE EXTENSION pageinspect SCHEMA "{schema}"'))
            tables = [r[0] for r in conn.execute(text(
                "SELECT c.oid::regclass::text FROM pg_class c WHERE c.relkind = 'r' "
                "AND c.relnamespace = current_schema()::regnamespace"))]
            out = []
            for table in tables:
                size = f"SELECT pg_relation_size('{table}') / current_setting('block_size')::int"
                pages = int(conn.execute(text(size)).scalar_one())
                for page in range(pages):
                    rows = conn.execute(text(
                        f"SELECT t_xmax, t_data FROM heap_page_items(get_raw_page('{table}', {page}))"
                        " WHERE t_data IS NOT NULL"))
                    for xmax, data in rows:
                        if int(xmax or 0) != 0:  # deleted or updated: a version SQL no longer shows
                            out.append(Record(tuple(_carve_tuple(bytes(data))), f"dead tuple of {table}"))
            conn.commit()
        except Exception as exc:  # a drill reports what it could not do, it does not stop
            return [], f"dead rows: not covered ({type(exc).__name__} reading pages with pageinspect)"
    return out, (f"dead rows: {len(out)} dead tuples carved with pageinspect (text, hashes and blobs;"
                 " integers are not carved, so an outbox body's associated data is missed)")


@contextmanager
def own_schema(url: str) -> Iterator[str]:
    """A new schema for the drill's line (the URL that uses it), dropped with everything in it afterwards."""
    schema = "theft_" + uuid.uuid4().hex[:12]
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def records(engine: Engine) -> tuple[list[Record], str]:
    live = _live(engine)
    dead, note = _dead(engine)
    return live + dead, f"PostgreSQL: {len(live):,} live rows; {note}; pg_wal and base backups not read"
