"""Carve records out of a stolen SQLite database: every page of the file, every frame of its WAL.

What a thief does with the files (no SQLite library needed for the old versions): the WAL is
a list of frames, each a full page image written by some commit, old ones included until the
WAL is truncated; the main file holds the checkpointed pages.  Every b-tree cell of every page
image is decoded into its record, and the unallocated space and freeblocks of each page (and
whole pages that are not b-tree pages) are scanned for anything that parses as a record, so a
row that was deleted or overwritten comes back as long as one page image still holds it.
``live_rows`` reads the current rows through SQLite itself, on a scratch copy.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

Value = int | float | str | bytes | None

_TABLE_LEAF, _INDEX_LEAF, _INDEX_INTERIOR, _TABLE_INTERIOR = 0x0D, 0x0A, 0x02, 0x05
_WAL_MAGIC = (0x377F0682, 0x377F0683)
_HEADER_BYTE = re.compile(rb"[\x02-\x40]")  # a record header's first varint: its own size


@dataclass(frozen=True)
class Record:
    """One row (or index entry) as stored: its values, and where the thief found it."""

    fields: tuple[Value, ...]
    source: str


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = 0
    for k in range(9):
        if i + k >= len(buf):
            raise IndexError("varint past the end")
        b = buf[i + k]
        if k == 8:
            return (value << 8) | b, i + 9
        value = (value << 7) | (b & 0x7F)
        if b < 0x80:
            return value, i + k + 1
    raise IndexError("unreachable")


def _size(serial: int) -> int:
    if serial >= 12:
        return (serial - 12) // 2 if serial % 2 == 0 else (serial - 13) // 2
    return (0, 1, 2, 3, 4, 6, 8, 8, 0, 0, -1, -1)[serial]


def _value(serial: int, raw: bytes) -> Value:
    if serial == 0:
        return None
    if serial in (8, 9):
        return serial - 8
    if 1 <= serial <= 6:
        return int.from_bytes(raw, "big", signed=True)
    if serial == 7:
        return float(struct.unpack(">d", raw)[0])
    if serial % 2 == 0:
        return bytes(raw)
    return raw.decode("utf-8", "replace")


def parse_record(payload: bytes) -> tuple[Value, ...] | None:
    """A record's values, or None when the bytes are not a whole record."""
    try:
        header_size, i = _varint(payload, 0)
        if header_size < 2 or header_size > len(payload):
            return None
        serials = []
        while i < header_size:
            serial, i = _varint(payload, i)
            if serial in (10, 11):
                return None
            serials.append(serial)
        if i != header_size:
            return None
    except IndexError:
        return None
    values, pos = [], header_size
    for serial in serials:
        n = _size(serial)
        if pos + n > len(payload):
            return None
        values.append(_value(serial, payload[pos : pos + n]))
        pos += n
    return tuple(values)


