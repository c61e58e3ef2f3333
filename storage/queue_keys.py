"""Queue keys and grants.

Every queue has X25519 key versions (``QueueKey``); exactly one is current (``retired_at`` is NULL),
retired ones are kept so old tips still open.  A queue private key is never stored unwrapped: each
member holding it has a ``Grant`` row, the key sealed (``crypto.seal``) to the member's public key
with a context binding the staff id and the key id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from sqlalchemy import Connection, Row, and_, select
from sqlalchemy.exc import IntegrityError

from storage import crypto
from storage.fastsql import Statement
from storage.key_errors import DuplicateError, KeyManagementError, LastHolderError, UnknownQueueError, UnknownStaffError
from storage.staff_accounts import StaffKeys, grant_context, random_id, require_admin, staff_row
from storage.tables import Grant, Queue, QueueKey, Staff

_queue_t = Queue.__table__  # type: ignore[attr-defined]
_key_t = QueueKey.__table__  # type: ignore[attr-defined]
_staff_t = Staff.__table__  # type: ignore[attr-defined]
_grant_t = Grant.__table__  # type: ignore[attr-defined]


# Read twice for every sealed tip version (seal, then check before writing): built once
# (storage/fastsql.py says why).
_CURRENT = Statement(
    "SELECT key_id, public_key FROM queuekey WHERE queue = :queue AND retired_at IS NULL ORDER BY created_at LIMIT 1"
)


@dataclass(frozen=True)
class QueueKeyPair:
    """A new queue key version.  The private key exists only here until it is granted."""

    queue: str
    key_id: str
    public: bytes
    private: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"QueueKeyPair(queue={self.queue!r}, key_id={self.key_id!r}, private=<hidden>)"


def _queue_keys(conn: Connection, queue: str) -> list[Row[Any]]:
    if conn.execute(select(_queue_t.c.name).where(_queue_t.c.name == queue)).first() is None:
        raise UnknownQueueError(f"no queue named {queue!r}")
    return list(conn.execute(select(_key_t).where(_key_t.c.queue == queue).order_by(_key_t.c.created_at)))


def current_key(conn: Connection, queue: str) -> Row[Any]:
    for row in _queue_keys(conn, queue):
        if row.retired_at is None:
            return row
    raise UnknownQueueError(f"queue {queue!r} has no current key")


def put_grant(
    conn: Connection, *, staff_id: str, public: bytes, key_id: str, private: bytes, by: str | None, now: float
) -> None:
    wrapped = crypto.seal(private, recipient_public=public, key_id=key_id, context=grant_context(staff_id, key_id))
    where = and_(_grant_t.c.staff_id == staff_id, _grant_t.c.key_id == key_id)
    if conn.execute(select(_grant_t.c.id).where(where)).first() is not None:
        conn.execute(_grant_t.update().where(where).values(wrapped=wrapped, granted_by=by, created_at=now))
    else:
        try:
            conn.execute(
                _grant_t.insert()
                .values(staff_id=staff_id, key_id=key_id, wrapped=wrapped, granted_by=by, created_at=now)
            )
        except IntegrityError:
            raise DuplicateError("a concurrent grant of the same key to the same member; retry") from None


def create_queue(conn: Connection, *, name: str, title: str, now: float) -> QueueKeyPair:
    """Create a queue and its first key.  The caller must grant the pair at once
    (``grant_new_queue``): the private key is stored nowhere else."""
    if not name or len(name) > 64:
        raise KeyManagementError("a queue name is 1-64 characters")
    if conn.execute(select(_queue_t.c.name).where(_queue_t.c.name == name)).first() is not None:
        raise DuplicateError(f"queue {name!r} already exists")
    private, public = crypto.new_keypair()
    key_id = random_id("k")
    try:
        conn.execute(_queue_t.insert().values(name=name, title=title, created_at=now))
        conn.execute(_key_t.insert().values(key_id=key_id, queue=name, public_key=public, created_at=now))
    except IntegrityError:
        raise DuplicateError(f"queue {name!r} already exists") from None
    return QueueKeyPair(queue=name, key_id=key_id, public=public, private=private)


def grant_new_queue(
    conn: Connection, *, member_id: str, pair: QueueKeyPair, now: float, granted_by: str | None = None
) -> None:
    """Grant a freshly created queue key (from ``create_queue`` or init) to one member."""
    row = conn.execute(select(_staff_t.c.public_key).where(_staff_t.c.id == member_id)).first()
    if row is None:
        raise UnknownStaffError("no staff member with that id")
    put_grant(conn, staff_id=member_id, public=row.public_key, key_id=pair.key_id, private=pair.private,
               by=granted_by, now=now)


def current_public_keys(conn: Connection, queues: Sequence[str]) -> list[tuple[str, str, bytes]]:
    """(queue, key_id, public key) of each queue's current key, for sealing."""
    out = []
    for queue in dict.fromkeys(queues):
        row = _CURRENT.first(conn, {"queue": queue})
        if row is None:
            key = current_key(conn, queue)  # raises the error that says what is missing
            row = (key.key_id, key.public_key)
        out.append((queue, str(row[0]), bytes(row[1])))
    return out


