"""What a thief reads from a stolen PostgreSQL database: every live row, and dead rows where it can.

Dead row versions (an UPDATE's old value, a DELETE's row) stay in the table's pages until
VACUUM, and are not reachable from SQL.  With the ``pageinspect`` extension (a superuser's)
the drill reads every page's tuples, dead ones included, and carves every bytea value out of
them; without it, dead rows are said to be not covered.
"""

from __future__ import annotations

from sqlalchemy import Engine, MetaData, select, text

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


def _carve_tuple(data: bytes) -> list[bytes]:
    """bytea values with a short (one-byte) or 4-byte varlena header, at every offset."""
    found = []
    for i, b in enumerate(data):
        if b & 1 and b != 1:
            n = (b >> 1) - 1
            if n >= _MIN_BLOB and i + 1 + n <= len(data) and data[i + 1] == 1:
                found.append(data[i + 1 : i + 1 + n])
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
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
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
                            out += [Record((blob,), f"dead tuple of {table}") for blob in _carve_tuple(bytes(data))]
            conn.commit()
        except Exception as exc:  # a drill reports what it could not do, it does not stop
            return [], f"dead rows: not covered ({type(exc).__name__} reading pages with pageinspect)"
    return out, f"dead rows: {len(out)} blobs carved from dead tuples with pageinspect (no associated data)"


def records(engine: Engine) -> tuple[list[Record], str]:
    live = _live(engine)
    dead, note = _dead(engine)
    return live + dead, f"PostgreSQL: {len(live):,} live rows; {note}; pg_wal and base backups not read"