class Pages:
    """Page images by number, the WAL's latest over the file's (to follow overflow chains)."""

    def __init__(self, page_size: int, current: dict[int, bytes]) -> None:
        self.size, self.current = page_size, current

    def payload(self, page: bytes, at: int, length: int, local: int) -> bytes:
        """A cell's payload starting at ``at``: its local part and, if any, its overflow chain."""
        out = bytearray(page[at : at + min(length, local)])
        if length > local and at + local + 4 <= len(page):
            nxt = int.from_bytes(page[at + local : at + local + 4], "big")
            seen: set[int] = set()
            while nxt and nxt not in seen and len(out) < length and nxt in self.current:
                seen.add(nxt)
                over = self.current[nxt]
                nxt = int.from_bytes(over[:4], "big")
                out += over[4 : 4 + min(self.size - 4, length - len(out))]
        return bytes(out)

    def local(self, length: int, index: bool) -> int:
        u = self.size
        x = ((u - 12) * 64 // 255 - 23) if index else u - 35
        if length <= x:
            return length
        m = (u - 12) * 32 // 255 - 23
        k = m + (length - m) % (u - 4)
        return k if k <= x else m


def _cells(pages: Pages, page: bytes, base: int) -> tuple[list[tuple[Value, ...]], list[tuple[int, int]]]:
    """Records of a b-tree page's cells, and its unallocated and free regions (start, end)."""
    kind = page[base]
    interior = kind in (_TABLE_INTERIOR, _INDEX_INTERIOR)
    ncells, content = struct.unpack(">HH", page[base + 3 : base + 7])
    pointers = base + (12 if interior else 8)
    records, free = [], [(pointers + 2 * ncells, content or 65536)]
    for k in range(ncells):
        at = int.from_bytes(page[pointers + 2 * k : pointers + 2 * k + 2], "big")
        try:
            if kind == _TABLE_INTERIOR:
                continue
            if kind == _INDEX_INTERIOR:
                at += 4
            length, at = _varint(page, at)
            if kind == _TABLE_LEAF:
                _, at = _varint(page, at)
        except IndexError:
            continue
        found = parse_record(pages.payload(page, at, length, pages.local(length, kind != _TABLE_LEAF)))
        if found is not None:
            records.append(found)
    block = int.from_bytes(page[base + 1 : base + 3], "big")
    while 0 < block < len(page) - 4 and len(free) < 512:
        size = int.from_bytes(page[block + 2 : block + 4], "big")
        free.append((block + 4, block + size))
        block = int.from_bytes(page[block : block + 2], "big")
    return records, free


def _scan(region: bytes) -> list[tuple[Value, ...]]:
    """Anything in a stretch of bytes that parses as a record holding a blob (carving)."""
    found = []
    for m in _HEADER_BYTE.finditer(region):
        values = parse_record(region[m.start() :])
        if values and any(isinstance(v, bytes) and len(v) >= 12 for v in values):
            found.append(values)
    return found


def page_records(pages: Pages, page: bytes, number: int) -> list[tuple[Value, ...]]:
    base = 100 if number == 1 else 0
    if page[base] in (_TABLE_LEAF, _INDEX_LEAF, _INDEX_INTERIOR, _TABLE_INTERIOR):
        records, free = _cells(pages, page, base)
        for start, end in free:
            records += _scan(page[start:min(end, len(page))])
        return records
    return _scan(page)  # overflow, freelist or never-used pages: carve all of it


def _wal_frames(wal: bytes) -> tuple[int, list[tuple[int, bytes]]]:
    if len(wal) < 32 or int.from_bytes(wal[:4], "big") not in _WAL_MAGIC:
        return 0, []
    size = int.from_bytes(wal[8:12], "big") or 65536
    frames = []
    for off in range(32, len(wal) - 24 - size + 1, 24 + size):
        frames.append((int.from_bytes(wal[off : off + 4], "big"), wal[off + 24 : off + 24 + size]))
    return size, frames  # every frame, valid salt or not: old frames are what a thief wants


def carve(db_file: Path) -> list[Record]:
    """Every record in every page of ``db_file`` and every frame of ``db_file``-wal."""
    main = db_file.read_bytes()
    wal_path = Path(f"{db_file}-wal")
    wal_size, frames = _wal_frames(wal_path.read_bytes() if wal_path.exists() else b"")
    size = (int.from_bytes(main[16:18], "big") or 65536) if len(main) >= 100 else wal_size
    current = {n + 1: main[n * size : (n + 1) * size] for n in range(len(main) // size)} if size else {}
    current.update(dict(frames))  # later frames win, as in SQLite's own view
    pages = Pages(size, current)
    out: list[Record] = []
    for n in range(len(main) // size if size else 0):
        out += [Record(v, f"file page {n + 1}") for v in page_records(pages, main[n * size : (n + 1) * size], n + 1)]
    for k, (number, image) in enumerate(frames):
        out += [Record(v, f"WAL frame {k + 1} (page {number})") for v in page_records(pages, image, number)]
    return out


def live_rows(db_file: Path) -> list[Record]:
    """The current rows of every table, read through SQLite on a scratch copy (the WAL applied)."""
    scratch = Path(tempfile.mkdtemp(prefix="theft-scratch-"))
    try:
        for suffix in ("", "-wal"):
            if Path(f"{db_file}{suffix}").exists():
                shutil.copyfile(f"{db_file}{suffix}", scratch / f"copy.sqlite3{suffix}")
        conn = sqlite3.connect(scratch / "copy.sqlite3")
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return [Record(tuple(row), f"row of {table}")
                    for table in tables for row in conn.execute(f'SELECT * FROM "{table}"')]
        finally:
            conn.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