def queue_of_key(conn: Connection, key_id: str) -> str | None:
    row = conn.execute(select(_key_t.c.queue).where(_key_t.c.key_id == key_id)).first()
    return None if row is None else str(row.queue)


def list_queues(conn: Connection) -> list[str]:
    return [r.name for r in conn.execute(select(_queue_t.c.name).order_by(_queue_t.c.name))]


def member_queues(conn: Connection, staff_id: str, *, current_only: bool = True) -> list[str]:
    """Queues whose current key (or, with ``current_only=False``, any key) the member holds."""
    stmt = select(_key_t.c.queue).distinct().select_from(
        _grant_t.join(_key_t, _grant_t.c.key_id == _key_t.c.key_id)
    ).where(_grant_t.c.staff_id == staff_id)
    if current_only:
        stmt = stmt.where(_key_t.c.retired_at.is_(None))
    return sorted(r.queue for r in conn.execute(stmt))


def grant(conn: Connection, *, admin: StaffKeys, member: str, queue: str, now: float) -> list[str]:
    """Give ``member`` (a username) the keys of ``queue``.

    The admin must be an administrator and hold the queue's current key.  Every key
    version of the queue the admin holds (current and retired, so old tips open) is
    sealed to the member's public key.  Returns the key ids granted.
    """
    require_admin(conn, admin)
    current = current_key(conn, queue)
    admin.queue_private(conn, current.key_id)  # NotGrantedError when the admin lacks it
    member_row = staff_row(conn, member)
    held = admin.held_key_ids(conn)
    granted = []
    for key in _queue_keys(conn, queue):
        if key.key_id not in held:
            continue
        private = admin.queue_private(conn, key.key_id)
        put_grant(conn, staff_id=member_row.id, public=member_row.public_key, key_id=key.key_id, private=private,
                   by=admin.staff_id, now=now)
        granted.append(key.key_id)
    return granted


def revoke(conn: Connection, *, admin: StaffKeys, member: str, queue: str, allow_last_holder: bool = False) -> int:
    """Delete the member's grants for every key of ``queue``.  A revoked member may
    have copied keys while they held them: ``rotate`` the queue afterwards so new
    tips are sealed to a key they never had.  Returns the grants deleted.

    Raises ``LastHolderError`` when the member is the only holder of one of the queue's
    keys (its tips would never open again, and nobody could rotate or grant the queue),
    unless ``allow_last_holder``."""
    require_admin(conn, admin)
    member_row = staff_row(conn, member)
    key_ids = [k.key_id for k in _queue_keys(conn, queue)]
    if not allow_last_holder and _only_holder_of(conn, member_row.id, key_ids):
        raise LastHolderError(
            f"{member} is the last holder of a key of queue {queue}: without it, every tip sealed to that "
            "key stays unreadable for good and the queue can no longer be granted or rotated"
        )
    result = conn.execute(
        _grant_t.delete().where(and_(_grant_t.c.staff_id == member_row.id, _grant_t.c.key_id.in_(key_ids)))
    )
    return int(result.rowcount or 0)


def _only_holder_of(conn: Connection, staff_id: str, key_ids: Sequence[str]) -> list[str]:
    """The keys among ``key_ids`` that ``staff_id`` holds and nobody else does."""
    rows = conn.execute(select(_grant_t.c.key_id, _grant_t.c.staff_id).where(_grant_t.c.key_id.in_(key_ids)))
    holders: dict[str, set[str]] = {}
    for row in rows:
        holders.setdefault(row.key_id, set()).add(row.staff_id)
    return [k for k, who in holders.items() if who == {staff_id}]
